"""Rate limits that keep limiting, and never fail a request, when the shared cache is down."""

import logging

from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)


class ScopedRateThrottleWithFallback(ScopedRateThrottle):
    """``ScopedRateThrottle`` that counts in this process while the shared cache is unreachable.

    Sign-in and registration must keep working when Redis is down, and must
    still be limited: the request history then lives in a local-memory cache
    of the web process, so with N processes a client gets up to N times the
    rate until Redis is back. Each request that falls back logs one warning.
    """

    local_cache = LocMemCache("tixxety-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as error:  # Redis down or timing out: any of its client's errors
            logger.warning(
                "Rate-limit cache unavailable (%s); limiting %s per process",
                type(error).__name__,
                self.scope,
            )
        self.cache = self.local_cache
        return super().allow_request(request, view)
