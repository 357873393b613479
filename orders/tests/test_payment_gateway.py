"""The gateway is called with no lock held, and every race around a payment still ends one way.

Real concurrent transactions on PostgreSQL: the payer runs in a thread with
its own connection, and a provider registered for the test holds the call
open until the test lets it answer, so the test can act while the charge is
in flight.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import TicketType
from orders.models import Order, Payment
from orders.payments import PROVIDERS, ProviderResult, TestProvider
from orders.services import order_cancel, order_expire, order_pay, order_refund, order_reserve
from orders.services.gateway import PENDING_TIMEOUT, payment_in_flight
from orders.services.locks import order_locked
from orders.tests.factories import on_sale_event
from tickets.models import Ticket
from tickets.services import CheckInRefused, ticket_check_in
from tixxety.exceptions import DomainError

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants"),
]


class SlowProvider(TestProvider):
    """The test provider, except that each call waits until the test sets ``answer``."""

    name = "slow"

    def __init__(self):
        self.called = threading.Event()
        self.answer = threading.Event()
        self.refuse_refunds = False

    def _wait(self):
        self.called.set()
        assert self.answer.wait(10), "the test never let the gateway answer"

    def charge(self, **kwargs):
        self._wait()
        return super().charge(**kwargs)

    def refund(self, **kwargs):
        self._wait()
        if self.refuse_refunds:
            return ProviderResult(False, failure_reason="The charge is too old to refund.")
        return super().refund(**kwargs)


@pytest.fixture
def slow(monkeypatch):
    provider = SlowProvider()
    monkeypatch.setitem(PROVIDERS, provider.name, provider)
    return provider


@pytest.fixture
def sale():
    event, types = on_sale_event(Regular=5)
    return event, types["Regular"]


def _in_thread(job):
    """Start ``job`` in a thread with its own connection; the returned list gets its result or error."""
    outcome = []

    def run():
        try:
            outcome.append(job())
        except Exception as error:
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _regular(sale):
    return TicketType.objects.get(pk=sale[1].pk)


def _reserve(sale, buyer, quantity=2):
    event, regular = sale
    return order_reserve(user=buyer, event_id=event.pk, items=[(regular.pk, quantity)])


def _pay_slowly(sale, slow):
    """A reservation whose payment, in another thread, waits at the slow gateway."""
    buyer = UserFactory()
    order = _reserve(sale, buyer)
    payer, paid = _in_thread(
        lambda: order_pay(order_id=order.pk, by=buyer, provider="slow", token="tok_visa")
    )
    assert slow.called.wait(10)
    return buyer, order, payer, paid


def test_while_the_gateway_charges_the_order_is_free_and_guarded(sale, slow):
    # given a reservation whose payment is in flight at a slow gateway
    buyer, order, payer, paid = _pay_slowly(sale, slow)

    # when others reach for the order meanwhile
    with transaction.atomic():  # NOWAIT: an error, not a wait, if the payer held the row
        Order.objects.select_for_update(nowait=True).get(pk=order.pk)
    with pytest.raises(DomainError) as cancel:
        order_cancel(order_id=order.pk, by=buyer)
    with pytest.raises(DomainError) as second_payment:
        order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert order_expire(order_id=order.pk).status == "reserved"  # the sweep comes back later
    slow.answer.set()
    payer.join(10)

    # then nothing interfered with the charge, and it was the only one
    assert cancel.value.code == second_payment.value.code == "payment_in_progress"
    [result] = paid
    assert isinstance(result, Order) and result.status == "paid"
    assert list(Payment.objects.values_list("kind", "status", "provider")) == [
        ("charge", "succeeded", "slow")
    ]
    assert (_regular(sale).reserved_count, _regular(sale).sold_count) == (0, 2)


def test_a_charge_given_up_and_answered_late_is_refunded(sale, slow):
    # given a payment in flight whose gateway goes quiet past the timeout
    _, order, payer, paid = _pay_slowly(sale, slow)
    Payment.objects.update(created_at=timezone.now() - PENDING_TIMEOUT - timedelta(seconds=1))
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    # when the order expires, then the gateway answers that it charged
    expired = order_expire(order_id=order.pk)
    slow.answer.set()
    payer.join(10)

    # then the money goes back, the log says so, and the tickets stay on sale
    assert expired.status == "expired"
    [result] = paid
    assert isinstance(result, DomainError) and result.code == "payment_timed_out"
    log = list(Payment.objects.order_by("pk").values_list("kind", "status", "amount"))
    assert log == [("charge", "succeeded", order.total), ("refund", "succeeded", order.total)]
    assert (_regular(sale).reserved_count, _regular(sale).sold_count) == (0, 0)
    assert set(order.tickets.values_list("status", flat=True)) == {"void"}


@pytest.mark.parametrize("attempt", range(3))
def test_payment_racing_cancellation_ends_one_way(sale, attempt, race):
    buyer = UserFactory()
    order = _reserve(sale, buyer)

    pay, cancel = race(
        lambda: order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa"),
        lambda: order_cancel(order_id=order.pk, by=buyer),
    )

    order.refresh_from_db()
    charges = Payment.objects.filter(order=order, kind="charge", status="succeeded").count()
    if order.status == "paid":
        assert isinstance(pay, Order) and charges == 1
        assert isinstance(cancel, DomainError) and cancel.code in (
            "payment_in_progress",
            "invalid_transition",
        )
        assert _regular(sale).sold_count == 2
    else:
        assert order.status == "cancelled" and isinstance(cancel, Order)
        assert isinstance(pay, DomainError) and pay.code == "invalid_transition" and charges == 0
        assert _regular(sale).sold_count == _regular(sale).reserved_count == 0


@pytest.mark.parametrize("attempt", range(3))
def test_two_payments_of_one_order_charge_once(sale, attempt, race):
    buyer = UserFactory()
    order = _reserve(sale, buyer)

    results = race(*[lambda: order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")] * 2)

    paid = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(paid) == len(refused) == 1
    assert refused[0].code in ("payment_in_progress", "invalid_transition")
    assert Payment.objects.filter(order=order, status="succeeded").count() == 1
    assert not Payment.objects.filter(status="pending").exists()
    assert _regular(sale).sold_count == 2


@pytest.mark.parametrize("attempt", range(3))
def test_two_refunds_of_one_order_refund_once(sale, attempt, race):
    buyer, staff = UserFactory(), UserFactory(role="staff")
    order = _reserve(sale, buyer)
    order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")

    by_owner, by_staff = race(
        lambda: order_refund(order_id=order.pk, by=buyer), lambda: order_refund(order_id=order.pk, by=staff)
    )

    order.refresh_from_db()
    assert order.status == "refunded"
    for result in (by_owner, by_staff):  # the loser was refused, or found the order refunded
        assert (
            isinstance(result, Order) and result.status == "refunded"
        ) or result.code == "payment_in_progress"
    assert Payment.objects.filter(order=order, kind="refund", status="succeeded").count() == 1
    assert _regular(sale).sold_count == _regular(sale).reserved_count == 0


class RefusingRefunds(TestProvider):
    name = "no-refunds"

    def refund(self, **kwargs):
        return ProviderResult(False, failure_reason="The charge is too old to refund.")


def test_a_refused_refund_is_logged_and_the_order_stays_paid(sale, monkeypatch):
    monkeypatch.setitem(PROVIDERS, RefusingRefunds.name, RefusingRefunds())
    buyer = UserFactory()
    order = _reserve(sale, buyer)
    order_pay(order_id=order.pk, by=buyer, provider=RefusingRefunds.name, token="tok_visa")

    with pytest.raises(DomainError) as refused:
        order_refund(order_id=order.pk, by=buyer)

    assert refused.value.code == "refund_failed"
    order.refresh_from_db()
    assert order.status == "paid" and _regular(sale).sold_count == 2
    assert Payment.objects.get(kind="refund").failure_reason == "The charge is too old to refund."


def test_a_refund_given_up_and_answered_late_is_recorded_and_logged_for_staff(sale, slow, caplog):
    # given a paid order whose refund waits at a gateway that goes quiet past the timeout
    buyer = UserFactory()
    order = _reserve(sale, buyer)
    slow.answer.set()
    order_pay(order_id=order.pk, by=buyer, provider="slow", token="tok_visa")
    slow.answer.clear()
    slow.called.clear()
    refunder, refunded = _in_thread(lambda: order_refund(order_id=order.pk, by=buyer))
    assert slow.called.wait(10)
    Payment.objects.filter(kind="refund").update(
        created_at=timezone.now() - PENDING_TIMEOUT - timedelta(seconds=1)
    )

    # when the next look at the order gives the refund up, and then the gateway answers
    assert set(order.tickets.values_list("refund_pending", flat=True)) == {True}
    with transaction.atomic():
        assert not payment_in_flight(order_locked(order.pk))
    assert set(order.tickets.values_list("refund_pending", flat=True)) == {False}  # the door is open again
    slow.answer.set()
    refunder.join(10)

    # then the late answer is recorded as it was and logged, and the order is left for staff
    [result] = refunded
    assert isinstance(result, DomainError) and result.code == "payment_timed_out"
    assert Payment.objects.get(kind="refund").status == "succeeded"
    assert "answered succeeded after it was given up" in caplog.text
    order.refresh_from_db()
    assert order.status == "paid" and _regular(sale).sold_count == 2


# --- a refund racing a scan at the door ----------------------------------------------------


def _paid_slowly(sale, slow, buyer, quantity=1):
    """A paid order at the slow gateway (its charge let through at once); the gateway then waits again."""
    order = _reserve(sale, buyer, quantity)
    slow.answer.set()
    order_pay(order_id=order.pk, by=buyer, provider="slow", token="tok_visa")
    slow.answer.clear()
    slow.called.clear()
    return order


def _refund_slowly(order, by, slow):
    """Start refunding ``order`` in another thread and return once the gateway has been called."""
    refunder, refunded = _in_thread(lambda: order_refund(order_id=order.pk, by=by))
    assert slow.called.wait(10)
    return refunder, refunded


@pytest.mark.parametrize("refunder", ["owner", "staff"])
def test_a_scan_while_the_refund_is_at_the_gateway_is_turned_away(sale, slow, refunder):
    # given a paid order whose refund, by its owner or by staff, waits at the gateway
    buyer, staff = UserFactory(), UserFactory(role="staff")
    order = _paid_slowly(sale, slow, buyer)
    ticket = order.tickets.get()
    thread, refunded = _refund_slowly(order, buyer if refunder == "owner" else staff, slow)

    # when the ticket is scanned at the door meanwhile, and then the gateway refunds
    with pytest.raises(CheckInRefused) as scan:
        ticket_check_in(secret=ticket.secret, by=staff)
    slow.answer.set()
    thread.join(10)

    # then the door turned it away, and the refunded order has no checked-in ticket
    assert scan.value.code == "ticket_not_valid" and "being refunded" in scan.value.detail
    [result] = refunded
    assert isinstance(result, Order) and result.status == "refunded"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.checked_in_at, ticket.refund_pending) == ("void", None, False)
    assert _regular(sale).sold_count == 0


def test_a_refused_refund_opens_the_door_again(sale, slow):
    # given a paid order whose refund waits at a gateway that will refuse it
    buyer, staff = UserFactory(), UserFactory(role="staff")
    order = _paid_slowly(sale, slow, buyer)
    ticket = order.tickets.get()
    slow.refuse_refunds = True
    thread, refunded = _refund_slowly(order, buyer, slow)
    with pytest.raises(CheckInRefused):
        ticket_check_in(secret=ticket.secret, by=staff)

    # when the gateway refuses
    slow.answer.set()
    thread.join(10)

    # then the order stays paid and its ticket checks in as any valid one
    [result] = refunded
    assert isinstance(result, DomainError) and result.code == "refund_failed"
    order.refresh_from_db()
    assert order.status == "paid" and _regular(sale).sold_count == 1
    assert ticket_check_in(secret=ticket.secret, by=staff).checked_in_at is not None


def test_a_scan_that_commits_during_the_refunds_first_step_makes_the_owner_refund_refused(
    sale, until_blocked
):
    # given a paid order, and a scan of its ticket that has checked it in but not committed yet
    buyer, staff = UserFactory(), UserFactory(role="staff")
    order = _reserve(sale, buyer, 1)
    order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")
    ticket = order.tickets.get()
    scanned, commit = threading.Event(), threading.Event()

    def scan_then_wait():
        with transaction.atomic():
            admitted = ticket_check_in(secret=ticket.secret, by=staff)
            scanned.set()
            assert commit.wait(10), "the test never let the scan commit"
        return admitted

    scanner, scan = _in_thread(scan_then_wait)
    assert scanned.wait(10)

    # when the owner refunds meanwhile (the refund waits on the ticket row), and then the scan commits
    refunder, refunded = _in_thread(lambda: order_refund(order_id=order.pk, by=buyer))
    until_blocked()
    commit.set()
    scanner.join(10)
    refunder.join(10)

    # then the ticket was checked in once, and the refund refused, naming it
    [admitted], [result] = scan, refunded
    assert admitted.pk == ticket.pk
    assert isinstance(result, DomainError) and result.code == "ticket_checked_in"
    assert f"Ticket {ticket.pk} was checked in" in result.detail
    order.refresh_from_db()
    ticket.refresh_from_db()
    assert order.status == "paid" and not order.payments.filter(kind="refund").exists()
    assert (ticket.status, ticket.checked_in_by, ticket.refund_pending) == ("valid", staff, False)


@pytest.mark.parametrize("attempt", range(5))
def test_a_scan_racing_an_owner_refund_ends_one_way(sale, race, attempt):
    buyer, staff = UserFactory(), UserFactory(role="staff")
    order = _reserve(sale, buyer, 1)
    order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")
    ticket = order.tickets.get()

    scan, refund = race(
        lambda: ticket_check_in(secret=ticket.secret, by=staff),
        lambda: order_refund(order_id=order.pk, by=buyer),
    )

    order.refresh_from_db()
    ticket.refresh_from_db()
    if order.status == "refunded":  # the refund first: the door saw it held or void
        assert isinstance(scan, CheckInRefused) and scan.code == "ticket_not_valid"
        assert (ticket.status, ticket.checked_in_at) == ("void", None)
    else:  # the scan first: the owner may not refund a used ticket
        assert isinstance(scan, Ticket) and ticket.checked_in_at is not None
        assert isinstance(refund, DomainError) and refund.code == "ticket_checked_in"
        assert ticket.status == "valid"
    assert not ticket.refund_pending
