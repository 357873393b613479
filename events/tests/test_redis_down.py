"""Browsing the catalogue needs no Redis: with the cache on a closed port it answers as usual."""

import pytest

from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cache_down")]


def test_anonymous_browsing_with_the_cache_down(api_client):
    event = EventFactory(status=Event.Status.PUBLISHED)
    TicketTypeFactory(event=event, name="Regular", capacity=50)

    listing = api_client.get("/api/events")
    detail = api_client.get(f"/api/events/{event.pk}")
    availability = api_client.get(f"/api/events/{event.pk}/availability")

    assert listing.status_code == 200
    assert [e["id"] for e in listing.json()["results"]] == [event.pk]
    assert (detail.status_code, detail.json()["available"]) == (200, 50)
    assert availability.status_code == 200
