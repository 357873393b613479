"""A ticket refunded by staff after its check-in keeps the time, but no report counts it as checked in."""

import pytest

from analytics.selectors import ticket_type_rows
from orders.services import order_pay, order_refund, order_reserve
from orders.tests.factories import on_sale_event
from tickets.services import ticket_check_in

pytestmark = pytest.mark.django_db


def test_tickets_report_counts_only_valid_check_ins(customer, staff):
    event, types = on_sale_event(Regular=10)
    orders = [
        order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 1)]) for _ in range(2)
    ]
    for order in orders:
        order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
        ticket_check_in(secret=order.tickets.get().secret, by=staff)

    order_refund(order_id=orders[1].pk, by=staff)

    (row,) = ticket_type_rows(event_id=event.pk)
    assert (row["sold_count"], row["checked_in"]) == (1, 1)
    assert orders[1].tickets.get().checked_in_at is not None  # the history stays
