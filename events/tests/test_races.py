"""Capacity changes racing bookings, with real concurrent transactions on PostgreSQL."""

import threading

import pytest
from django.db import connection
from django.db.models import F

from events import services
from events.models import TicketType
from events.tests.factories import TicketTypeFactory
from tixxety.exceptions import CapacityBelowBooked

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _book_one(ticket_type_id: int) -> bool:
    """The shape of a reservation: a conditional increment that fails when full."""
    return bool(
        TicketType.objects.filter(
            pk=ticket_type_id, reserved_count__lte=F("capacity") - F("sold_count") - 1
        ).update(reserved_count=F("reserved_count") + 1)
    )


def test_lowering_capacity_never_undercuts_concurrent_bookings():
    ticket_type = TicketTypeFactory(capacity=40)
    barrier = threading.Barrier(21)
    booked, capacity_outcome = [], []

    def buyer():
        try:
            barrier.wait()
            booked.append(_book_one(ticket_type.pk))
        finally:
            connection.close()

    def admin():
        try:
            barrier.wait()
            services.ticket_type_update(ticket_type=ticket_type, capacity=10)
            capacity_outcome.append("lowered")
        except CapacityBelowBooked:
            capacity_outcome.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer) for _ in range(20)] + [threading.Thread(target=admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ticket_type.refresh_from_db()
    assert ticket_type.reserved_count == sum(booked)
    assert ticket_type.reserved_count + ticket_type.sold_count <= ticket_type.capacity
    if capacity_outcome == ["lowered"]:
        assert ticket_type.capacity == 10 and ticket_type.reserved_count <= 10
    else:
        assert (
            capacity_outcome == ["refused"] and ticket_type.capacity == 40 and ticket_type.reserved_count > 10
        )
