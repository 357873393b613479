"""Locking an order: one way, in one place.

Every service that changes an order takes its row with ``order_locked``
before anything else (ticket types next, in id order, through
``inventory``), so two of them on one order run one after the other and
each re-reads the status the other left.
"""

from django.db import connection

from accounts.models import User
from orders.models import Order
from tixxety.exceptions import NotFound


def order_locked(order_id: int, *, by: User | None = None) -> Order:
    """The order row, locked until the transaction ends.

    Raises RuntimeError outside a transaction (a lock that ends with the
    statement protects nothing) and NotFound for a missing order or, when
    ``by`` is given, for another user's order unless ``by`` is staff: a
    stranger's order is not found, never forbidden.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("Lock orders inside a transaction.")
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or (by is not None and order.user_id != by.pk and not by.is_staff_member):
        raise NotFound("Order not found")
    return order
