"""The notifications orders sends to the apps on its right: once per transition, after commit."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from orders.models import Order
from orders.services import order_cancel, order_expire, order_pay, order_refund, order_reserve
from orders.signals import order_paid, order_reserved, tickets_released
from orders.tests.factories import on_sale_event
from tixxety.exceptions import SoldOut
from tixxety.jobs import AFTER_COMMIT_FAILURES

pytestmark = pytest.mark.usefixtures("invariants")


@pytest.fixture
def heard():
    """Every notification received, as (signal name, order status, ticket type ids)."""
    calls = []

    def receiver(signal, sender, order, ticket_type_ids=None, **kwargs):
        assert sender is Order
        calls.append((signal.name, order.status, ticket_type_ids))

    for signal in (order_reserved, order_paid, tickets_released):
        signal.connect(receiver, dispatch_uid="test.heard")
    yield calls
    for signal in (order_reserved, order_paid, tickets_released):
        signal.disconnect(dispatch_uid="test.heard")


@pytest.fixture
def sale():
    event, types = on_sale_event(Regular=4, VIP=2)
    return event, types["Regular"], types["VIP"]


def _overdue(order):
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_each_transition_notifies_once_and_only_when_its_transaction_commits(
    sale, customer, heard, django_capture_on_commit_callbacks
):
    event, regular, vip = sale
    with django_capture_on_commit_callbacks() as pending:
        booked = order_reserve(user=customer, event_id=event.pk, items=[(vip.pk, 1), (regular.pk, 2)])
    assert heard == []  # nothing before the commit
    for callback in pending:
        callback()
    assert heard == [("order_reserved", "reserved", sorted([regular.pk, vip.pk]))]

    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_pay(order_id=booked.pk, by=customer, provider="test", token="tok_visa")
        order_refund(order_id=booked.pk, by=customer)
        order_refund(order_id=booked.pk, by=customer)  # a no-op sends nothing
    assert heard == [
        ("order_paid", "paid", None),
        ("tickets_released", "refunded", sorted([regular.pk, vip.pk])),
    ]


@pytest.mark.django_db
def test_expire_and_cancel_release_once(sale, customer, heard, django_capture_on_commit_callbacks):
    event, regular, _ = sale
    expiring = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    cancelled = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    _overdue(expiring)

    with django_capture_on_commit_callbacks(execute=True):
        order_expire(order_id=expiring.pk)
        order_expire(order_id=expiring.pk)
        order_cancel(order_id=cancelled.pk, by=customer)
        order_cancel(order_id=cancelled.pk, by=customer)

    assert heard == [
        ("tickets_released", "expired", [regular.pk]),
        ("tickets_released", "cancelled", [regular.pk]),
    ]


@pytest.mark.django_db
def test_refused_and_declined_transitions_notify_nothing(
    sale, customer, heard, django_capture_on_commit_callbacks
):
    event, regular, _ = sale
    booked = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 4)])
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(SoldOut):
            order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
        with pytest.raises(Exception, match="declined"):
            order_pay(order_id=booked.pk, by=customer, provider="test", token="tok_declined")

    assert heard == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_notifications_come_after_the_commit_and_never_for_a_rollback(sale, customer):
    event, regular, _ = sale
    seen = []

    def receiver(order, **kwargs):  # what another process would see at that moment
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM orders_order WHERE id = %s", [order.pk])
            seen.append((connection.in_atomic_block, cursor.fetchone()))

    order_reserved.connect(receiver, dispatch_uid="test.seen")
    tickets_released.connect(receiver, dispatch_uid="test.seen")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            doomed = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
            order_cancel(order_id=doomed.pk, by=customer)
            raise RuntimeError("the caller's transaction fails later")
        assert seen == []
        assert not Order.objects.exists()

        order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
        order_cancel(order_id=order.pk, by=customer)
    finally:
        order_reserved.disconnect(dispatch_uid="test.seen")
        tickets_released.disconnect(dispatch_uid="test.seen")

    assert seen == [(False, ("reserved",)), (False, ("cancelled",))]


@pytest.mark.django_db
def test_a_raising_receiver_never_fails_the_service_and_the_others_still_run(
    sale, customer, django_capture_on_commit_callbacks, caplog
):
    event, regular, _ = sale
    order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    failures = AFTER_COMMIT_FAILURES.labels(what="signal tickets_released")
    before_failures = failures._value.get()
    later_receiver_ran = []

    def broken(**kwargs):
        raise ConnectionError("search index unreachable")

    tickets_released.connect(broken, dispatch_uid="test.broken")
    tickets_released.connect(
        lambda **kwargs: later_receiver_ran.append(True), weak=False, dispatch_uid="test.later"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            cancelled = order_cancel(order_id=order.pk, by=customer)
    finally:
        tickets_released.disconnect(dispatch_uid="test.broken")
        tickets_released.disconnect(dispatch_uid="test.later")

    assert cancelled.status == Order.Status.CANCELLED
    assert failures._value.get() == before_failures + 1
    assert "search index unreachable" in caplog.text
    assert later_receiver_ran == [True]  # a receiver after the broken one ran all the same
