import pytest

from events.models import Event, Seat, TicketType
from events.services import seats_generate
from orders.models import Order
from orders.tests.factories import on_sale_event
from tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("invariants")


def _book(api, event, body, **headers):
    return api.post(f"/api/events/{event.pk}/book", body, format="json", **headers)


def _nothing_booked() -> bool:
    """No order and no ticket written (the invariants check then holds every counter at zero)."""
    return not Order.objects.exists() and not Ticket.objects.exists()


def test_book_by_quantity(customer_api, customer):
    event, types = on_sale_event(Regular=80)

    response = _book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 3})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "reserved" and body["total"] == "75.00" and body["currency"] == "USD"
    assert body["code"].startswith("TX-")
    assert len(body["tickets"]) == 3 and {t["status"] for t in body["tickets"]} == {"reserved"}
    assert body["expires_at"]
    types["Regular"].refresh_from_db()
    assert types["Regular"].reserved_count == 3


def test_book_items_across_types(customer_api):
    # given an event with two types
    event, types = on_sale_event(VIP=20, Regular=80)

    # when one booking asks for both
    response = _book(
        customer_api,
        event,
        {
            "items": [
                {"ticket_type": types["VIP"].pk, "quantity": 2},
                {"ticket_type": types["Regular"].pk, "quantity": 1},
            ]
        },
    )

    # then one order with a line per type
    assert response.status_code == 201
    assert sorted((line["name"], line["quantity"]) for line in response.json()["lines"]) == [
        ("Regular", 1),
        ("VIP", 2),
    ]


def test_book_seats(customer_api, api_client):
    event, types = on_sale_event(Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=2, seats_per_row=5)
    a1, a2 = Seat.objects.filter(label__in=["A1", "A2"]).order_by("label")

    response = _book(customer_api, event, {"seat_ids": [a1.pk, a2.pk]})

    assert response.status_code == 201
    assert sorted(t["seat"] for t in response.json()["tickets"]) == ["A1", "A2"]
    states = {s["label"]: s["state"] for s in api_client.get(f"/api/events/{event.pk}/seats").json()}
    assert states["A1"] == states["A2"] == "held" and states["A3"] == "free"


def test_taken_seat_is_409_naming_it(customer_api, client_for, staff):
    event, types = on_sale_event(Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=3)
    b = Seat.objects.get(label="A2")
    assert _book(customer_api, event, {"seat_ids": [b.pk]}).status_code == 201

    response = _book(client_for(staff), event, {"seat_ids": [Seat.objects.get(label="A1").pk, b.pk]})

    assert response.status_code == 409
    assert response.json() == {"detail": "Seat A2 is already taken", "code": "seat_taken"}
    assert Order.objects.count() == 1


def test_sold_out_is_409(customer_api):
    event, types = on_sale_event(Regular=2)
    assert _book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 2}).status_code == 201

    response = _book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 1})

    assert response.status_code == 409
    assert response.json() == {"detail": "Event is sold out", "code": "sold_out"}
    assert Order.objects.count() == 1 and Ticket.objects.count() == 2


def test_asking_for_more_than_is_left_says_how_many(customer_api):
    event, types = on_sale_event(Regular=3)

    response = _book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 5})

    assert response.status_code == 409
    assert response.json() == {"detail": "Only 3 'Regular' tickets left.", "code": "not_enough_tickets"}
    assert _nothing_booked()


def test_multi_type_order_rolls_back_when_one_type_is_sold_out(customer_api):
    # given one of the two types sold out
    event, types = on_sale_event(VIP=1, Regular=80)
    TicketType.objects.filter(pk=types["VIP"].pk).update(capacity=0)

    # when a booking asks for both
    response = _book(
        customer_api,
        event,
        {
            "items": [
                {"ticket_type": types["Regular"].pk, "quantity": 2},
                {"ticket_type": types["VIP"].pk, "quantity": 1},
            ]
        },
    )

    # then nothing is booked, not even the type that was left
    assert response.status_code == 409
    assert response.json() == {"detail": "'VIP' is sold out", "code": "sold_out"}
    types["Regular"].refresh_from_db()
    assert types["Regular"].reserved_count == 0
    assert _nothing_booked()


