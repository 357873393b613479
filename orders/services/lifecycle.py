"""Ending a reservation or a sale: expire, cancel, refund.

Each locks the order row first (``order_locked``; then ticket types in id
order, through ``inventory``) and re-reads its status under the lock, so a
payment racing an expiry, or a retried message, finds the state the winner
left and does nothing twice. All three end in ``_close``.
"""

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from orders.models import Order, Payment
from orders.payments import get_provider
from orders.services import gateway, inventory, waitlist
from orders.services.locks import order_locked
from orders.signals import tickets_released
from tickets.services import tickets_hold_for_refund, tickets_release_refund_hold
from tixxety.exceptions import Conflict, DomainError, InvalidTransition, NotFound

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


def _close(order: Order, status: str) -> Order:
    """Put the locked order's tickets back on sale, void them and set ``status``.

    The one way an order ends. The freed tickets go to the waitlist first,
    in this transaction and under the ticket type locks the release took
    (DESIGN.md flow 5); ``tickets_released`` is sent on commit. The order
    is written before the release takes those locks, which every order of
    an event contends for, and holds until the commit.
    """
    paid = order.status == Order.Status.PAID
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    waitlist.waitlist_order_ended(order)
    ticket_type_ids = inventory.release(order, paid=paid)
    for ticket_type_id in ticket_type_ids:  # in id order, like every lock on them
        waitlist.waitlist_promote(ticket_type_id=ticket_type_id)
    tickets_released.send_on_commit(sender=Order, order=order, ticket_type_ids=ticket_type_ids)
    return order


@transaction.atomic
def order_expire(*, order_id: int) -> Order | None:
    """Expire a reserved order whose hold has run out, and put its tickets back on sale.

    Safe to repeat and to run early: an order that is no longer reserved, or
    whose hold has not run out (the message came early), is left alone, and
    so is one with a charge in flight (the sweep comes back for it). A
    missing order is ignored (returns None): actors retry nothing for it.
    """
    try:
        order = order_locked(order_id)
    except NotFound:
        return None
    if not order.hold_is_over() or gateway.payment_in_flight(order):
        return order
    return _close(order, Order.Status.EXPIRED)


def orders_expire_overdue(*, limit: int = SWEEP_BATCH) -> int:
    """Expire reserved orders past their hold whose expiry message was lost.

    Each order is expired in its own transaction, oldest first; returns how
    many of those found overdue are expired now (by this sweep or a message
    that arrived meanwhile).
    """
    overdue = Order.objects.overdue().order_by("expires_at")
    expired = [order_expire(order_id=order_id) for order_id in overdue.values_list("pk", flat=True)[:limit]]
    return sum(1 for order in expired if order and order.status == Order.Status.EXPIRED)


@transaction.atomic
def order_cancel(*, order_id: int, by: User) -> Order:
    """Cancel a reserved order (its owner or staff) and release its tickets.

    Cancelling a cancelled or expired order is a no-op; a paid order must be
    refunded instead (InvalidTransition); while a charge is in flight the
    cancellation is refused (Conflict ``payment_in_progress``).
    """
    order = order_locked(order_id, by=by)
    if order.status in (Order.Status.CANCELLED, Order.Status.EXPIRED):
        return order
    if order.status != Order.Status.RESERVED:
        raise InvalidTransition(f"A {order.status} order cannot be cancelled; a paid order is refunded.")
    gateway.check_no_payment_in_flight(order)
    return _close(order, Order.Status.CANCELLED)


def order_refund(*, order_id: int, by: User) -> Order:
    """Refund a paid order: a refund payment, tickets void, tickets back on sale.

    The owner may refund until the event starts; staff may refund at any
    time. Refunding a refunded order is a no-op. Like ``order_pay``, the
    refund is recorded pending and the gateway is called with no lock held
    (see ``gateway``); a second refund meanwhile is refused (Conflict
    ``payment_in_progress``), so an order is refunded once. A refund the
    gateway refuses is logged and raises Conflict ``refund_failed``; the
    order stays paid.

    A checked-in ticket was used: its owner cannot refund the order
    (Conflict ``ticket_checked_in``); staff can, and the void ticket keeps
    its check-in. So that no ticket is checked in while the gateway refunds
    it, the first step holds the order's valid tickets at the door
    (``tickets_hold_for_refund``: a scan meanwhile is refused
    ``ticket_not_valid``, "being refunded") before it looks for a check-in;
    the hold's UPDATE and a scan's serialize on the ticket row, so the look
    sees every check-in that beat the hold. A refused refund lifts the hold;
    a refund given up lifts it when it is given up (``gateway``).
    """
    with transaction.atomic():
        order = order_locked(order_id, by=by)
        if order.status == Order.Status.REFUNDED:
            return order
        if order.status != Order.Status.PAID:
            raise InvalidTransition(f"Only a paid order can be refunded; this one is {order.status}.")
        if not by.is_staff_member and order.event.starts_at <= timezone.now():
            raise Conflict(
                "The event has started: ask the organiser for a refund.", code="refund_window_closed"
            )
        charge = order.payments.filter(kind=Payment.Kind.CHARGE, status=Payment.Status.SUCCEEDED).first()
        if charge is None:
            raise DomainError("The order has no successful charge to refund.", code="no_charge")
        gateway.check_no_payment_in_flight(order)
        tickets_hold_for_refund(order=order)  # first, then look: a racing scan has committed by now
        checked_in = None if by.is_staff_member else order.tickets.exclude(checked_in_at=None).first()
        if checked_in is not None:  # the error rolls the hold back
            when = timezone.localtime(checked_in.checked_in_at).strftime("%Y-%m-%d %H:%M")
            raise Conflict(
                f"Ticket {checked_in.pk} was checked in at {when}; ask the organiser for a refund.",
                code="ticket_checked_in",
            )
        refund = gateway.payment_start(order=order, kind=Payment.Kind.REFUND, provider=charge.provider, by=by)

    result = get_provider(charge.provider).refund(
        amount=refund.amount, currency=refund.currency, charge_reference=charge.reference
    )

    with transaction.atomic():
        order = order_locked(order_id)
        settled = gateway.payment_settle(refund, result)
        if settled and result.succeeded:
            _close(order, Order.Status.REFUNDED)
        elif settled:  # refused; a refund given up had its hold lifted then, and may have a successor's now
            tickets_release_refund_hold(order=order)
    # Raised after the commit, so that the answer stays in the log.
    if not settled:
        raise Conflict(
            "The payment provider answered too late; staff will check the refund.", code="payment_timed_out"
        )
    if not result.succeeded:
        logger.warning("refund %s for order %s failed: %s", refund.pk, order.pk, result.failure_reason)
        raise Conflict(f"The refund failed: {result.failure_reason}", code="refund_failed")
    return order
