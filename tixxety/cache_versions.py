"""Version counters that make a whole family of cache entries stale at once.

A family's entries carry the version they were computed under; one
increment of its key retires them all. Used by the catalogue reads
(``events.cache``) and the reports (``analytics.cache``).
"""

import time

from django.core.cache import cache


def bump_version(key: str) -> None:
    """Make every entry of ``key``'s family stale: one increment of a key that never expires."""
    try:
        cache.incr(key)
    except ValueError:  # never set, or evicted
        start_version(key)


def start_version(key: str) -> None:
    """Set ``key`` if it is missing: to a clock value, not 0 or 1, so that a version lost
    to eviction or a flush never comes back and matches entries cached under it before."""
    cache.add(key, time.time_ns(), timeout=None)
