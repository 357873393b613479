from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from events.models import Event, TicketType, Venue


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"Hall {n}")
    address = factory.Sequence(lambda n: f"{n} Main Street")
    city = "New York"
    latitude = 40.7128
    longitude = -74.0060


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Event {n}")
    slug = factory.Sequence(lambda n: f"event-{n}")
    description = "An evening of live music."
    venue = factory.SubFactory(VenueFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=3))
    status = Event.Status.PUBLISHED


class TicketTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketType

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Type {n}")
    price = Decimal("25.00")
    capacity = 100


def seated_event(*, rows: int = 2, seats_per_row: int = 5, price: str = "40.00", **event_fields):
    """A published event with one seated ticket type ("Stalls") and its seat grid."""
    from events.services import seats_generate

    event = EventFactory(**event_fields)
    stalls = TicketTypeFactory(
        event=event, name="Stalls", price=Decimal(price), capacity=rows * seats_per_row
    )
    seats_generate(event=event, ticket_type=stalls, rows=rows, seats_per_row=seats_per_row)
    stalls.refresh_from_db()
    return event, stalls


def catalogue(*, events: int = 8):
    """Realistic page data: ``events`` events in two cities with two ticket types each, plus a seated one."""
    cities = [("New York", 40.7128, -74.0060), ("Boston", 42.3601, -71.0589)]
    made = []
    for n in range(events):
        city, latitude, longitude = cities[n % 2]
        venue = VenueFactory(city=city, latitude=latitude, longitude=longitude)
        event = EventFactory(venue=venue, starts_at=timezone.now() + timedelta(days=n + 1))
        TicketTypeFactory(event=event, name="VIP", price=Decimal("90.00"), capacity=20, priority=10)
        TicketTypeFactory(event=event, name="Regular", price=Decimal("30.00"), capacity=80)
        made.append(event)
    made.append(seated_event(rows=4, seats_per_row=8)[0])
    return made
