"""Reads of orders and payments, scoped to who is asking."""

from django.db.models import Prefetch, QuerySet

from orders.models import Order, OrderLine, Payment
from tickets.models import Ticket


def orders_visible_to(user) -> QuerySet:
    """A user's own orders; staff see everyone's. Lines, tickets and payments prefetched."""
    orders = Order.objects.all() if user.is_staff_member else Order.objects.filter(user=user)
    return orders.select_related("event", "user").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("ticket_type").order_by("id")),
        Prefetch("tickets", queryset=Ticket.objects.select_related("seat").order_by("id")),
        Prefetch("payments", queryset=Payment.objects.order_by("created_at", "id")),
    )


def payments_visible_to(user) -> QuerySet:
    """The transaction log: a user's own payments; staff see all."""
    payments = Payment.objects.select_related("order", "order__user", "order__event")
    return payments if user.is_staff_member else payments.filter(order__user=user)
