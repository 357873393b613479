"""The event page with sales behind it: availability and the seat map as bookings leave them.

These live in orders because they book and pay through orders' services; the
rest of the catalogue pages are tested in events.
"""

import pytest

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory, seated_event
from orders.services import order_pay, order_reserve
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_event_page_shows_venue_times_prices_and_availability(client):
    event = EventFactory(venue=VenueFactory(name="Blue Hall", address="1 Quay St", city="Boston"))
    TicketTypeFactory(event=event, name="VIP", price="90.00", capacity=2)
    sold_out = TicketTypeFactory(event=event, name="Balcony", capacity=1)
    order_reserve(user=UserFactory(), event_id=event.pk, items=[(sold_out.pk, 1)])

    client.force_login(UserFactory())
    body = client.get(f"/events/{event.pk}/").content.decode()

    assert "Blue Hall" in body and "1 Quay St" in body
    assert "90.00 USD" in body and "2 left" in body
    assert "Sold out." in body and "Join the waitlist" in body
    assert 'name="qty_' in body and "Book now" in body


def test_event_page_seat_map_shows_free_held_and_sold(client):
    event, _ = seated_event(rows=1, seats_per_row=3)
    seats = list(event.seats.order_by("id"))
    buyer = UserFactory()
    order_reserve(user=buyer, event_id=event.pk, seat_ids=[seats[0].pk])
    paid = order_reserve(user=buyer, event_id=event.pk, seat_ids=[seats[1].pk])
    order_pay(order_id=paid.pk, by=buyer, provider="test", token="tok_visa")

    response = client.get(f"/events/{event.pk}/")

    states = {
        row["label"]: row["state"] for _, row_seats in response.context["seat_rows"] for row in row_seats
    }
    assert states == {"A1": "held", "A2": "sold", "A3": "free"}
    body = response.content.decode()
    assert body.count('name="seats"') == 3 and body.count(" disabled") == 2
    assert Ticket.objects.filter(status=Ticket.Status.VALID).count() == 1
