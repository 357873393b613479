"""The order serializers' written-out representations equal DRF's generic ones."""

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from events.services import seats_generate
from orders import selectors
from orders.models import Payment
from orders.serializers import (
    BookSerializer,
    OrderLineSerializer,
    OrderSerializer,
    OrderTicketSerializer,
    PaymentSerializer,
)
from orders.services import order_pay, order_refund, order_reserve
from orders.tests.factories import on_sale_event
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("invariants")]

GENERIC = serializers.ModelSerializer.to_representation


class GenericLine(OrderLineSerializer):
    to_representation = GENERIC


class GenericTicket(OrderTicketSerializer):
    to_representation = GENERIC


class GenericPayment(PaymentSerializer):
    to_representation = GENERIC


class GenericOrder(OrderSerializer):
    lines = GenericLine(many=True)
    tickets = GenericTicket(many=True)
    payments = GenericPayment(many=True)
    to_representation = GENERIC


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


def viewed_by(user) -> dict:
    request = APIRequestFactory().get("/api/orders")
    request.user = user
    return {"request": request}


def assert_same_as_generic(order, user, *, viewer=None):
    """Equal for ``user``'s view of the order; and for ``viewer``'s too (staff: no secrets), if given."""
    order = selectors.order_get(user=user, order_id=order.pk)
    for someone in filter(None, (user, viewer)):
        context = viewed_by(someone)
        assert rendered(OrderSerializer(order, context=context).data) == rendered(
            GenericOrder(order, context=context).data
        )


def test_a_fresh_reservation_as_booking_returns_it(customer):
    _, types = on_sale_event(VIP=5, Regular=10)
    order = order_reserve(
        user=customer, event_id=types["VIP"].event_id, items=[(types["VIP"].pk, 2), (types["Regular"].pk, 1)]
    )

    context = viewed_by(customer)
    data = OrderSerializer(order, context=context).data
    assert rendered(data) == rendered(GenericOrder(order, context=context).data)
    assert all(ticket["secret"] for ticket in data["tickets"])
    assert_same_as_generic(order, customer)


def test_a_seated_paid_order_with_a_checked_in_ticket(customer, staff):
    event, types = on_sale_event(Stalls=1)
    seats = seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=2)
    order = order_reserve(user=customer, event_id=event.pk, seat_ids=[seat.pk for seat in seats])
    order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    Ticket.objects.filter(order=order, seat=seats[0]).update(checked_in_at=timezone.now())

    assert_same_as_generic(order, customer, viewer=staff)


def test_a_refunded_order_with_void_tickets_and_both_payments(customer, staff, sale):
    order = order_reserve(user=customer, event_id=sale.event.pk, items=[(sale.regular.pk, 3)])
    order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    order_refund(order_id=order.pk, by=staff)

    assert_same_as_generic(order, customer, viewer=staff)
    payments = Payment.objects.filter(order=order).select_related("order")
    assert payments.count() == 2
    assert rendered(PaymentSerializer(payments, many=True).data) == rendered(
        GenericPayment(payments, many=True).data
    )


@pytest.mark.parametrize(
    "body",
    [
        {"ticket_type": 7, "quantity": 1},
        {"ticket_type": 7, "quantity": 100},
        {"ticket_type": 7, "quantity": 101},
        {"ticket_type": 7, "quantity": 0},
        {"ticket_type": 0, "quantity": 1},
        {"ticket_type": 7, "quantity": True},
        {"ticket_type": True, "quantity": 1},
        {"ticket_type": 7, "quantity": "2"},
        {"ticket_type": "7", "quantity": 2},
        {"ticket_type": 7, "quantity": 2.0},
        {"ticket_type": 7, "quantity": 2.5},
        {"ticket_type": 7, "quantity": None},
        {"ticket_type": 7, "quantity": 1, "seat_ids": [3]},
        {"ticket_type": 7},
        {"items": [{"ticket_type": 7, "quantity": 2}]},
        [7, 1],
        "ticket_type=7",
    ],
)
def test_reading_a_booking_body_directly_agrees_with_the_fields(body):
    booking = BookSerializer(data=body)
    expected = booking.to_reservation() if booking.is_valid() else "invalid"

    try:
        actual = BookSerializer.reservation_from(body)
    except ValidationError:
        actual = "invalid"

    assert actual == expected


def test_the_booking_answer_is_the_order_serializers(customer_api, customer):
    _, types = on_sale_event(Regular=10)
    path, body = (
        f"/api/events/{types['Regular'].event_id}/book",
        {"ticket_type": types["Regular"].pk, "quantity": 2},
    )

    response = customer_api.post(path, body)

    assert response.status_code == 201
    order = selectors.order_get(user=customer, order_id=response.json()["id"])
    assert response.content == rendered(OrderSerializer(order, context=viewed_by(customer)).data)
    assert_same_as_generic(order, customer)
