"""Reads of tickets: an owner's, and the door's (a ticket by its secret, an event's check-in count)."""

from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from events.models import TicketType
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


def ticket_at_door(*, secret: str) -> Ticket | None:
    """The ticket a scanned code names, with what the door shows, in one query; None if unknown.

    ``secret`` is a unique indexed column: the lookup is an index probe
    whose time does not depend on how much of a guess matches.
    """
    return (
        Ticket.objects.select_related("order__event", "ticket_type", "seat", "checked_in_by")
        .filter(secret=secret)
        .first()
    )


@dataclass(frozen=True)
class CheckInCount:
    checked_in: int
    sold: int


def event_check_in_count(*, event_id: int) -> CheckInCount:
    """How many of an event's sold (valid) tickets are checked in.

    Sold comes from the ticket types' counters (kept equal to the valid
    tickets); checked in is counted on a partial index of checked-in valid
    tickets only, so the cost follows the check-ins, not the event's size.
    """
    sold = TicketType.objects.filter(event_id=event_id).aggregate(n=Sum("sold_count"))["n"] or 0
    checked_in = Ticket.objects.filter(
        ticket_type__event_id=event_id, status=Ticket.Status.VALID, checked_in_at__isnull=False
    ).count()
    return CheckInCount(checked_in=checked_in, sold=sold)
