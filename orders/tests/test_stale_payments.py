"""A payment whose process died at the gateway is given up by the minute sweep, not only by the next request.

A crash is a provider that raises: ``order_refund`` then leaves its refund
pending and the order's tickets held at the door, as a process killed
mid-call would.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from orders.models import Payment
from orders.payments import PROVIDERS, TestProvider
from orders.services import order_pay, order_refund, order_reserve
from orders.services.gateway import GIVEN_UP, PENDING_TIMEOUT
from orders.tasks import payments_give_up_stale_task
from orders.tests.factories import on_sale_event
from tickets.services import CheckInRefused, ticket_check_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("invariants")]


class CrashingRefunds(TestProvider):
    """Charges as the test provider; a refund call never returns (it raises, as a dying process would)."""

    name = "crashing-refunds"

    def refund(self, **kwargs):
        raise ConnectionResetError("the process died at the gateway")


@pytest.fixture
def refund_died(monkeypatch):
    """A paid order of two tickets whose owner's refund died at the gateway: refund pending, tickets held."""
    monkeypatch.setitem(PROVIDERS, CrashingRefunds.name, CrashingRefunds())
    event, types = on_sale_event(Regular=5)
    buyer = UserFactory()
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    order_pay(order_id=order.pk, by=buyer, provider=CrashingRefunds.name, token="tok_visa")
    with pytest.raises(ConnectionResetError):
        order_refund(order_id=order.pk, by=buyer)
    return order


def _age(payment_kind: str, by: timedelta) -> None:
    Payment.objects.filter(kind=payment_kind).update(created_at=timezone.now() - by)


def test_the_sweep_gives_up_a_dead_refund_and_the_door_admits_its_tickets(refund_died):
    staff = UserFactory(role="staff")
    ticket = refund_died.tickets.first()
    with pytest.raises(CheckInRefused) as held:
        ticket_check_in(secret=ticket.secret, by=staff)
    assert held.value.code == "ticket_not_valid"

    _age("refund", PENDING_TIMEOUT + timedelta(seconds=1))
    payments_give_up_stale_task()

    refund = Payment.objects.get(kind="refund")
    assert (refund.status, refund.failure_reason) == ("failed", GIVEN_UP)
    assert set(refund_died.tickets.values_list("refund_pending", flat=True)) == {False}
    refund_died.refresh_from_db()
    assert refund_died.status == "paid"
    assert ticket_check_in(secret=ticket.secret, by=staff).checked_in_at is not None


def test_the_sweep_leaves_a_refund_still_within_its_time(refund_died):
    _age("refund", PENDING_TIMEOUT - timedelta(seconds=5))

    payments_give_up_stale_task()

    assert Payment.objects.get(kind="refund").status == "pending"
    assert set(refund_died.tickets.values_list("refund_pending", flat=True)) == {True}


def test_after_the_sweep_the_owner_can_ask_for_the_refund_again(refund_died, monkeypatch):
    _age("refund", PENDING_TIMEOUT + timedelta(seconds=1))
    payments_give_up_stale_task()
    monkeypatch.setitem(PROVIDERS, CrashingRefunds.name, TestProvider())  # the gateway is back

    order = order_refund(order_id=refund_died.pk, by=refund_died.user)

    assert order.status == "refunded"
    assert list(Payment.objects.filter(kind="refund").values_list("status", flat=True).order_by("id")) == [
        "failed",
        "succeeded",
    ]
