"""Account pages: sign up and the profile. Sign-in, sign-out and passwords are Django's views (urls.py)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import ProfileForm, SignupForm
from tixxety.pages import REFUSED, call_service
from tixxety.ratelimits import rate_limit


@require_http_methods(["GET", "POST"])
@rate_limit("register-ip", "register-account")
def signup(request):
    """Create an account with ``user_register`` and sign it in."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = call_service(form, services.user_register, **form.cleaned_data)
        if user is not REFUSED:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.name}! Your account is ready.")
            return redirect(_safe_next(request) or "event-list")
    return render(request, "accounts/signup.html", {"form": form})


def _safe_next(request) -> str | None:
    """The ``next`` page when it is on this site (never an open redirect), as the sign-in view does."""
    target = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else None


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """Name, address and home location, saved with ``user_update_profile`` (as PATCH /api/auth/me)."""
    form = ProfileForm.for_user(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = call_service(
            form,
            services.user_update_profile,
            user=request.user,
            **{f: form.cleaned_data[f] for f in form.changed_data},
        )
        if user is not REFUSED:
            messages.success(request, "Profile saved.")
            return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})
