"""Reads of tickets, scoped to their owner."""

from django.db.models import QuerySet

from tickets.models import Ticket


def ticket_list(*, user) -> QuerySet:
    """The tickets of ``user``'s orders, every status, newest order first.

    Only the owner's: staff get no wider view here (check-in looks tickets up
    by secret instead), so another user's ticket is simply not found. Order,
    event, ticket type and seat are joined in, so a page costs one query.
    """
    return (
        Ticket.objects.filter(order__user=user)
        .select_related("order__event", "ticket_type", "seat")
        .order_by("-order_id", "id")
    )
