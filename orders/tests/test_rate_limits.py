"""Bookings, cart checkouts, queue requests and waitlist joins share one limit per user (``booking``).

Redis down, each process counts."""

import pytest

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory
from orders.models import TicketRequest, WaitlistEntry
from orders.services import order_reserve
from tixxety.tests.rate_limits import assert_rate_limited

pytestmark = pytest.mark.usefixtures("invariants")


def book(api, sale, **headers):
    body = {"ticket_type": sale.regular.pk, "quantity": 1}
    return api.post(f"/api/events/{sale.event.pk}/book", body, format="json", **headers)


def queue_request(api, event, body):
    return api.post(f"/api/events/{event.pk}/ticket-requests", body, format="json")


def checkout(api, sale):
    assert api.post("/api/cart/items", {"ticket_type": sale.regular.pk, "quantity": 1}).status_code == 201
    return api.post("/api/cart/checkout")


def test_booking_is_limited_per_user(customer_api, client_for, staff, sale, rate_limits):
    rate_limits(booking="3/m")
    for _ in range(3):
        assert book(customer_api, sale).status_code == 201

    assert_rate_limited(book(customer_api, sale), period_seconds=60)
    assert sale.event.orders.count() == 3
    assert book(client_for(staff), sale).status_code == 201


def test_the_default_allows_thirty_bookings_a_minute(customer_api, sale):
    sale.regular.capacity = 31
    sale.regular.save()
    for _ in range(30):
        assert book(customer_api, sale).status_code == 201

    assert_rate_limited(book(customer_api, sale), period_seconds=60)


def test_checkout_counts_against_the_same_limit(customer_api, sale, rate_limits):
    rate_limits(booking="2/m")
    assert book(customer_api, sale).status_code == 201
    assert checkout(customer_api, sale).status_code == 201

    refused = checkout(customer_api, sale)

    assert_rate_limited(refused, period_seconds=60)
    assert sale.event.orders.count() == 2
    assert customer_api.get("/api/cart").json()["items"], "the refused checkout left the cart alone"


def test_a_refused_request_is_not_stored_under_its_idempotency_key(customer_api, sale, rate_limits):
    rate_limits(booking="1/m")
    assert book(customer_api, sale).status_code == 201

    assert_rate_limited(book(customer_api, sale, HTTP_IDEMPOTENCY_KEY="later"), period_seconds=60)
    rate_limits(booking="5/m")
    assert book(customer_api, sale, HTTP_IDEMPOTENCY_KEY="later").status_code == 201


def test_reads_are_not_counted(customer_api, sale, rate_limits):
    rate_limits(booking="1/m")
    for _ in range(3):
        assert customer_api.get("/api/cart").status_code == 200

    assert book(customer_api, sale).status_code == 201


@pytest.mark.usefixtures("cache_down")
def test_booking_with_the_cache_down_is_limited_per_process(customer_api, sale, rate_limits):
    rate_limits(booking="2/m")
    for _ in range(2):
        assert book(customer_api, sale).status_code == 201

    assert_rate_limited(book(customer_api, sale), period_seconds=60)


def test_queue_requests_and_waitlist_joins_count_against_the_same_limit(customer_api, sale, rate_limits):
    # given a limit of three a minute, spent on a booking, a queue request and a waitlist join
    rate_limits(booking="3/m")
    queued = EventFactory(sale_mode=Event.SaleMode.QUEUE)
    queued_type = TicketTypeFactory(event=queued, capacity=10)
    assert book(customer_api, sale).status_code == 201
    request = {"ticket_type": queued_type.pk, "quantity": 1}
    assert queue_request(customer_api, queued, request).status_code == 202
    order_reserve(user=UserFactory(), event_id=sale.event.pk, items=[(sale.regular.pk, 9)])  # sold out
    join = {"ticket_type": sale.regular.pk, "quantity": 1}
    assert customer_api.post(f"/api/events/{sale.event.pk}/waitlist", join, format="json").status_code == 201

    # when the customer sends a fourth: a queue request to another event, then a waitlist join
    other = EventFactory(sale_mode=Event.SaleMode.QUEUE)
    other_request = {"ticket_type": TicketTypeFactory(event=other, capacity=10).pk, "quantity": 1}
    refused_request = queue_request(customer_api, other, other_request)
    refused_join = customer_api.post(f"/api/events/{sale.event.pk}/waitlist", join, format="json")

    # then both are refused with the limit's 429 and nothing more is queued or waiting
    assert_rate_limited(refused_request, period_seconds=60)
    assert_rate_limited(refused_join, period_seconds=60)
    assert TicketRequest.objects.filter(event=other).count() == 0
    assert WaitlistEntry.objects.filter(ticket_type=sale.regular).count() == 1
