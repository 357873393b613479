from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event, Seat, TicketType
from events.services import seats_generate
from orders import services
from orders.models import Cart, CartItem, Order
from orders.tests.factories import on_sale_event
from tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("invariants")


def _add(api, body):
    return api.post("/api/cart/items", body, format="json")


def _checkout(api, **headers):
    return api.post("/api/cart/checkout", format="json", **headers)


def _seated_event(rows=1, seats_per_row=3, **other_types):
    """A published event with a seated 'Stalls' type (A1, A2, ...) and the given unseated types."""
    event, types = on_sale_event(Stalls=0, **other_types)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=rows, seats_per_row=seats_per_row)
    types["Stalls"].refresh_from_db()
    return event, types, {seat.label: seat for seat in Seat.objects.filter(event=event)}


def _lines(api):
    return [(item["name"], item["seat"], item["quantity"]) for item in api.get("/api/cart").json()["items"]]


def _counters(*ticket_types):
    return [
        (t.reserved_count, t.sold_count)
        for t in TicketType.objects.filter(pk__in=[t.pk for t in ticket_types]).order_by("pk")
    ]


# Reading and changing the cart


def test_cart_starts_empty_without_writing(customer_api):
    response = customer_api.get("/api/cart")

    assert response.status_code == 200
    assert response.json() == {"event": None, "items": [], "total": "0.00", "currency": None}
    assert not Cart.objects.exists()


def test_cart_add_shows_line_totals_and_total(customer_api):
    # given two types at different prices
    event, types = on_sale_event(VIP=20, Regular=80)
    TicketType.objects.filter(pk=types["VIP"].pk).update(price=Decimal("60.50"))

    # when both are added to the cart
    _add(customer_api, {"ticket_type": types["VIP"].pk, "quantity": 2})
    response = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 3})

    # then the cart shows each line's total and the cart's total
    assert response.status_code == 201
    body = response.json()
    assert body["event"] == event.pk and body["currency"] == "USD"
    assert [
        {k: item[k] for k in ("ticket_type", "name", "event", "seat", "quantity", "unit_price", "line_total")}
        for item in body["items"]
    ] == [
        {
            "ticket_type": types["VIP"].pk,
            "name": "VIP",
            "event": event.pk,
            "seat": None,
            "quantity": 2,
            "unit_price": "60.50",
            "line_total": "121.00",
        },
        {
            "ticket_type": types["Regular"].pk,
            "name": "Regular",
            "event": event.pk,
            "seat": None,
            "quantity": 3,
            "unit_price": "25.00",
            "line_total": "75.00",
        },
    ]
    assert body["total"] == "196.00"
    assert customer_api.get("/api/cart/").json() == body


def test_cart_add_same_type_merges_into_its_line(customer_api):
    _, types = on_sale_event(Regular=80)

    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2})
    response = _add(customer_api, {"ticket_type": types["Regular"].pk})

    assert response.status_code == 201
    assert [(i["quantity"], i["line_total"]) for i in response.json()["items"]] == [(3, "75.00")]
    assert CartItem.objects.count() == 1


def test_cart_does_not_hold_inventory(customer_api, client_for):
    event, types = on_sale_event(Regular=2)
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2})

    assert _counters(types["Regular"]) == [(0, 0)]
    other = client_for(UserFactory())
    booked = other.post(f"/api/events/{event.pk}/book", {"ticket_type": types["Regular"].pk, "quantity": 2})
    assert booked.status_code == 201


def test_cart_update_item_sets_its_quantity(customer_api):
    _, types = on_sale_event(Regular=80)
    item_id = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2}).json()["items"][0]["id"]

    response = customer_api.patch(f"/api/cart/items/{item_id}", {"quantity": 5}, format="json")

    assert response.status_code == 200
    assert response.json()["items"][0]["quantity"] == 5 and response.json()["total"] == "125.00"
    assert CartItem.objects.get().quantity == 5


def test_cart_remove_item_keeps_the_other_lines(customer_api):
    _, types = on_sale_event(VIP=20, Regular=80)
    _add(customer_api, {"ticket_type": types["VIP"].pk, "quantity": 1})
    item_id = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2}).json()["items"][1]["id"]

    response = customer_api.delete(f"/api/cart/items/{item_id}/")

    assert response.status_code == 204
    assert _lines(customer_api) == [("VIP", None, 1)]
    again = customer_api.delete(f"/api/cart/items/{item_id}")
    assert (again.status_code, again.json()["code"]) == (404, "cart_item_not_found")


