"""Orders and their tickets change only inside a transaction, under the order's lock."""

import pytest

from accounts.tests.factories import UserFactory
from orders.services import order_reserve
from orders.services.locks import order_locked
from orders.tests.factories import on_sale_event
from tickets.services import tickets_validate, tickets_void
from tixxety.exceptions import NotFound


@pytest.fixture
def order(customer):
    event, types = on_sale_event(Regular=3)
    return order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 1)])


@pytest.mark.django_db
def test_order_locked_finds_the_owners_and_staffs_order_and_hides_it_from_others(order, customer, staff):
    assert order_locked(order.pk, by=customer) == order
    assert order_locked(order.pk, by=staff) == order
    assert order_locked(order.pk) == order  # workers act for nobody
    with pytest.raises(NotFound, match="Order not found"):
        order_locked(order.pk, by=UserFactory())
    with pytest.raises(NotFound, match="Order not found"):
        order_locked(987654)


@pytest.mark.django_db(transaction=True)
def test_order_and_ticket_changes_refuse_to_run_outside_a_transaction(order):
    for change in (
        lambda: order_locked(order.pk),
        lambda: tickets_validate(order=order),
        lambda: tickets_void(order=order),
    ):
        with pytest.raises(RuntimeError):
            change()
    assert set(order.tickets.values_list("status", flat=True)) == {"reserved"}
