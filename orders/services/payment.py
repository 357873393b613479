from django.db import transaction
from django.utils import timezone

from accounts.models import User
from orders.models import Order, Payment
from orders.payments import PROVIDERS, get_provider
from orders.services import inventory
from orders.tasks import send_receipt_email
from tixxety.exceptions import DomainError, InvalidTransition, NotFound, OrderExpired, PaymentDeclined
from tixxety.outbox import outbox_send


def order_pay(*, order_id: int, by: User, provider: str, token: str = "") -> Order:
    """Charge a reserved, unexpired order and turn its tickets valid.

    Only the owner pays with ``test``; ``manual`` (money taken at the box
    office) is for staff. A declined charge is recorded in the transaction
    log, leaves the order reserved and raises PaymentDeclined. Paying a paid
    order, or one that expired or was cancelled meanwhile, is refused
    (InvalidTransition, OrderExpired), never charged twice. The receipt
    e-mail is queued after commit.
    """
    if provider not in PROVIDERS:
        raise DomainError(f"Unknown payment provider '{provider}'.", code="unknown_provider")
    gateway = get_provider(provider)
    declined = None
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or (order.user_id != by.pk and not by.is_staff_member):
            raise NotFound("Order not found")
        if gateway.staff_only and not by.is_staff_member:
            raise DomainError(
                f"Payments with '{provider}' are recorded by staff.", code="provider_not_allowed"
            )
        _check_payable(order)
        result = gateway.charge(
            amount=order.total,
            currency=order.currency,
            token=token,
            description=f"Tixxety order {order.code}",
        )
        Payment.objects.create(
            order=order,
            amount=order.total,
            currency=order.currency,
            provider=provider,
            status=Payment.Status.SUCCEEDED if result.succeeded else Payment.Status.FAILED,
            reference=result.reference,
            failure_reason=result.failure_reason,
            created_by=by,
        )
        if result.succeeded:
            inventory.confirm_sale(order)
            order.status = Order.Status.PAID
            order.paid_at = timezone.now()
            order.save(update_fields=["status", "paid_at", "updated_at"])
            outbox_send(send_receipt_email, order.pk)
        else:
            declined = result.failure_reason
    if declined is not None:
        # Raised after the commit so that the failed attempt stays in the log.
        raise PaymentDeclined(declined)
    return order


def _check_payable(order: Order) -> None:
    if order.status == Order.Status.EXPIRED or (
        order.status == Order.Status.RESERVED and order.expires_at <= timezone.now()
    ):
        raise OrderExpired()
    if order.status != Order.Status.RESERVED:
        raise InvalidTransition(f"Only a reserved order can be paid; this one is {order.status}.")