def test_cart_clear_empties_it_and_is_repeatable(customer_api):
    _, types = on_sale_event(VIP=20, Regular=80)
    _add(customer_api, {"ticket_type": types["VIP"].pk, "quantity": 1})
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2})

    assert customer_api.delete("/api/cart").status_code == 204
    assert customer_api.delete("/api/cart/").status_code == 204

    assert customer_api.get("/api/cart").json()["items"] == []
    assert not CartItem.objects.exists()


def test_cart_holds_one_event_only(customer_api):
    event, types = on_sale_event(Regular=80)
    _, other_types = on_sale_event(Other=80)
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})

    response = _add(customer_api, {"ticket_type": other_types["Other"].pk, "quantity": 1})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "cart_other_event"
    assert event.title in body["detail"] and "check out or clear your cart" in body["detail"]
    assert _lines(customer_api) == [("Regular", None, 1)]


def test_cart_takes_another_event_once_cleared(customer_api):
    _, types = on_sale_event(Regular=80)
    other_event, other_types = on_sale_event(Other=80)
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})
    customer_api.delete("/api/cart")

    response = _add(customer_api, {"ticket_type": other_types["Other"].pk, "quantity": 1})

    assert response.status_code == 201 and response.json()["event"] == other_event.pk


def test_cart_refuses_more_than_max_per_order(customer_api):
    # given a type sold at most four per order
    _, types = on_sale_event(Regular=80)
    TicketType.objects.filter(pk=types["Regular"].pk).update(max_per_order=4)
    item_id = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 3}).json()["items"][0]["id"]

    # when the cart would hold five, by adding, merging or changing a line
    too_many = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 5})
    merged_too_many = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2})
    updated_too_many = customer_api.patch(f"/api/cart/items/{item_id}", {"quantity": 5}, format="json")

    # then each is refused with the limit and the cart keeps its line
    for response in (too_many, merged_too_many, updated_too_many):
        assert response.status_code == 400
        assert response.json() == {
            "detail": "At most 4 'Regular' tickets per order.",
            "code": "max_per_order",
        }
    assert _lines(customer_api) == [("Regular", None, 3)]
    assert customer_api.patch(f"/api/cart/items/{item_id}", {"quantity": 4}).status_code == 200


def test_cart_refuses_a_second_currency(customer_api):
    _, types = on_sale_event(Regular=80, Euro=80)
    TicketType.objects.filter(pk=types["Euro"].pk).update(currency="EUR")
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})

    response = _add(customer_api, {"ticket_type": types["Euro"].pk, "quantity": 1})

    assert response.status_code == 400 and response.json()["code"] == "mixed_currency"
    assert CartItem.objects.count() == 1


@pytest.mark.parametrize("status", [Event.Status.DRAFT, Event.Status.DEACTIVATED, Event.Status.CANCELLED])
def test_cart_takes_only_published_events(customer_api, status):
    event, types = on_sale_event(Regular=10)
    Event.objects.filter(pk=event.pk).update(status=status)

    response = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})

    assert response.status_code == 409
    assert response.json() == {"detail": "Tickets for this event are not on sale.", "code": "not_on_sale"}
    assert not CartItem.objects.exists()


def test_cart_refuses_events_that_are_over(customer_api):
    event, types = on_sale_event(Regular=10)
    past = timezone.now() - timedelta(days=2)
    Event.objects.filter(pk=event.pk).update(starts_at=past, ends_at=past + timedelta(hours=3))

    response = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})

    assert response.status_code == 409 and response.json()["code"] == "not_on_sale"
    assert not CartItem.objects.exists()


def test_cart_refuses_queue_mode_events(customer_api):
    event, types = on_sale_event(Regular=10)
    Event.objects.filter(pk=event.pk).update(sale_mode=Event.SaleMode.QUEUE)

    response = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})

    assert response.status_code == 409 and response.json()["code"] == "queue_only"
    assert not CartItem.objects.exists()


# Seats


def test_cart_add_seat_implies_its_ticket_type(customer_api):
    event, types, seats = _seated_event()

    response = _add(customer_api, {"seat_id": seats["A2"].pk})

    assert response.status_code == 201
    [item] = response.json()["items"]
    assert item["ticket_type"] == types["Stalls"].pk and item["name"] == "Stalls"
    assert (item["seat"], item["seat_id"], item["quantity"], item["line_total"]) == (
        "A2",
        seats["A2"].pk,
        1,
        "25.00",
    )
    assert item["event"] == event.pk


