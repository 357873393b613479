"""Rate limits for the API and the pages: named, configured in settings, counted by django-ratelimit.

Each limit has a name, a rate in ``settings.RATE_LIMITS`` (from the
environment: README, "Configuration") and a key saying whom it counts: the
client address, the account named in the request body, or the signed-in
user. Only unsafe requests (POST, PUT, PATCH, DELETE) count. A limit is
applied with one line wherever it belongs:

- ``@rate_limit("booking")`` on a page view, a class-based view's ``post``,
  or an API view's handler method;
- admin writes are limited for every API view by
  ``tixxety.api.throttling.AdminWriteRateLimit``; the Django admin's sign-in
  and writes by ``AdminRateLimitMiddleware``.

Over a limit the API answers 429 ``{"detail", "code": "rate_limited"}`` and a
page answers the 429 page, both with ``Retry-After``: the seconds until the
window that refused the request is over. Counts live in the
``RATELIMIT_USE_CACHE`` cache, shared by every process through Redis (see
``tixxety.ratelimit_store`` for Redis being down).
"""

import functools
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import UNSAFE
from django_ratelimit.core import get_usage
from rest_framework.exceptions import Throttled
from rest_framework.request import Request


class RateLimited(Throttled):
    """A request over one of its limits; DRF answers it as a 429 with ``Retry-After``."""

    default_detail = "Too many requests."
    default_code = "rate_limited"
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."


def client_address(request: HttpRequest) -> str:
    """The client's IP address (``RATELIMIT_IP_META_KEY``).

    With ``NUM_PROXIES`` trusted proxies in front, each appends the address it
    was called from to ``X-Forwarded-For``, so the client is the entry that
    many places from the end; anything before it is the client's to make up
    and is ignored. Without proxies, or when that entry is not an address,
    the socket's address.
    """
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",")]
        candidate = entries[-min(proxies, len(entries))]
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR", "")


def account_in_body(request) -> str | None:
    """The e-mail address the request signs in or registers with, lower-case; None without one."""
    data = request.data if isinstance(request, Request) else request.POST
    if not isinstance(data, Mapping):  # a JSON array: the view answers 400
        return None
    account = data.get("email") or data.get("username")  # the token view and the admin accept `username`
    if isinstance(account, str) and account.strip():
        return account.strip().lower()
    return None


@dataclass(frozen=True)
class Limit:
    """A named limit; its rate is ``settings.RATE_LIMITS[name]``.

    ``key`` says whom it counts: one of django-ratelimit's keys (``"ip"``,
    ``"user_or_ip"``), or a function of the request giving the value to count
    by, or None when the limit does not apply to the request.
    """

    name: str
    key: str | Callable[[HttpRequest | Request], str | None]


LIMITS = {
    limit.name: limit
    for limit in (
        Limit("login-ip", "ip"),
        Limit("login-account", account_in_body),
        Limit("register-ip", "ip"),
        Limit("register-account", account_in_body),
        Limit("booking", "user_or_ip"),
        Limit("admin-write", "user_or_ip"),
    )
}


def limit_request(request: HttpRequest | Request, names: tuple[str, ...]) -> None:
    """Count the request against each named limit; ``RateLimited`` when it is over any of them.

    Every limit counts the request, also when another refuses it; the
    ``Retry-After`` is the longest wait. Safe methods are not counted.
    """
    if request.method not in UNSAFE:
        return
    waits = []
    for name in names:
        key = LIMITS[name].key
        if callable(key):
            value = key(request)
            if value is None:
                continue
            key = functools.partial(_constant, value)
        usage = get_usage(
            request,
            group=name,
            key=key,
            rate=settings.RATE_LIMITS[name],
            increment=True,
        )
        if usage is not None and usage["should_limit"]:
            # The window's counter is used up to and including the second it names.
            waits.append(max(usage["time_left"], 0) + 1)
    if waits:
        raise RateLimited(wait=max(waits))


def _constant(value, group, request):
    return value


def rate_limit(*names: str):
    """Limit a view by the named limits: a page view, a view method, or an API handler method.

    Over a limit a page answers the 429 page; an API view raises
    ``RateLimited``, which its exception handler answers in JSON.
    """
    unknown = set(names) - set(LIMITS)
    if unknown:
        raise ValueError(f"Unknown rate limits: {sorted(unknown)}")

    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            request = next(arg for arg in args[:2] if isinstance(arg, (HttpRequest, Request)))
            try:
                limit_request(request, names)
            except RateLimited as refused:
                if isinstance(request, Request):
                    raise
                return too_many_requests(request, refused)
            return view(*args, **kwargs)

        return limited

    return decorate


def too_many_requests(request: HttpRequest, refused: RateLimited):
    """The 429 page (JSON for JSON clients) with ``Retry-After``."""
    # Imported here: tixxety.views imports DRF's APIView, whose throttle setting imports this module.
    from tixxety.views import error_response

    response = error_response(request, 429, str(refused.detail), "rate_limited", "429.html")
    response["Retry-After"] = str(refused.wait)
    return response


class AdminRateLimitMiddleware:
    """Rate limits of the Django admin, wherever it is mounted.

    Its sign-in form counts as a sign-in (the same counts as
    ``POST /api/auth/token``); every other POST of a signed-in user counts
    against ``admin-write``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.namespace != "admin":
            return None
        if match.url_name == "login":
            names = ("login-ip", "login-account")
        elif request.user.is_authenticated:
            names = ("admin-write",)
        else:
            return None
        try:
            limit_request(request, names)
        except RateLimited as refused:
            return too_many_requests(request, refused)
        return None
