"""Keep analytics reports true to the orders: every change they count bumps one version.

The reports cache their answers under keys that include the report version
(``analytics.cache``); a booking, a payment, an expiry, a cancellation, a
refund, a waitlist change, a check-in or a catalogue change bumps it, so the
next read recomputes instead of serving a number from before the change. The
receivers run on commit (``orders.signals``, ``tickets.signals``,
``events.signals.catalogue_changed``) and do one cheap cache write. If the
cache is unreachable the bump is lost, logged and counted by the sender,
and a report may be up to its cache lifetime old.

The same notifications move the business counters on /metrics
(``tixxety.business_metrics``): a counter increment, no query.
"""

from django.utils import timezone

from analytics import cache
from orders.models import Order
from tixxety import business_metrics


def bump_report_version(sender, **kwargs) -> None:
    """Receiver for every notification of a change the reports count (``analytics.apps``): stale now."""
    cache.bump_report_version()


def count_reservation(sender, order, **kwargs) -> None:
    """Receiver for ``order_reserved``; an order the waitlist reserved is a promotion too."""
    business_metrics.RESERVATIONS.labels(source=order.source).inc()
    if order.source == Order.Source.WAITLIST:
        business_metrics.WAITLIST_PROMOTIONS.inc()


def count_queue_reservations(sender, order_ids, **kwargs) -> None:
    """Receiver for ``orders_reserved``: the orders one queue batch reserved."""
    business_metrics.RESERVATIONS.labels(source=Order.Source.QUEUE).inc(len(order_ids))


def count_payment(sender, order, **kwargs) -> None:
    """Receiver for ``order_paid``."""
    business_metrics.PAYMENTS.labels(source=order.source).inc()


def count_release(sender, order, **kwargs) -> None:
    """Receiver for ``tickets_released``: an expiry (and its lag), a cancellation or a refund."""
    if order.status == Order.Status.EXPIRED:
        business_metrics.EXPIRIES.inc()
        if order.expires_at is not None:
            lag = (timezone.now() - order.expires_at).total_seconds()
            business_metrics.EXPIRY_LAG_SECONDS.observe(max(lag, 0.0))
    elif order.status == Order.Status.CANCELLED:
        business_metrics.CANCELLATIONS.inc()
    elif order.status == Order.Status.REFUNDED:
        business_metrics.REFUNDS.inc()