def test_cart_add_same_seat_twice_is_refused(customer_api):
    _, _, seats = _seated_event()
    _add(customer_api, {"seat_id": seats["A1"].pk})

    response = _add(customer_api, {"seat_id": seats["A1"].pk})

    assert response.status_code == 409
    assert response.json() == {"detail": "Seat A1 is already in your cart.", "code": "seat_in_cart"}
    assert CartItem.objects.count() == 1


def test_cart_seat_quantity_stays_one(customer_api):
    _, _, seats = _seated_event()
    item_id = _add(customer_api, {"seat_id": seats["A1"].pk}).json()["items"][0]["id"]

    response = customer_api.patch(f"/api/cart/items/{item_id}", {"quantity": 2}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "seat_quantity"
    assert CartItem.objects.get().quantity == 1
    assert customer_api.patch(f"/api/cart/items/{item_id}", {"quantity": 1}).status_code == 200


def test_cart_seats_count_towards_max_per_order(customer_api):
    _, types, seats = _seated_event()
    TicketType.objects.filter(pk=types["Stalls"].pk).update(max_per_order=2)
    _add(customer_api, {"seat_id": seats["A1"].pk})
    _add(customer_api, {"seat_id": seats["A2"].pk})

    response = _add(customer_api, {"seat_id": seats["A3"].pk})

    assert response.status_code == 400 and response.json()["code"] == "max_per_order"
    assert CartItem.objects.count() == 2


# Checkout


def test_cart_checkout_reserves_one_order_and_empties_the_cart(customer_api, customer):
    # given a cart of two tickets and two seats
    event, types, seats = _seated_event(Regular=80)
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2})
    _add(customer_api, {"seat_id": seats["A1"].pk})
    _add(customer_api, {"seat_id": seats["A3"].pk})

    # when it is checked out
    response = _checkout(customer_api)

    # then one reserved order of everything in it, and the cart is empty
    assert response.status_code == 201
    order = response.json()
    assert order["status"] == "reserved" and order["source"] == "cart" and order["expires_at"]
    assert order["event"]["id"] == event.pk and order["user"] == customer.email
    assert order["total"] == "100.00" and order["currency"] == "USD"
    assert sorted((line["name"], line["quantity"]) for line in order["lines"]) == [
        ("Regular", 2),
        ("Stalls", 2),
    ]
    assert sorted(t["seat"] or "" for t in order["tickets"]) == ["", "", "A1", "A3"]
    assert _counters(types["Stalls"], types["Regular"]) == [(2, 0), (2, 0)]
    assert Order.objects.get().source == Order.Source.CART
    assert customer_api.get("/api/cart").json()["items"] == []


def test_cart_checkout_is_all_or_nothing(customer_api, client_for):
    # given a cart whose VIP ticket a rival booked meanwhile
    event, types = on_sale_event(VIP=1, Regular=80)
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2})
    _add(customer_api, {"ticket_type": types["VIP"].pk, "quantity": 1})
    rival = client_for(UserFactory())
    assert (
        rival.post(
            f"/api/events/{event.pk}/book", {"ticket_type": types["VIP"].pk, "quantity": 1}
        ).status_code
        == 201
    )
    before = _counters(types["VIP"], types["Regular"])

    # when it is checked out
    response = _checkout(customer_api)

    # then nothing is reserved and the cart is kept as it was
    assert response.status_code == 409
    assert response.json() == {"detail": "'VIP' is sold out", "code": "sold_out"}
    assert Order.objects.count() == 1  # the rival's
    assert _counters(types["VIP"], types["Regular"]) == before
    assert _lines(customer_api) == [("Regular", None, 2), ("VIP", None, 1)]


def test_cart_checkout_with_a_seat_taken_meanwhile_names_it(customer_api, client_for):
    event, types, seats = _seated_event()
    _add(customer_api, {"seat_id": seats["A1"].pk})
    _add(customer_api, {"seat_id": seats["A2"].pk})
    rival = client_for(UserFactory())
    assert rival.post(f"/api/events/{event.pk}/book", {"seat_ids": [seats["A2"].pk]}).status_code == 201

    response = _checkout(customer_api)

    assert response.status_code == 409
    assert response.json() == {"detail": "Seat A2 is already taken", "code": "seat_taken"}
    assert Order.objects.count() == 1
    assert _counters(types["Stalls"]) == [(1, 0)]
    assert _lines(customer_api) == [("Stalls", "A1", 1), ("Stalls", "A2", 1)]


