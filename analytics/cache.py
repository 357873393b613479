"""Reports cached for ``ANALYTICS_CACHE_SECONDS`` under a report version.

Every cache key carries the current report version, read from the cache key
``analytics:report-version``. Whatever changes the numbers (a booking, a
payment, a refund, an expiry, a cancellation, a waitlist change, a check-in,
a catalogue change: ``analytics.apps``) bumps it after commit: one cheap
write, and every cached report is stale at once, without finding or deleting
keys. The old entries simply expire.

The cache only saves work: when it is unreachable a report is computed from
the database, a warning is logged and the request goes on.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from tixxety.cache_versions import bump_version, start_version

logger = logging.getLogger(__name__)

REPORT_VERSION_KEY = "analytics:report-version"


def report_version() -> int:
    """The current report version; part of every report's cache key."""
    version = cache.get(REPORT_VERSION_KEY)
    if version is None:
        start_version(REPORT_VERSION_KEY)
        version = cache.get(REPORT_VERSION_KEY)
    return int(version)


def bump_report_version() -> None:
    """Make every cached report stale: one increment of a key that never expires."""
    bump_version(REPORT_VERSION_KEY)


@dataclass(frozen=True)
class Report:
    """A report's JSON-ready data, when it was computed, and whether it came from the cache."""

    data: dict
    computed_at: datetime
    cached: bool

    def as_response(self) -> dict:
        return {"computed_at": self.computed_at.isoformat(), "cached": self.cached, **self.data}


def report_key(name: str, params: dict, version: int) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"analytics:{name}:v{version}:{digest}"


def cached_report(name: str, params: dict, compute: Callable[[], dict], *, refresh: bool = False) -> Report:
    """``compute()``'s result from the cache, or computed now and cached.

    ``refresh`` computes it again (and caches the new result). ``params`` are
    everything the result depends on; they become part of the key.
    """
    try:
        key = report_key(name, params, report_version())
        entry = None if refresh else cache.get(key)
    except Exception:  # Redis down or timing out: any of its client's errors
        logger.warning("Analytics cache unavailable; computing the %s report without it", name, exc_info=True)
        return Report(compute(), timezone.now(), cached=False)
    if entry is not None:
        return Report(entry["data"], entry["computed_at"], cached=True)
    report = Report(compute(), timezone.now(), cached=False)
    try:
        cache.set(
            key, {"data": report.data, "computed_at": report.computed_at}, settings.ANALYTICS_CACHE_SECONDS
        )
    except Exception:
        logger.warning("Analytics cache unavailable; the %s report was not cached", name, exc_info=True)
    return report
