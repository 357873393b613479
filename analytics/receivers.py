"""Keep analytics reports true to the orders: every change they count bumps one version.

The reports (issue 12) cache their answers under keys that include
``report_version()``; a booking, a payment, an expiry, a cancellation or a
refund bumps it, so the next read recomputes instead of serving a number
from before the change. The receivers run on commit (``orders.signals``) and
do one cheap cache write. If the cache is unreachable the bump is lost,
logged and counted by the sender, and a report may be up to its cache
lifetime old.
"""

import time

from django.core.cache import cache

REPORT_VERSION_KEY = "analytics:report-version"


def report_version() -> int:
    """The current version of everything the reports count; part of every report's cache key."""
    version = cache.get(REPORT_VERSION_KEY)
    if version is None:
        _start_version()
        version = cache.get(REPORT_VERSION_KEY)
    return version


def bump_report_version(sender, **kwargs) -> None:
    """Receiver for ``order_reserved``, ``order_paid`` and ``tickets_released``: reports are stale now."""
    try:
        cache.incr(REPORT_VERSION_KEY)
    except ValueError:  # never set, or evicted
        _start_version()


def _start_version() -> None:
    # A clock value, not 1: a version lost to eviction must never come back
    # and match reports cached under it before.
    cache.add(REPORT_VERSION_KEY, time.time_ns(), timeout=None)