def test_cart_checkout_refuses_an_event_no_longer_on_sale(customer_api):
    event, types = on_sale_event(Regular=10)
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})
    Event.objects.filter(pk=event.pk).update(status=Event.Status.DEACTIVATED)

    response = _checkout(customer_api)

    assert response.status_code == 409 and response.json()["code"] == "not_on_sale"
    assert not Order.objects.exists() and CartItem.objects.count() == 1


def test_cart_checkout_of_an_empty_cart_is_400(customer_api):
    response = _checkout(customer_api)

    assert response.status_code == 400
    assert response.json() == {"detail": "Your cart is empty.", "code": "cart_empty"}
    assert not Order.objects.exists()


def test_cart_checkout_with_idempotency_key_replays_the_same_order(customer_api):
    _, types = on_sale_event(Regular=10)
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2})

    first = _checkout(customer_api, HTTP_IDEMPOTENCY_KEY="checkout-1")
    retry = _checkout(customer_api, HTTP_IDEMPOTENCY_KEY="checkout-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1 and _counters(types["Regular"]) == [(2, 0)]
    assert _checkout(customer_api, HTTP_IDEMPOTENCY_KEY="checkout-2").json()["code"] == "cart_empty"


# Who may touch which cart


def test_cart_item_of_another_user_is_404_and_unchanged(customer_api, client_for):
    _, types = on_sale_event(Regular=10)
    other = client_for(UserFactory())
    item_id = _add(other, {"ticket_type": types["Regular"].pk, "quantity": 2}).json()["items"][0]["id"]
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})

    updated = customer_api.patch(f"/api/cart/items/{item_id}", {"quantity": 5}, format="json")
    removed = customer_api.delete(f"/api/cart/items/{item_id}")

    assert updated.status_code == removed.status_code == 404
    assert updated.json() == {"detail": "Cart item not found.", "code": "cart_item_not_found"}
    assert CartItem.objects.get(pk=item_id).quantity == 2
    assert _lines(customer_api) == [("Regular", None, 1)]
    assert _lines(other) == [("Regular", None, 2)]


def test_cart_checkout_and_clear_touch_only_your_own_cart(customer_api, client_for):
    _, types = on_sale_event(Regular=10)
    other = client_for(UserFactory())
    _add(other, {"ticket_type": types["Regular"].pk, "quantity": 2})

    checkout = _checkout(customer_api)
    assert (checkout.status_code, checkout.json()["code"]) == (400, "cart_empty")
    assert not Order.objects.exists()
    assert customer_api.delete("/api/cart").status_code == 204

    assert _lines(other) == [("Regular", None, 2)]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/cart"),
        ("delete", "/api/cart"),
        ("post", "/api/cart/items"),
        ("patch", "/api/cart/items/1"),
        ("delete", "/api/cart/items/1"),
        ("post", "/api/cart/checkout"),
    ],
)
def test_cart_needs_a_signed_in_user(api_client, method, path):
    response = getattr(api_client, method)(path, {"quantity": 1}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# Bad input


@pytest.mark.parametrize(
    "body",
    [
        {"ticket_type": "REGULAR", "quantity": 0},
        {"ticket_type": "REGULAR", "quantity": -3},
        {"ticket_type": "REGULAR", "quantity": 10**9},
        {"ticket_type": "REGULAR", "quantity": "many"},
        {"ticket_type": "REGULAR", "quantity": None},
        {"ticket_type": "REGULAR", "quantity": True},
        {"ticket_type": "vip", "quantity": 1},
        {"ticket_type": 0, "quantity": 1},
        {"ticket_type": -1, "quantity": 1},
        {"ticket_type": [1], "quantity": 1},
        {"quantity": 1},
        {},
        {"seat_id": "A1"},
        {"seat_id": 0},
        {"seat_id": "SEAT", "quantity": 2},
        {"seat_id": "SEAT", "ticket_type": "REGULAR"},
        [1, 2, 3],
        "ticket",
    ],
)
def test_malformed_additions_are_400_and_write_nothing(customer_api, body):
    _, types, seats = _seated_event(Regular=10)

    def resolve(value):
        return {"REGULAR": types["Regular"].pk, "SEAT": seats["A1"].pk}.get(value, value)

    if isinstance(body, dict):
        body = {key: resolve(value) if isinstance(value, str) else value for key, value in body.items()}

    response = _add(customer_api, body)

    assert response.status_code == 400, response.json()
    assert response.json()["detail"] and response.json()["code"]
    assert not Cart.objects.exists() and not CartItem.objects.exists()


@pytest.mark.parametrize(
    "body", [{"quantity": 0}, {"quantity": -1}, {"quantity": 10**9}, {"quantity": "x"}, {}]
)
def test_malformed_updates_are_400_and_change_nothing(customer_api, body):
    _, types = on_sale_event(Regular=10)
    item_id = _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 2}).json()["items"][0]["id"]

    response = customer_api.patch(f"/api/cart/items/{item_id}", body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] and response.json()["code"]
    assert CartItem.objects.get().quantity == 2


