"""The API's side of ``tixxety.ratelimits``: admin writes are limited on every view."""

from rest_framework.throttling import BaseThrottle

from tixxety.ratelimits import limit_request


class AdminWriteRateLimit(BaseThrottle):
    """Count every unsafe request of an admin against the ``admin-write`` limit.

    DRF's throttle hook (``DEFAULT_THROTTLE_CLASSES``) is the one place that
    runs for every API view after authentication, so it knows the user a
    token names; the count is django-ratelimit's, as for every other limit.
    Over the limit ``limit_request`` raises ``RateLimited`` (a 429).
    """

    def allow_request(self, request, view):
        if getattr(request.user, "is_admin", False):
            limit_request(request, ("admin-write",))
        return True
