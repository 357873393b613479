"""Dramatiq actors for orders: load by id, call the service, nothing else.

The services send these actors on commit, so the actors import the services
inside their bodies; importing at the top would be an import cycle.
"""

import dramatiq
from dramatiq_crontab import cron

from orders import emails
from orders.models import Order
from tixxety.heartbeat import SWEEP, record_run


@dramatiq.actor(max_retries=10, time_limit=60_000)
def expire_order(order_id: int) -> None:
    """Expire one reservation at its ``expires_at`` (sent delayed when it is made)."""
    from orders.services import order_expire

    order_expire(order_id=order_id)


@cron("* * * * *")
@dramatiq.actor(max_retries=0, time_limit=300_000)
def expire_overdue_orders() -> None:
    """Every minute: expire reservations whose message was lost (no retries: the next run is one)."""
    from orders.services import orders_expire_overdue

    orders_expire_overdue()
    record_run(SWEEP)  # /healthz reports the sweep degraded when this mark gets old


@dramatiq.actor(max_retries=5, time_limit=60_000)
def send_receipt_email(order_id: int) -> None:
    """Mail the receipt with the ticket list of a paid order."""
    order = (
        Order.objects.select_related("user", "event").filter(pk=order_id, status=Order.Status.PAID).first()
    )
    if order is not None:
        emails.send_receipt(order)


@cron("23 * * * *")
@dramatiq.actor(max_retries=0)
def purge_idempotency_records() -> None:
    """Hourly: forget Idempotency-Keys older than 24 hours."""
    from orders.services.idempotency import idempotency_purge

    idempotency_purge()
