"""Races that money and seats depend on, as real concurrent transactions on PostgreSQL.

Each contender is a thread with its own database connection; the ``race``
fixture (root conftest) releases them together so their transactions overlap.
"""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Seat, TicketType
from events.services import seats_generate, ticket_type_update
from orders.models import Order
from orders.services import order_expire, order_pay, order_reserve
from orders.tests.factories import on_sale_event
from tickets.models import Ticket
from tixxety.exceptions import CapacityBelowBooked, DomainError, SoldOut

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants"),
]


def test_fifty_buyers_race_for_the_last_ten_tickets(race, client_for):
    # given ten tickets left and fifty signed-in buyers
    event, types = on_sale_event(Regular=10)
    buyers = [client_for(UserFactory()) for _ in range(50)]
    body = {"ticket_type": types["Regular"].pk, "quantity": 1}

    # when they all book at once
    responses = race(
        *[lambda c=c: c.post(f"/api/events/{event.pk}/book", body, format="json") for c in buyers]
    )

    # then ten get a ticket, forty are told it is sold out, and nothing is oversold
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [409] * 40
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sold_out"}
    regular = TicketType.objects.get(pk=types["Regular"].pk)
    reserved_tickets = Ticket.objects.filter(ticket_type=regular, status=Ticket.Status.RESERVED).count()
    assert regular.reserved_count == 10 == reserved_tickets
    assert Order.objects.count() == 10


def test_twenty_buyers_race_for_one_seat(race, client_for):
    # given a seat map and twenty buyers who all want seat A3
    event, types = on_sale_event(Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=5)
    seat = Seat.objects.get(label="A3")
    buyers = [client_for(UserFactory()) for _ in range(20)]

    # when they all book it at once
    responses = race(
        *[
            lambda c=c: c.post(f"/api/events/{event.pk}/book", {"seat_ids": [seat.pk]}, format="json")
            for c in buyers
        ]
    )

    # then one holds it and the others are told it is taken
    assert sorted(r.status_code for r in responses) == [201] + [409] * 19
    assert {r.json()["detail"] for r in responses if r.status_code == 409} == {"Seat A3 is already taken"}
    assert Ticket.objects.filter(seat=seat, status__in=Ticket.ACTIVE_STATUSES).count() == 1


@pytest.mark.parametrize("attempt", range(5))
def test_payment_racing_expiry_has_exactly_one_winner(race, attempt):
    # given a reservation whose hold runs out while the payment is on its way
    event, types = on_sale_event(Regular=5)
    buyer = UserFactory()
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() + timedelta(milliseconds=30))

    # when the payment and the expiry run at once
    pay, expire = race(
        lambda: order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa"),
        lambda: (threading.Event().wait(0.03), order_expire(order_id=order.pk))[1],
    )

    # then either the order is paid with its tickets sold, or expired with the payment refused
    order.refresh_from_db()
    regular = TicketType.objects.get(pk=types["Regular"].pk)
    if order.status == Order.Status.PAID:
        assert isinstance(pay, Order) and regular.sold_count == 2 and regular.reserved_count == 0
        assert set(order.tickets.values_list("status", flat=True)) == {Ticket.Status.VALID}
    else:
        assert order.status == Order.Status.EXPIRED
        assert isinstance(pay, DomainError) and pay.code == "order_expired"
        assert regular.sold_count == regular.reserved_count == 0
        assert set(order.tickets.values_list("status", flat=True)) == {Ticket.Status.VOID}
    assert not isinstance(expire, Exception)


def test_concurrent_duplicate_idempotency_keys_create_one_order(race, client_for):
    # given one client that sends the same booking eight times with one key
    event, types = on_sale_event(Regular=50)
    client = client_for(UserFactory())
    body = {"ticket_type": types["Regular"].pk, "quantity": 2}

    # when the eight requests overlap
    responses = race(
        *[
            lambda: client.post(
                f"/api/events/{event.pk}/book", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
            )
            for _ in range(8)
        ]
    )

    # then one order is made; the others replay it or are told it is still in flight
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["code"] for r in created}) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    assert all(r.json()["code"] == "idempotency_in_flight" for r in responses if r.status_code == 409)
    assert Order.objects.count() == 1
    assert TicketType.objects.get(pk=types["Regular"].pk).reserved_count == 2


def test_multi_type_orders_lock_in_one_order_without_deadlocks(race):
    # given two types and sixteen buyers who list them in opposite orders
    event, types = on_sale_event(A=40, B=40)
    a, b = types["A"].pk, types["B"].pk
    buyers = [UserFactory() for _ in range(16)]

    # when they all book one of each at once
    results = race(
        *[
            lambda u=u, i=i: order_reserve(
                user=u, event_id=event.pk, items=[(a, 1), (b, 1)] if i % 2 else [(b, 1), (a, 1)]
            )
            for i, u in enumerate(buyers)
        ]
    )

    # then every order goes through: the rows are locked in one order, so no deadlock
    assert all(isinstance(r, Order) for r in results), results
    assert TicketType.objects.get(pk=a).reserved_count == TicketType.objects.get(pk=b).reserved_count == 16


@pytest.mark.parametrize("attempt", range(3))
def test_lowering_capacity_never_undercuts_concurrent_bookings(race, attempt):
    # given forty tickets, twenty buyers of one each, and an admin lowering the capacity to ten
    event, types = on_sale_event(Regular=40)
    regular = types["Regular"]
    buyers = [UserFactory() for _ in range(20)]

    # when the bookings and the capacity change run at once, through the real services
    *bookings, change = race(
        *[lambda u=u: order_reserve(user=u, event_id=event.pk, items=[(regular.pk, 1)]) for u in buyers],
        lambda: ticket_type_update(ticket_type=TicketType.objects.get(pk=regular.pk), capacity=10),
    )

    # then the counter is exactly the bookings that succeeded, and the capacity never below it
    booked = [b for b in bookings if isinstance(b, Order)]
    assert all(isinstance(b, Order | SoldOut) for b in bookings), bookings
    regular.refresh_from_db()
    assert regular.reserved_count == len(booked) == Order.objects.count()
    if isinstance(change, CapacityBelowBooked):
        assert regular.capacity == 40 and len(booked) > 10
    else:
        assert isinstance(change, TicketType), change
        assert regular.capacity == 10 and len(booked) <= 10
