"""The waitlist against real concurrent transactions on PostgreSQL: freed tickets reach it first."""

import threading

import pytest
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from events.models import TicketType
from orders.models import Order, WaitlistEntry
from orders.services import order_cancel, order_reserve
from orders.services.waitlist import waitlist_join, waitlist_leave
from orders.tests.factories import on_sale_event
from tixxety.exceptions import SoldOut

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants"),
]

ATTEMPTS = 5
BUYERS = 6
TRIES = 30  # each buyer books again and again, before and after the cancellation commits


@pytest.mark.parametrize("attempt", range(ATTEMPTS))
def test_a_booking_racing_a_cancellation_never_takes_the_ticket_a_waiting_entry_fits(race, attempt):
    # given a sold-out type, one order to cancel and one customer waiting for one ticket
    event, types = on_sale_event(Regular=1)
    regular = types["Regular"]
    held = order_reserve(user=UserFactory(), event_id=event.pk, items=[(regular.pk, 1)])
    entry = waitlist_join(user=UserFactory(), ticket_type_id=regular.pk, quantity=1)
    buyers = [UserFactory() for _ in range(BUYERS)]

    # when the order is cancelled while buyers keep trying to book that type
    def book(user):
        for _ in range(TRIES):
            try:
                return order_reserve(user=user, event_id=event.pk, items=[(regular.pk, 1)])
            except SoldOut as refused:
                last = refused
        return last

    results = race(
        lambda: order_cancel(order_id=held.pk, by=held.user),
        *[lambda u=u: book(u) for u in buyers],
    )

    # then the cancellation went through, the waiting customer holds the ticket, no buyer got it
    assert results[0].status == Order.Status.CANCELLED
    assert all(isinstance(result, SoldOut) for result in results[1:]), results[1:]
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert entry.order.status == Order.Status.RESERVED
    assert TicketType.objects.get(pk=regular.pk).available == 0


@pytest.mark.parametrize("attempt", range(ATTEMPTS))
def test_leaving_while_being_promoted_ends_in_one_state(race, attempt):
    # given one order to cancel and two customers waiting
    event, types = on_sale_event(Regular=1)
    regular = types["Regular"]
    held = order_reserve(user=UserFactory(), event_id=event.pk, items=[(regular.pk, 1)])
    first = waitlist_join(user=UserFactory(), ticket_type_id=regular.pk, quantity=1)
    second = waitlist_join(user=UserFactory(), ticket_type_id=regular.pk, quantity=1)

    # when the first leaves just as the cancellation promotes
    race(
        lambda: order_cancel(order_id=held.pk, by=held.user),
        lambda: waitlist_leave(entry_id=first.pk, by=first.user),
    )

    # then the first has left (and any offer it got is cancelled), the ticket is with the second
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistEntry.Status.CANCELLED
    assert first.order is None or first.order.status == Order.Status.CANCELLED
    assert second.status == WaitlistEntry.Status.OFFERED
    assert TicketType.objects.get(pk=regular.pk).available == 0


def test_leaving_while_the_promotion_is_not_yet_committed_cancels_the_offer():
    # given one order to cancel and two customers waiting
    event, types = on_sale_event(Regular=1)
    regular = types["Regular"]
    held = order_reserve(user=UserFactory(), event_id=event.pk, items=[(regular.pk, 1)])
    first = waitlist_join(user=UserFactory(), ticket_type_id=regular.pk, quantity=1)
    second = waitlist_join(user=UserFactory(), ticket_type_id=regular.pk, quantity=1)
    promoted, commit = threading.Event(), threading.Event()

    def cancel_and_hold_the_transaction_open():
        try:
            with transaction.atomic():
                order_cancel(order_id=held.pk, by=held.user)  # the first entry is offered, not committed
                promoted.set()
                commit.wait(timeout=10)
        finally:
            connection.close()

    canceller = threading.Thread(target=cancel_and_hold_the_transaction_open)
    canceller.start()
    promoted.wait(timeout=10)
    # when the first leaves while that transaction is open (it commits a moment after the leave started)
    threading.Timer(0.3, commit.set).start()
    waitlist_leave(entry_id=first.pk, by=first.user)
    canceller.join()

    # then the offer is cancelled with the entry, and the ticket went on to the second
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistEntry.Status.CANCELLED
    assert first.order.status == Order.Status.CANCELLED
    assert second.status == WaitlistEntry.Status.OFFERED
