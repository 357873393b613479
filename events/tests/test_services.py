"""The catalogue services write only their own fields; inventory counters stay with inventory code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event, TicketType, Venue
from events.services import (
    event_create,
    event_update,
    seats_generate,
    ticket_type_create,
    ticket_type_update,
    venue_create,
    venue_update,
)
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory
from tixxety.exceptions import CapacityFollowsSeats
from tixxety.services import NotWritable

pytestmark = pytest.mark.django_db


def _counters(ticket_type):
    ticket_type.refresh_from_db()
    return ticket_type.capacity, ticket_type.reserved_count, ticket_type.sold_count


@pytest.mark.parametrize(
    "changes",
    [{"reserved_count": 7}, {"sold_count": 7}, {"capacity": 60, "reserved_count": 0}, {"event_id": 1}],
)
def test_ticket_type_update_refuses_counters_and_unknown_fields_and_changes_nothing(changes):
    ticket_type = TicketTypeFactory(capacity=50)
    TicketType.objects.filter(pk=ticket_type.pk).update(reserved_count=3, sold_count=2)

    with pytest.raises(NotWritable, match="ticket_type_update does not write"):
        ticket_type_update(ticket_type=ticket_type, **changes)

    assert _counters(ticket_type) == (50, 3, 2)


@pytest.mark.parametrize("extra", [{"reserved_count": 7}, {"sold_count": 7}, {"colour": "gold"}])
def test_ticket_type_create_refuses_counters_and_unknown_fields(extra):
    event = EventFactory()

    with pytest.raises(NotWritable, match="ticket_type_create does not write"):
        ticket_type_create(event=event, name="VIP", price="10.00", capacity=20, **extra)

    assert not TicketType.objects.filter(event=event).exists()


def test_event_create_refuses_counters_smuggled_in_its_ticket_types():
    with pytest.raises(NotWritable):
        event_create(
            title="Gala",
            venue=VenueFactory(),
            starts_at=timezone.now() + timedelta(days=1),
            ends_at=timezone.now() + timedelta(days=1, hours=2),
            ticket_types=[{"name": "VIP", "capacity": 20, "sold_count": 20}],
        )

    assert not Event.objects.filter(title="Gala").exists()


def test_venue_services_refuse_unknown_fields():
    venue = VenueFactory(name="Hall")

    with pytest.raises(NotWritable, match="venue_create does not write"):
        venue_create(name="Arena", latitude=0, longitude=0, capacity=500)
    with pytest.raises(NotWritable, match="venue_update does not write"):
        venue_update(venue=venue, name="Renamed", id=999)

    assert list(Venue.objects.values_list("name", flat=True)) == ["Hall"]


def test_event_services_refuse_unknown_fields():
    event = EventFactory(title="Before")

    with pytest.raises(NotWritable, match="event_create does not write"):
        event_create(
            title="New",
            venue=event.venue,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            created_at=event.starts_at,
        )
    with pytest.raises(NotWritable, match="event_update does not write"):
        event_update(event=event, title="After", updated_at=event.starts_at)

    assert list(Event.objects.values_list("title", flat=True)) == ["Before"]


# --- a seated ticket type's capacity is its number of seats -----------------


def test_a_seated_ticket_type_capacity_follows_its_seats():
    stalls = TicketTypeFactory(name="Stalls", capacity=1)
    seats_generate(event=stalls.event, ticket_type=stalls, rows=2, seats_per_row=10)

    with pytest.raises(CapacityFollowsSeats) as refused:
        ticket_type_update(ticket_type=stalls, capacity=25)

    assert (
        refused.value.detail
        == "Capacity of 'Stalls' is its 20 seats: generate or replace seats to change it."
    )
    assert _counters(stalls) == (20, 0, 0)
    # Other fields and the capacity it already has stay writable.
    assert ticket_type_update(ticket_type=stalls, capacity=20, name="Front stalls").name == "Front stalls"
