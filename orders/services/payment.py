"""Paying for a reservation, with the gateway called outside the order lock (see ``gateway``)."""

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from orders.models import Order, Payment
from orders.payments import PROVIDERS, get_provider
from orders.services import gateway, inventory, waitlist
from orders.services.locks import order_locked
from orders.signals import order_paid
from orders.tasks import order_receipt_send_task
from tixxety.exceptions import Conflict, DomainError, InvalidTransition, OrderExpired, PaymentDeclined
from tixxety.outbox import outbox_send

logger = logging.getLogger(__name__)


def order_pay(*, order_id: int, by: User, provider: str, token: str = "") -> Order:
    """Charge a reserved, unexpired order and turn its tickets valid.

    Only the owner pays with ``test``; ``manual`` (money taken at the box
    office) is for staff. The charge is recorded pending, the gateway is
    called with no lock held, and the answer is settled in a second
    transaction; call this outside a transaction, or the first one's lock
    lasts through the call. While the charge is pending, a second payment
    and a cancellation are refused (Conflict ``payment_in_progress``) and
    the expiry waits, so a charge begun within the hold completes the sale.
    A declined charge is recorded in the transaction log, logged, leaves the
    order reserved and raises PaymentDeclined. Paying a paid order, or one
    that expired or was cancelled, is refused (InvalidTransition,
    OrderExpired) before any charge, never charged twice. A charge answered
    after it was given up (``gateway.PENDING_TIMEOUT``) is refunded at once
    and refused (Conflict ``payment_timed_out``). On success the receipt
    e-mail and ``order_paid`` are sent after commit.
    """
    if provider not in PROVIDERS:
        raise DomainError(f"Unknown payment provider '{provider}'.", code="unknown_provider")
    payment_gateway = get_provider(provider)
    with transaction.atomic():
        order = order_locked(order_id, by=by)
        if payment_gateway.staff_only and not by.is_staff_member:
            raise DomainError(
                f"Payments with '{provider}' are recorded by staff.", code="provider_not_allowed"
            )
        _check_payable(order)
        gateway.check_no_payment_in_flight(order)
        charge = gateway.payment_start(order=order, kind=Payment.Kind.CHARGE, provider=provider, by=by)

    result = payment_gateway.charge(
        amount=charge.amount, currency=charge.currency, token=token, description=f"Tixxety order {order.code}"
    )

    with transaction.atomic():
        order = order_locked(order_id)
        settled = gateway.payment_settle(charge, result)
        if settled and result.succeeded:
            inventory.confirm_sale(order)
            order.status = Order.Status.PAID
            order.paid_at = timezone.now()
            order.save(update_fields=["status", "paid_at", "updated_at"])
            waitlist.waitlist_order_ended(order)
            outbox_send(order_receipt_send_task, order.pk)
            order_paid.send_on_commit(sender=Order, order=order)
    # Raised after the commit, so that the answer stays in the log.
    if not settled:
        if result.succeeded:
            gateway.refund_late_charge(charge)
        raise Conflict(
            "The payment provider answered too late; any charge is refunded.", code="payment_timed_out"
        )
    if not result.succeeded:
        logger.info("payment %s for order %s declined: %s", charge.pk, order.pk, result.failure_reason)
        raise PaymentDeclined(result.failure_reason)
    return order


def _check_payable(order: Order) -> None:
    if order.status == Order.Status.EXPIRED or order.hold_is_over():
        raise OrderExpired()
    if order.status != Order.Status.RESERVED:
        raise InvalidTransition(f"Only a reserved order can be paid; this one is {order.status}.")
