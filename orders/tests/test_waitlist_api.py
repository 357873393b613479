"""/api/events/{id}/waitlist, /api/waitlist and /api/waitlist/{id}: who may do what, and the answers."""

import pytest

from accounts.tests.factories import UserFactory
from orders.models import WaitlistEntry
from orders.services import order_cancel, order_reserve
from orders.tests.factories import on_sale_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("invariants")]


@pytest.fixture
def sold_out(sale):
    """The sale's Regular type, sold out by one order of all its tickets."""
    order = order_reserve(user=UserFactory(), event_id=sale.event.pk, items=[(sale.regular.pk, 10)])
    return sale, order


def _join(api, event, ticket_type, quantity=1):
    return api.post(
        f"/api/events/{event.pk}/waitlist",
        {"ticket_type": ticket_type.pk, "quantity": quantity},
        format="json",
    )


def test_join_answers_201_with_the_entry_and_its_position(customer_api, client_for, sold_out):
    sale, _ = sold_out
    ahead = client_for(UserFactory())
    assert _join(ahead, sale.event, sale.regular).status_code == 201

    response = _join(customer_api, sale.event, sale.regular, 2)

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["quantity"], body["position"], body["order"]) == ("waiting", 2, 2, None)
    assert (body["event"], body["ticket_type"], body["ticket_type_name"]) == (
        sale.event.pk,
        sale.regular.pk,
        "Regular",
    )


def test_join_while_tickets_are_available_is_a_409(customer_api, sale):
    response = _join(customer_api, sale.event, sale.regular)

    assert response.status_code == 409
    assert response.json() == {"detail": "Tickets are available", "code": "tickets_available"}
    assert not WaitlistEntry.objects.exists()


def test_a_second_entry_for_the_same_type_is_a_409(customer_api, sold_out):
    sale, _ = sold_out
    _join(customer_api, sale.event, sale.regular)

    response = _join(customer_api, sale.event, sale.regular, 3)

    assert response.status_code == 409 and response.json()["code"] == "already_waiting"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"ticket_type": "x"}, 400),
        ({"ticket_type": 1, "quantity": 0}, 400),
        ({"ticket_type": 999999}, 404),
    ],
)
def test_bad_input_is_a_json_error(customer_api, sold_out, body, status):
    sale, _ = sold_out
    response = customer_api.post(f"/api/events/{sale.event.pk}/waitlist", body, format="json")
    assert response.status_code == status
    assert "detail" in response.json() and "code" in response.json()


def test_a_ticket_type_of_another_event_is_not_found(customer_api, sold_out):
    sale, _ = sold_out
    other_event, _ = on_sale_event(Other=1)
    response = _join(customer_api, other_event, sale.regular)
    assert response.status_code == 404 and response.json()["code"] == "ticket_type_not_found"


def test_my_waitlist_shows_only_mine_with_positions_and_the_offer(
    customer, customer_api, client_for, sold_out
):
    sale, order = sold_out
    stranger = client_for(UserFactory())
    _join(stranger, sale.event, sale.regular, 10)  # first in line, but too big for what frees
    mine = _join(customer_api, sale.event, sale.regular, 2).json()

    before = customer_api.get("/api/waitlist").json()["results"]
    assert [(e["id"], e["position"]) for e in before] == [(mine["id"], 2)]

    order_cancel(order_id=order.pk, by=order.user)  # frees 10: the stranger's entry takes all
    assert customer_api.get("/api/waitlist").json()["results"][0]["position"] == 1

    [stranger_entry] = stranger.get("/api/waitlist").json()["results"]
    assert stranger_entry["status"] == "offered" and stranger_entry["position"] is None
    assert (
        stranger_entry["order"]
        and stranger_entry["order_code"].startswith("TX-")
        and stranger_entry["order_expires_at"]
    )


def test_leave_mine_is_204_and_anothers_is_404(customer_api, client_for, sold_out):
    sale, _ = sold_out
    mine = _join(customer_api, sale.event, sale.regular).json()
    theirs = _join(client_for(UserFactory()), sale.event, sale.regular).json()

    assert customer_api.delete(f"/api/waitlist/{theirs['id']}").status_code == 404
    assert customer_api.delete(f"/api/waitlist/{mine['id']}").status_code == 204
    assert WaitlistEntry.objects.get(pk=mine["id"]).status == WaitlistEntry.Status.CANCELLED
    assert WaitlistEntry.objects.get(pk=theirs["id"]).status == WaitlistEntry.Status.WAITING


def test_anonymous_users_get_401(api_client, sold_out):
    sale, _ = sold_out
    assert _join(api_client, sale.event, sale.regular).status_code == 401
    assert api_client.get("/api/waitlist").status_code == 401
    assert api_client.delete("/api/waitlist/1").status_code == 401


def test_waitlisted_count_counts_the_waiting_customers_per_event_and_type(
    api_client, client_for, sold_out, django_capture_on_commit_callbacks
):
    sale, order = sold_out
    for quantity in (10, 1, 2):
        _join(client_for(UserFactory()), sale.event, sale.regular, quantity)

    body = api_client.get(f"/api/events/{sale.event.pk}").json()
    assert body["waitlisted_count"] == 3
    assert [(t["name"], t["waitlisted_count"]) for t in body["ticket_types"]] == [("Regular", 3)]

    # The first entry is offered: two still wait. On commit the cached detail is stale.
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, by=order.user)

    body = api_client.get(f"/api/events/{sale.event.pk}").json()
    assert body["waitlisted_count"] == 2 and body["ticket_types"][0]["waitlisted_count"] == 2


def test_ids_beyond_the_databases_integers_are_not_found(customer_api, sold_out):
    sale, _ = sold_out
    huge = "9" * 30
    assert customer_api.delete(f"/api/waitlist/{huge}").status_code == 404
    response = customer_api.post(
        f"/api/events/{huge}/waitlist", {"ticket_type": sale.regular.pk, "quantity": 1}, format="json"
    )
    assert response.status_code == 404 and response.json()["code"] == "ticket_type_not_found"


def test_my_waitlist_is_paginated_like_every_list(customer, customer_api, sold_out):
    sale, _ = sold_out
    for _ in range(3):  # left entries stay in the history: the list only grows
        entry = _join(customer_api, sale.event, sale.regular).json()
        assert customer_api.delete(f"/api/waitlist/{entry['id']}").status_code == 204

    first = customer_api.get("/api/waitlist?page_size=2").json()
    second = customer_api.get(first["next"]).json()

    assert first["count"] == 3 and len(first["results"]) == 2
    assert second["next"] is None and len(second["results"]) == 1
    assert {e["status"] for e in first["results"] + second["results"]} == {"cancelled"}
