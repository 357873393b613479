"""The database refuses what must never be true, even when the API is bypassed."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from events.models import Event, Seat, TicketType, Venue
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory

pytestmark = pytest.mark.django_db


def _refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def ticket_type():
    return TicketTypeFactory(capacity=10)


@pytest.mark.parametrize(
    "changes",
    [
        {"reserved_count": 6, "sold_count": 5},
        {"capacity": 0, "sold_count": 1},
        {"reserved_count": -1},
        {"sold_count": -1},
        {"price": -1},
        {"max_per_order": 0},
    ],
)
def test_ticket_type_constraints(ticket_type, changes):
    assert _refused(lambda: TicketType.objects.filter(pk=ticket_type.pk).update(**changes))


def test_counters_may_fill_capacity_exactly(ticket_type):
    TicketType.objects.filter(pk=ticket_type.pk).update(reserved_count=4, sold_count=6)

    assert _refused(
        lambda: TicketType.objects.filter(pk=ticket_type.pk).update(reserved_count=F("reserved_count") + 1)
    )


def test_event_must_end_after_start():
    event = EventFactory()

    assert _refused(lambda: Event.objects.filter(pk=event.pk).update(ends_at=F("starts_at")))
    assert _refused(
        lambda: Event.objects.filter(pk=event.pk).update(ends_at=F("starts_at") - timedelta(hours=1))
    )


@pytest.mark.parametrize(
    "coordinates", [{"latitude": 90.5}, {"latitude": -91}, {"longitude": 180.1}, {"longitude": -200}]
)
def test_venue_coordinates_in_range(coordinates):
    venue = VenueFactory()

    assert _refused(lambda: Venue.objects.filter(pk=venue.pk).update(**coordinates))


def test_seat_labels_and_positions_unique_per_event(ticket_type):
    event = ticket_type.event
    Seat.objects.create(event=event, ticket_type=ticket_type, row_label="A", number=1, label="A1")

    assert _refused(
        lambda: Seat.objects.create(event=event, ticket_type=ticket_type, row_label="Z", number=9, label="A1")
    )
    assert _refused(
        lambda: Seat.objects.create(event=event, ticket_type=ticket_type, row_label="A", number=1, label="X")
    )
    other = TicketTypeFactory()
    Seat.objects.create(event=other.event, ticket_type=other, row_label="A", number=1, label="A1")


def test_ticket_type_names_unique_per_event(ticket_type):
    assert _refused(
        lambda: TicketType.objects.create(event=ticket_type.event, name=ticket_type.name, capacity=1)
    )
