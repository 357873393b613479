"""Keep analytics reports true to the orders: every change they count bumps one version.

The reports cache their answers under keys that include the report version
(``analytics.cache``); a booking, a payment, an expiry, a cancellation or a
refund bumps it, so the next read recomputes instead of serving a number
from before the change. The receivers run on commit (``orders.signals``) and
do one cheap cache write. If the cache is unreachable the bump is lost,
logged and counted by the sender, and a report may be up to its cache
lifetime old.
"""

from analytics import cache


def bump_report_version(sender, **kwargs) -> None:
    """Receiver for every orders notification (reserved, paid, released): reports are stale now."""
    cache.bump_report_version()
