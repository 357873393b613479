"""Where rate-limit counts live: Redis, or this process while Redis is unreachable.

django-ratelimit counts with ``cache.add`` and ``cache.incr`` on the cache
named by ``RATELIMIT_USE_CACHE``. When those fail it either stops limiting
(``RATELIMIT_FAIL_OPEN``) or refuses every request; the reliability issue
decided neither: sign-in must keep working with Redis down, and stay
limited. So the rate-limit cache is django-redis with this client, which
counts in a local-memory cache of the process while Redis is unreachable:
with N web processes a client then gets up to N times a rate until Redis is
back. After a failure the client does not ask Redis again for
``retry_after_seconds``, so a hung Redis costs one socket timeout per
process every few seconds rather than one per request, and logs one warning
each time it gives up on Redis.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)

# One per process, shared by its threads (LocMemCache shares storage by name).
local_counts = LocMemCache("tixxety-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
# A counter created by ``incr`` after Redis went away mid-window: the window is in its key, so
# outliving the window only costs memory (bounded by MAX_ENTRIES).
ORPHAN_COUNT_SECONDS = 24 * 60 * 60


class FallbackClient(DefaultClient):
    """django-redis client for rate-limit counts that falls back to this process's memory."""

    retry_after_seconds = 5.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._redis_down_until = 0.0

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, client=None):
        return self._counted(
            lambda: super(FallbackClient, self).add(key, value, timeout, version=version, client=client),
            lambda: local_counts.add(key, value, timeout),
        )

    def incr(self, key, delta=1, version=None, client=None, ignore_key_check=False):
        return self._counted(
            lambda: super(FallbackClient, self).incr(
                key, delta, version=version, client=client, ignore_key_check=ignore_key_check
            ),
            lambda: _local_incr(key, delta),
        )

    def get(self, key, default=None, version=None, client=None):
        return self._counted(
            lambda: super(FallbackClient, self).get(key, default=default, version=version, client=client),
            lambda: local_counts.get(key, default),
        )

    def _counted(self, in_redis, in_process):
        if time.monotonic() >= self._redis_down_until:
            try:
                return in_redis()
            except ConnectionInterrupted as error:
                self._redis_down_until = time.monotonic() + self.retry_after_seconds
                logger.warning(
                    "Rate-limit store unavailable (%s); counting in this process for %g s",
                    type(error.__cause__ or error).__name__,
                    self.retry_after_seconds,
                )
        return in_process()


def _local_incr(key, delta):
    try:
        return local_counts.incr(key, delta)
    except ValueError:  # counted in Redis until now
        local_counts.set(key, delta, ORPHAN_COUNT_SECONDS)
        return delta
