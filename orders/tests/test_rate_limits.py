"""Booking and cart checkout share one limit per user (``booking``); Redis down, each process counts."""

import pytest

from tixxety.tests.rate_limits import assert_rate_limited

pytestmark = pytest.mark.usefixtures("invariants")


def book(api, sale, **headers):
    body = {"ticket_type": sale.regular.pk, "quantity": 1}
    return api.post(f"/api/events/{sale.event.pk}/book", body, format="json", **headers)


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