def test_unknown_ticket_types_seats_and_items_are_404(customer_api):
    # given ids that name no ticket type, seat or cart item
    on_sale_event(Regular=10)

    # when they are added, changed or removed
    responses = {
        "ticket_type": _add(customer_api, {"ticket_type": 999999, "quantity": 1}),
        "huge ticket_type": _add(customer_api, {"ticket_type": 10**30, "quantity": 1}),
        "seat": _add(customer_api, {"seat_id": 999999}),
        "item": customer_api.patch("/api/cart/items/999999", {"quantity": 1}, format="json"),
        "huge item": customer_api.delete(f"/api/cart/items/{10**30}"),
        "malformed item": customer_api.patch("/api/cart/items/abc", {"quantity": 1}, format="json"),
    }

    # then each is a 404 with its code
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)
    assert all(r.json()["detail"] and r.json()["code"] for r in responses.values())
    assert responses["ticket_type"].json()["code"] == "ticket_type_not_found"
    assert responses["seat"].json()["code"] == "seat_not_found"
    assert not Cart.objects.exists() and not CartItem.objects.exists()


def test_cart_lists_in_constant_queries(customer_api, django_assert_max_num_queries):
    # The JWT's user and the cart's lines, whatever the number of lines.
    _, types, seats = _seated_event(seats_per_row=8, Regular=80, VIP=20)
    _add(customer_api, {"ticket_type": types["Regular"].pk, "quantity": 1})
    with django_assert_max_num_queries(2):
        assert len(customer_api.get("/api/cart").json()["items"]) == 1

    _add(customer_api, {"ticket_type": types["VIP"].pk, "quantity": 2})
    for seat in seats.values():
        _add(customer_api, {"seat_id": seat.pk})
    with django_assert_max_num_queries(2):
        assert len(customer_api.get("/api/cart").json()["items"]) == 10


# Races


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_additions_of_one_user_merge_into_one_line(race):
    # given a user without a cart
    user = UserFactory()
    _, types = on_sale_event(Regular=80)
    TicketType.objects.filter(pk=types["Regular"].pk).update(max_per_order=50)

    # when eight additions of two tickets arrive at once
    results = race(
        *[lambda: services.cart_add_item(user=user, ticket_type_id=types["Regular"].pk, quantity=2)] * 8
    )

    # then one cart with one line of sixteen
    assert not [r for r in results if isinstance(r, Exception)]
    assert Cart.objects.filter(user=user).count() == 1
    assert list(CartItem.objects.values_list("quantity", flat=True)) == [16]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_of_one_cart_reserve_once(race):
    # given a cart of three tickets
    user = UserFactory()
    _, types = on_sale_event(Regular=80)
    services.cart_add_item(user=user, ticket_type_id=types["Regular"].pk, quantity=3)

    # when four checkouts of it arrive at once
    results = race(*[lambda: services.cart_checkout(user=user)] * 4)

    # then one order; the others find the cart already empty
    outcomes = sorted("ordered" if isinstance(r, Order) else getattr(r, "code", repr(r)) for r in results)
    assert outcomes == ["cart_empty", "cart_empty", "cart_empty", "ordered"]
    assert Order.objects.count() == 1 and Ticket.objects.count() == 3
    assert _counters(types["Regular"]) == [(3, 0)]
