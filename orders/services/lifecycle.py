"""Ending a reservation or a sale: expire, cancel, refund.

Each locks the order row first (then ticket types in id order, through
``inventory``) and re-reads its status under the lock, so a payment racing
an expiry, or a retried message, finds the state the winner left and does
nothing twice.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from orders.models import Order, Payment
from orders.payments import get_provider
from orders.services import inventory
from tixxety.exceptions import Conflict, DomainError, InvalidTransition, NotFound

SWEEP_BATCH = 500


def _locked(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found")
    return order


@transaction.atomic
def order_expire(*, order_id: int) -> Order | None:
    """Expire a reserved order whose hold has run out, and put its tickets back on sale.

    Safe to repeat and to run early: an order that is no longer reserved, or
    whose hold has not run out (the message came early), is left alone. A
    missing order is ignored (returns None): actors retry nothing for it.
    """
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.status != Order.Status.RESERVED or order.expires_at > timezone.now():
        return order
    inventory.release(order)
    order.status = Order.Status.EXPIRED
    order.save(update_fields=["status", "updated_at"])
    return order


def orders_expire_overdue(*, limit: int = SWEEP_BATCH) -> int:
    """Expire reserved orders past their hold whose expiry message was lost.

    Each order is expired in its own transaction, oldest first; returns how
    many of those found overdue are expired now (by this sweep or a message
    that arrived meanwhile).
    """
    overdue = Order.objects.filter(status=Order.Status.RESERVED, expires_at__lte=timezone.now())
    order_ids = list(overdue.order_by("expires_at").values_list("pk", flat=True)[:limit])
    expired = [order_expire(order_id=order_id) for order_id in order_ids]
    return sum(1 for order in expired if order and order.status == Order.Status.EXPIRED)


@transaction.atomic
def order_cancel(*, order_id: int, by: User) -> Order:
    """Cancel a reserved order (its owner or staff) and release its tickets.

    Cancelling a cancelled or expired order is a no-op; a paid order must be
    refunded instead (InvalidTransition).
    """
    order = _locked(order_id)
    if order.user_id != by.pk and not by.is_staff_member:
        raise NotFound("Order not found")
    if order.status in (Order.Status.CANCELLED, Order.Status.EXPIRED):
        return order
    if order.status != Order.Status.RESERVED:
        raise InvalidTransition(f"A {order.status} order cannot be cancelled; a paid order is refunded.")
    inventory.release(order)
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def order_refund(*, order_id: int, by: User) -> Order:
    """Refund a paid order: a refund payment, tickets void, tickets back on sale.

    The owner may refund until the event starts; staff may refund at any
    time. Refunding a refunded order is a no-op.
    """
    order = _locked(order_id)
    is_staff = by.is_staff_member
    if order.user_id != by.pk and not is_staff:
        raise NotFound("Order not found")
    if order.status == Order.Status.REFUNDED:
        return order
    if order.status != Order.Status.PAID:
        raise InvalidTransition(f"Only a paid order can be refunded; this one is {order.status}.")
    if not is_staff and order.event.starts_at <= timezone.now():
        raise Conflict("The event has started: ask the organiser for a refund.", code="refund_window_closed")
    charge = order.payments.filter(kind=Payment.Kind.CHARGE, status=Payment.Status.SUCCEEDED).first()
    if charge is None:
        raise DomainError("The order has no successful charge to refund.", code="no_charge")
    result = get_provider(charge.provider).refund(
        amount=order.total, currency=order.currency, charge_reference=charge.reference
    )
    if not result.succeeded:
        raise Conflict(f"The refund failed: {result.failure_reason}", code="refund_failed")
    Payment.objects.create(
        order=order,
        kind=Payment.Kind.REFUND,
        amount=order.total,
        currency=order.currency,
        status=Payment.Status.SUCCEEDED,
        provider=charge.provider,
        reference=result.reference,
        created_by=by,
    )
    inventory.release(order)
    order.status = Order.Status.REFUNDED
    order.save(update_fields=["status", "updated_at"])
    return order