@pytest.mark.parametrize(
    "body",
    [
        {"ticket_type": 1, "quantity": 0},
        {"ticket_type": 1, "quantity": -3},
        {"ticket_type": 1, "quantity": 10**9},
        {"ticket_type": 1, "quantity": "many"},
        {"ticket_type": "vip", "quantity": 1},
        {"ticket_type": 1},
        {"quantity": 1},
        {},
        {"items": []},
        {"items": [{"ticket_type": 1}]},
        {"seat_ids": []},
        {"seat_ids": ["A1"]},
        {"seat_ids": [1], "ticket_type": 1, "quantity": 1},
        [1, 2, 3],
    ],
)
def test_malformed_bookings_are_400_and_write_nothing(customer_api, body):
    event, _ = on_sale_event(Regular=10)

    response = customer_api.post(f"/api/events/{event.pk}/book", body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["detail"] and response.json()["code"]
    assert _nothing_booked()


def test_over_max_per_order_is_400(customer_api):
    event, types = on_sale_event(Regular=100)
    TicketType.objects.filter(pk=types["Regular"].pk).update(max_per_order=4)

    response = _book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 5})

    assert response.status_code == 400
    assert response.json() == {"detail": "At most 4 'Regular' tickets per order.", "code": "max_per_order"}
    assert _nothing_booked()


def test_unknown_ticket_type_seat_or_event_is_404(customer_api):
    # given a ticket type and a seat of another event
    event, types = on_sale_event(Regular=10)
    other_event, other_types = on_sale_event(Other=10)
    seats_generate(event=other_event, ticket_type=other_types["Other"], rows=1, seats_per_row=1)

    # when bookings name them, or an event that does not exist
    unknown_type = _book(customer_api, event, {"ticket_type": 999999, "quantity": 1})
    foreign_type = _book(customer_api, event, {"ticket_type": other_types["Other"].pk, "quantity": 1})
    foreign_seat = _book(customer_api, event, {"seat_ids": [Seat.objects.get().pk]})
    unknown_event = customer_api.post(
        "/api/events/999999/book", {"ticket_type": types["Regular"].pk, "quantity": 1}
    )
    malformed_event = customer_api.post(
        "/api/events/abc/book", {"ticket_type": types["Regular"].pk, "quantity": 1}
    )

    # then each is a 404 with its code and nothing is booked
    assert [
        r.status_code for r in (unknown_type, foreign_type, foreign_seat, unknown_event, malformed_event)
    ] == [404] * 5
    assert [r.json()["code"] for r in (unknown_type, foreign_type, foreign_seat)] == [
        "ticket_type_not_found",
        "ticket_type_not_found",
        "seat_not_found",
    ]
    assert unknown_event.json()["code"] == malformed_event.json()["code"] == "not_found"
    assert _nothing_booked()


@pytest.mark.parametrize("status", [Event.Status.DRAFT, Event.Status.DEACTIVATED, Event.Status.CANCELLED])
def test_only_published_events_sell(customer_api, status):
    event, types = on_sale_event(Regular=10)
    event.status = status
    event.save()

    response = _book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 1})

    assert response.status_code == 409
    assert response.json()["code"] == "not_on_sale"
    assert _nothing_booked()


def test_queue_mode_event_refuses_direct_booking(customer_api):
    event, types = on_sale_event(Regular=10)
    event.sale_mode = Event.SaleMode.QUEUE
    event.save()

    response = _book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 1})

    assert response.status_code == 409
    assert response.json()["code"] == "queue_only"
    assert _nothing_booked()


def test_booking_needs_a_signed_in_user(api_client):
    event, types = on_sale_event(Regular=10)

    response = _book(api_client, event, {"ticket_type": types["Regular"].pk, "quantity": 1})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert _nothing_booked()


def test_hold_comes_from_the_event_or_the_setting(customer_api, settings):
    settings.RESERVATION_HOLD_SECONDS = 120
    event, types = on_sale_event(Regular=10)
    default = Order.objects.get(
        code=_book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 1}).json()["code"]
    )
    event.hold_minutes = 15
    event.save()
    custom = Order.objects.get(
        code=_book(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 1}).json()["code"]
    )

    assert (default.expires_at - default.created_at).total_seconds() == pytest.approx(120, abs=2)
    assert (custom.expires_at - custom.created_at).total_seconds() == pytest.approx(900, abs=2)


def test_a_seated_ticket_type_sells_seats_not_quantities(customer_api, api_client):
    event, types = on_sale_event(Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=2)

    by_quantity = _book(customer_api, event, {"ticket_type": types["Stalls"].pk, "quantity": 1})
    cart = customer_api.post(
        "/api/cart/items", {"ticket_type": types["Stalls"].pk, "quantity": 1}, format="json"
    )

    assert by_quantity.status_code == cart.status_code == 400
    assert by_quantity.json() == {"detail": "Choose seats for 'Stalls' (seat_ids).", "code": "seats_required"}
    assert cart.json()["code"] == "seats_required"
    assert _nothing_booked()
