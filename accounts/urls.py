"""Account pages: sign up, sign in and out, profile, password change and reset (Django's auth views)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from tixxety.ratelimits import rate_limit

# No namespace: the API's URL modules hold the app names.


def _done(name):
    return reverse_lazy(name)


urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "login/",
        rate_limit("login-ip", "login-account")(
            auth_views.LoginView.as_view(
                template_name="accounts/login.html", redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/form_page.html",
            success_url=_done("password-change-done"),
            extra_context={"title": "Change your password", "submit": "Change password"},
        ),
        name="password-change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/message_page.html",
            extra_context={"title": "Password changed", "text": "Your new password is in use."},
        ),
        name="password-change-done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/form_page.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=_done("password-reset-done"),
            extra_context={
                "title": "Reset your password",
                "submit": "Send the reset link",
                "intro": "Enter your account's e-mail address: we will send a link to choose a new password.",
            },
        ),
        name="password-reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/message_page.html",
            extra_context={
                "title": "Check your e-mail",
                "text": "If an account has this address, a link to reset its password is on its way.",
            },
        ),
        name="password-reset-done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html", success_url=_done("password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/message_page.html",
            extra_context={"title": "Password reset", "text": "Your new password is set: sign in with it."},
        ),
        name="password-reset-complete",
    ),
]
