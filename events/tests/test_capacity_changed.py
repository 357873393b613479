"""events.signals.capacity_changed: sent once per real change, inside the transaction, under the lock."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from events.models import TicketType
from events.services import seats_generate, ticket_type_update
from events.signals import capacity_changed
from events.tests.factories import TicketTypeFactory
from tixxety.exceptions import CapacityBelowBooked

pytestmark = pytest.mark.django_db

UID = "events.tests.capacity_changed"


@pytest.fixture
def receive():
    """Connect a receiver for one test; it records each call, then runs ``then`` if given."""
    calls = []

    def connect(then=None):
        def receiver(sender, **kwargs):
            calls.append({"sender": sender, **kwargs})
            if then is not None:
                then(**kwargs)

        capacity_changed.connect(receiver, dispatch_uid=UID, weak=False)
        return calls

    yield connect
    capacity_changed.disconnect(dispatch_uid=UID)


def test_capacity_changed_is_sent_once_with_the_row_and_the_previous_capacity(receive):
    ticket_type = TicketTypeFactory(capacity=40)
    calls = receive()

    updated = ticket_type_update(ticket_type=ticket_type, capacity=55, price="30.00")

    assert len(calls) == 1
    (call,) = calls
    assert call["sender"] is TicketType
    assert call["previous_capacity"] == 40
    assert call["ticket_type"] is updated
    assert call["ticket_type"].capacity == 55


@pytest.mark.parametrize("changes", [{"capacity": 40}, {"price": "30.00", "name": "Renamed"}])
def test_capacity_changed_is_not_sent_when_capacity_stays(receive, changes):
    ticket_type = TicketTypeFactory(capacity=40)
    calls = receive()

    ticket_type_update(ticket_type=ticket_type, **changes)

    assert calls == []


def test_capacity_changed_is_not_sent_for_a_refused_change(receive):
    ticket_type = TicketTypeFactory(capacity=40)
    TicketType.objects.filter(pk=ticket_type.pk).update(sold_count=30)
    calls = receive()

    with pytest.raises(CapacityBelowBooked):
        ticket_type_update(ticket_type=ticket_type, capacity=20)

    assert calls == []


def test_receivers_run_inside_the_transaction_and_see_the_new_capacity(receive):
    ticket_type = TicketTypeFactory(capacity=40)
    seen = {}

    def look(ticket_type, **kwargs):
        seen["in_atomic_block"] = connection.in_atomic_block
        seen["stored_capacity"] = TicketType.objects.get(pk=ticket_type.pk).capacity

    receive(then=look)

    ticket_type_update(ticket_type=ticket_type, capacity=41)

    assert seen == {"in_atomic_block": True, "stored_capacity": 41}


def test_a_raising_receiver_rolls_the_capacity_change_back(receive):
    ticket_type = TicketTypeFactory(capacity=40, price="25.00")

    def refuse(**kwargs):
        raise RuntimeError("the waitlist could not take the freed tickets")

    receive(then=refuse)

    with pytest.raises(RuntimeError, match="waitlist"):
        ticket_type_update(ticket_type=ticket_type, capacity=60, price="99.00")

    ticket_type.refresh_from_db()
    assert (ticket_type.capacity, str(ticket_type.price)) == (40, "25.00")


def test_generating_seats_sends_capacity_changed(receive):
    ticket_type = TicketTypeFactory(capacity=1)
    calls = receive()

    seats_generate(event=ticket_type.event, ticket_type=ticket_type, rows=2, seats_per_row=5)

    assert [(call["previous_capacity"], call["ticket_type"].capacity) for call in calls] == [(1, 10)]


def _lock_from_another_connection(ticket_type_id: int) -> str:
    """Try to lock the row from a fresh connection in another thread, without waiting."""
    outcome = []

    def attempt():
        try:
            with transaction.atomic():
                TicketType.objects.select_for_update(nowait=True).get(pk=ticket_type_id)
            outcome.append("got the lock")
        except DatabaseError:
            outcome.append("row locked")
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_receivers_run_while_the_ticket_type_row_is_still_locked(receive):
    # Given a receiver that tries to lock the row from another connection
    ticket_type = TicketTypeFactory(capacity=40)
    seen = []
    receive(then=lambda ticket_type, **kwargs: seen.append(_lock_from_another_connection(ticket_type.pk)))

    # When the capacity moves
    ticket_type_update(ticket_type=ticket_type, capacity=45)

    # Then the receiver found the row locked, and the lock went with the commit
    assert seen == ["row locked"]
    assert _lock_from_another_connection(ticket_type.pk) == "got the lock"
