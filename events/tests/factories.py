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
