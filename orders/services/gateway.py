"""Calling a payment gateway without holding the order: record pending, call, settle.

A gateway answers in milliseconds or in seconds. Holding the order row (and
so every request on that order) for that long would stall the order's
expiry, its cancellation, the admin and the owner's other tab, so
``order_pay`` and ``order_refund`` work in three steps, as pretix and
Saleor do:

1. a short transaction locks the order, checks it, and inserts a pending
   ``Payment`` (``payment_start``);
2. the gateway is called with no lock held and no transaction open;
3. a second short transaction locks the order again, records the answer
   (``payment_settle``) and confirms the sale or closes the order.

While a payment is pending nothing else changes its order: another payment
or refund and a cancellation are refused (Conflict ``payment_in_progress``)
and an expiry leaves the order to the next sweep, so a charge started within
the hold completes the sale even if the hold runs out while the gateway
answers. A payment pending for longer than ``PENDING_TIMEOUT`` belongs to a
process that died or a gateway that never answered: the next operation on
the order gives it up (failed, ``GIVEN_UP``) and goes on. If its answer
arrives after all, the row records the truth and the error is logged for
reconciliation; a charge taken that way is refunded at once
(``refund_late_charge``), since the order it was for may be gone. A provider
that raises instead of answering leaves its payment pending, as a crash
would: the error reaches the caller and the payment is given up in time.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from orders.models import Order, Payment
from orders.payments import ProviderResult, get_provider
from orders.services.locks import order_locked
from tickets.services import tickets_release_refund_hold
from tixxety.exceptions import Conflict

logger = logging.getLogger(__name__)

# Longer than any gateway call may take (a real client's timeout is seconds).
PENDING_TIMEOUT = timedelta(minutes=2)
GIVEN_UP = "No answer from the payment provider in time."
# Orders a sweep gives up payments for at most; the next minute's run takes the rest.
STALE_SWEEP_BATCH = 500


def payment_in_flight(order: Order) -> bool:
    """Whether the locked ``order`` has a payment pending; any past ``PENDING_TIMEOUT`` is given up."""
    _give_up_stale(order)
    return Payment.objects.filter(order=order, status=Payment.Status.PENDING).exists()


def payments_give_up_stale(*, limit: int = STALE_SWEEP_BATCH) -> int:
    """Give up payments pending past ``PENDING_TIMEOUT``, each order in its own transaction; returns how many.

    The next operation on an order gives its stale payment up anyway, but a
    paid order whose refund died with its process may never see one: its
    tickets would stay held for the refund, turned away at the door ("its
    order is being refunded"). The minute sweep
    (``payments_give_up_stale_task``) comes back for those.
    """
    deadline = timezone.now() - PENDING_TIMEOUT
    stale = (
        Payment.objects.filter(status=Payment.Status.PENDING, created_at__lte=deadline)
        .order_by("created_at")
        .values_list("order_id", flat=True)[:limit]
    )
    given_up = 0
    for order_id in dict.fromkeys(stale):
        with transaction.atomic():
            given_up += _give_up_stale(order_locked(order_id))
    return given_up


def _give_up_stale(order: Order) -> int:
    """Give up the locked ``order``'s payments pending past ``PENDING_TIMEOUT``; returns how many.

    Giving up a refund opens the door again to the tickets it held: an
    order has one payment pending at most, so every hold was that refund's.
    """
    given_up = Payment.objects.filter(
        order=order, status=Payment.Status.PENDING, created_at__lte=timezone.now() - PENDING_TIMEOUT
    ).update(status=Payment.Status.FAILED, failure_reason=GIVEN_UP)
    if given_up:
        tickets_release_refund_hold(order=order)
    return given_up


def check_no_payment_in_flight(order: Order) -> None:
    """Refuse (Conflict ``payment_in_progress``) to change the locked ``order`` while a payment is pending."""
    if payment_in_flight(order):
        raise Conflict(
            "A payment for this order is in progress; try again in a moment.", code="payment_in_progress"
        )


def payment_start(*, order: Order, kind: str, provider: str, by: User | None) -> Payment:
    """Insert the pending payment for the whole order total (step 1, under the order lock)."""
    return Payment.objects.create(
        order=order,
        kind=kind,
        amount=order.total,
        currency=order.currency,
        provider=provider,
        status=Payment.Status.PENDING,
        created_by=by,
    )


def payment_settle(payment: Payment, result: ProviderResult) -> bool:
    """Record the gateway's answer on ``payment`` (step 3, under the order lock).

    Returns False when the payment was given up meanwhile: its row then
    records the real answer anyway, and the caller must not act on it.
    """
    payment.status = Payment.Status.SUCCEEDED if result.succeeded else Payment.Status.FAILED
    payment.reference = result.reference
    payment.failure_reason = result.failure_reason
    answer = {
        "status": payment.status,
        "reference": payment.reference,
        "failure_reason": payment.failure_reason,
    }
    if Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(**answer):
        return True
    Payment.objects.filter(pk=payment.pk).update(**answer)
    logger.error(
        "payment %s (%s of order %s) answered %s after it was given up: reconcile with %s",
        payment.pk, payment.kind, payment.order_id, payment.status, payment.provider,
    )  # fmt: skip
    return False


def refund_late_charge(charge: Payment) -> Payment:
    """Refund a charge whose answer came after it was given up; call with no transaction open.

    The refund is recorded in the transaction log whatever the gateway
    says; a failed one is logged as an error for staff to settle by hand.
    """
    result = get_provider(charge.provider).refund(
        amount=charge.amount, currency=charge.currency, charge_reference=charge.reference
    )
    refund = Payment.objects.create(
        order_id=charge.order_id,
        kind=Payment.Kind.REFUND,
        amount=charge.amount,
        currency=charge.currency,
        provider=charge.provider,
        status=Payment.Status.SUCCEEDED if result.succeeded else Payment.Status.FAILED,
        reference=result.reference,
        failure_reason=result.failure_reason,
    )
    if not result.succeeded:
        logger.error("refund of late charge %s failed: %s", charge.pk, result.failure_reason)
    return refund
