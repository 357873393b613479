"""Dramatiq actors for orders: load by id, call the service, nothing else.

Each is named like the service it calls, with ``_task``; ``actor_name`` keeps
the name it had before, which is what messages already queued carry.

The services send these actors on commit, so the actors import the services
inside their bodies; importing at the top would be an import cycle.
"""

import dramatiq
from dramatiq_crontab import cron

from orders import emails
from orders.models import Order
from tixxety.heartbeat import SWEEP, record_run


@dramatiq.actor(actor_name="expire_order", max_retries=10, time_limit=60_000)
def order_expire_task(order_id: int) -> None:
    """Expire one reservation at its ``expires_at`` (sent delayed when it is made)."""
    from orders.services import order_expire

    order_expire(order_id=order_id)


@dramatiq.actor(max_retries=10, time_limit=300_000)
def orders_expire_task(order_ids: list[int]) -> None:
    """Expire a batch of reservations made together (the priority queue's) at their ``expires_at``."""
    from orders.services import order_expire

    for order_id in order_ids:
        order_expire(order_id=order_id)


@cron("* * * * *")
@dramatiq.actor(actor_name="expire_overdue_orders", max_retries=0, time_limit=300_000)
def orders_expire_overdue_task() -> None:
    """Every minute: expire reservations whose message was lost (no retries: the next run is one)."""
    from orders.services import orders_expire_overdue

    orders_expire_overdue()
    record_run(SWEEP)  # /healthz reports the sweep degraded when this mark gets old


@cron("* * * * *")
@dramatiq.actor(max_retries=0, time_limit=300_000)
def payments_give_up_stale_task() -> None:
    """Every minute: give up payments whose process died at the gateway, and free the tickets they held."""
    from orders.services.gateway import payments_give_up_stale

    payments_give_up_stale()


@dramatiq.actor(actor_name="send_receipt_email", max_retries=5, time_limit=60_000)
def order_receipt_send_task(order_id: int) -> None:
    """Mail the receipt with the ticket list of a paid order."""
    order = (
        Order.objects.select_related("user", "event").filter(pk=order_id, status=Order.Status.PAID).first()
    )
    if order is not None:
        emails.send_receipt(order)


@cron("23 * * * *")
@dramatiq.actor(actor_name="purge_idempotency_records", max_retries=0)
def idempotency_purge_task() -> None:
    """Hourly: forget Idempotency-Keys older than 24 hours."""
    from orders.services.idempotency import idempotency_purge

    idempotency_purge()


@dramatiq.actor(actor_name="send_waitlist_offer_email", max_retries=5, time_limit=60_000)
def waitlist_offer_send_task(order_id: int) -> None:
    """Tell a waitlisted customer that tickets are held for them, until when, and how to pay."""
    order = (
        Order.objects.select_related("user", "event")
        .filter(pk=order_id, status=Order.Status.RESERVED, source=Order.Source.WAITLIST)
        .first()
    )
    if order is not None:
        emails.send_waitlist_offer(order)


@dramatiq.actor(max_retries=3, time_limit=600_000)
def ticket_requests_process_task(event_id: int) -> None:
    """Sent on enqueue (debounced): decide the event's queued requests until none is left."""
    from orders.services.queue import ticket_requests_drain

    ticket_requests_drain(event_id=event_id)


@cron("* * * * *")
@dramatiq.actor(actor_name="process_ticket_queues", max_retries=0, time_limit=600_000)
def ticket_requests_tick_task() -> None:
    """Every minute: decide queued requests of every event, whatever enqueue message was lost."""
    from orders.services.queue import ticket_requests_process

    ticket_requests_process()
