"""The cached catalogue reads show a committed change in the very next response.

Real commits (``transaction=True``), so the on-commit bumps really run, on
PostgreSQL and Redis when configured. A second read of an unchanged route is
served from the cache: no query at all.
"""

import pytest

from accounts.tests.factories import UserFactory
from events.services import seats_generate
from orders.services import order_cancel, order_pay, order_reserve
from orders.tests.factories import on_sale_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("invariants")]


def _reads(api_client, event) -> dict:
    """Every cached public read of ``event``, plus the home page counts."""
    listed = api_client.get("/api/events").json()["results"]
    return {
        "list": next(e for e in listed if e["id"] == event.pk),
        "detail": api_client.get(f"/api/events/{event.pk}").json(),
        "availability": api_client.get(f"/api/events/{event.pk}/availability").json(),
        "seats": api_client.get(f"/api/events/{event.pk}/seats").json(),
        "stats": api_client.get("/api/stats/homepage").json(),
    }


@pytest.fixture
def seated_sale():
    event, types = on_sale_event(Regular=10, Stalls=0)
    seats = seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=4)
    return event, types, seats


def test_a_second_read_is_served_from_the_cache(api_client, seated_sale, django_assert_num_queries):
    event, _, _ = seated_sale
    first = _reads(api_client, event)

    with django_assert_num_queries(0):
        second = {
            "detail": api_client.get(f"/api/events/{event.pk}").json(),
            "availability": api_client.get(f"/api/events/{event.pk}/availability").json(),
            "seats": api_client.get(f"/api/events/{event.pk}/seats").json(),
        }

    assert second == {name: first[name] for name in second}


def test_booking_paying_and_cancelling_show_in_the_next_reads(
    api_client, customer_api, customer, seated_sale
):
    event, types, seats = seated_sale
    before = _reads(api_client, event)
    assert before["list"]["booked_count"] == 0 and before["detail"]["available"] == 14

    booked = customer_api.post(
        f"/api/events/{event.pk}/book", {"ticket_type": types["Regular"].pk, "quantity": 3}, format="json"
    )
    seat_order = order_reserve(user=customer, event_id=event.pk, seat_ids=[seats[0].pk])
    assert booked.status_code == 201

    held = _reads(api_client, event)
    assert held["list"]["booked_count"] == 4 and held["list"]["available"] == 10
    assert held["detail"]["available"] == 10
    regular = next(t for t in held["availability"] if t["name"] == "Regular")
    assert (regular["reserved"], regular["available"]) == (3, 7)
    assert [s["state"] for s in held["seats"]] == ["held", "free", "free", "free"]

    order_pay(order_id=seat_order.pk, by=customer, provider="test", token="tok_visa")
    paid = _reads(api_client, event)
    assert [s["state"] for s in paid["seats"]] == ["sold", "free", "free", "free"]
    assert paid["stats"]["tickets_sold"] == before["stats"]["tickets_sold"] + 1

    order_cancel(order_id=booked.json()["id"], by=customer)
    released = _reads(api_client, event)
    assert released["list"]["booked_count"] == 1 and released["detail"]["available"] == 13


def test_joining_the_waitlist_shows_in_the_next_detail(api_client, client_for, customer):
    event, types = on_sale_event(Regular=2)
    order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    assert api_client.get(f"/api/events/{event.pk}").json()["waitlisted_count"] == 0
    customer_api = client_for(UserFactory())

    joined = customer_api.post(
        f"/api/events/{event.pk}/waitlist", {"ticket_type": types["Regular"].pk}, format="json"
    )

    assert joined.status_code == 201, joined.json()
    detail = api_client.get(f"/api/events/{event.pk}").json()
    assert detail["waitlisted_count"] == 1 and detail["ticket_types"][0]["waitlisted_count"] == 1


@pytest.mark.usefixtures("broker_down", "cache_down")
def test_with_redis_down_reads_answer_and_a_booking_still_shows(api_client, customer_api, seated_sale):
    event, _, seats = seated_sale
    assert _reads(api_client, event)["detail"]["available"] == 14

    booked = customer_api.post(f"/api/events/{event.pk}/book", {"seat_ids": [seats[1].pk]}, format="json")

    assert booked.status_code == 201
    after = _reads(api_client, event)
    assert after["detail"]["available"] == 13
    assert [s["state"] for s in after["seats"]] == ["free", "held", "free", "free"]
