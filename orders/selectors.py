"""Reads of orders, payments, waitlist entries and queue requests, scoped to who is asking."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce

from orders.models import CartItem, Order, OrderLine, Payment, TicketRequest, WaitlistEntry
from tickets.models import Ticket


def order_list(*, user) -> QuerySet:
    """A user's own orders; staff see everyone's. Lines, tickets and payments prefetched."""
    orders = Order.objects.all() if user.is_staff_member else Order.objects.filter(user=user)
    return orders.select_related("event", "user").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("ticket_type").order_by("id")),
        Prefetch("tickets", queryset=Ticket.objects.select_related("seat").order_by("id")),
        Prefetch("payments", queryset=Payment.objects.order_by("created_at", "id")),
    )


def order_get(*, user, order_id: int) -> Order:
    """One order of ``order_list``; Order.DoesNotExist for another user's (staff see every order)."""
    return order_list(user=user).get(pk=order_id)


def payment_list(*, user) -> QuerySet:
    """The transaction log: a user's own payments; staff see all."""
    payments = Payment.objects.select_related("order", "order__user", "order__event")
    return payments if user.is_staff_member else payments.filter(order__user=user)


def cart_get(*, user) -> dict:
    """The user's cart as CartSerializer reads it, in one query; an empty cart when there is none."""
    items = list(
        CartItem.objects.filter(cart__user=user)
        .select_related("ticket_type", "seat")
        .annotate(
            line_total=ExpressionWrapper(
                F("ticket_type__price") * F("quantity"),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
        .order_by("pk")
    )
    first = items[0].ticket_type if items else None
    return {
        "event": first.event_id if first else None,
        "items": items,
        "total": sum((item.line_total for item in items), Decimal("0.00")),
        "currency": first.currency if first else None,
    }


def waitlist_entry_list(*, user) -> QuerySet:
    """A user's waitlist entries, newest first, each with its ``position``, type, event and offer.

    ``position`` is 1 + the waiting entries ahead on the same ticket type
    (FIFO order), for a waiting entry; None otherwise.
    """
    ahead = (
        WaitlistEntry.objects.filter(ticket_type=OuterRef("ticket_type"), status=WaitlistEntry.Status.WAITING)
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        .values("ticket_type")
        .annotate(n=Count("pk"))
        .values("n")
    )
    position = Case(
        When(status=WaitlistEntry.Status.WAITING, then=Coalesce(Subquery(ahead), 0) + 1),
        default=None,
        output_field=IntegerField(),
    )
    return (
        WaitlistEntry.objects.filter(user=user)
        .select_related("ticket_type__event", "order")
        .annotate(position=position)
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class CapacityStep:
    """Raising a capacity by ``extra`` would serve ``entries`` entries (``tickets``), worth ``worth``."""

    extra: int
    entries: int
    tickets: int
    worth: Decimal


def waitlist_capacity_preview(*, ticket_type, steps: int = 5) -> list[CapacityStep]:
    """What raising ``ticket_type``'s capacity would serve, as the promotion would serve it.

    For the first ``steps`` raises that each serve one more entry of the FIFO
    line (an entry too big for the raise keeps its place while later ones
    fit, as in ``waitlist_promote``), and finally the raise that serves every
    waiting entry. The tickets already available count towards each raise.
    """
    waiting = list(
        WaitlistEntry.objects.filter(ticket_type=ticket_type, status=WaitlistEntry.Status.WAITING)
        .order_by("created_at", "id")
        .values_list("quantity", flat=True)
    )
    available = max(ticket_type.available, 0)
    raises, total = [], 0
    for quantity in waiting:
        total += quantity
        if total - available > 0 and (not raises or raises[-1] != total - available):
            raises.append(total - available)
    chosen = raises[:steps] + ([raises[-1]] if len(raises) > steps else [])
    preview = []
    for extra in chosen:
        left, served, tickets = available + extra, 0, 0
        for quantity in waiting:
            if quantity <= left:
                left -= quantity
                served += 1
                tickets += quantity
        preview.append(CapacityStep(extra, served, tickets, ticket_type.price * tickets))
    return preview


def _queued_ahead_filter(ticket_request_fields) -> Q:
    priority, pk = ticket_request_fields
    return Q(priority__gt=priority) | Q(priority=priority, pk__lt=pk)


def ticket_request_position(ticket_request: TicketRequest) -> int | None:
    """Queued requests of the event ahead of this one in queue order (VIP first, then arrival)."""
    if ticket_request.status != TicketRequest.Status.QUEUED:
        return None
    return (
        TicketRequest.objects.filter(event_id=ticket_request.event_id, status=TicketRequest.Status.QUEUED)
        .filter(_queued_ahead_filter((ticket_request.priority, ticket_request.pk)))
        .count()
    )


def ticket_request_list(*, user) -> QuerySet:
    """A user's own queue requests, newest first, each with ``position`` (None once decided)."""
    ahead = (
        TicketRequest.objects.filter(event=OuterRef("event"), status=TicketRequest.Status.QUEUED)
        .filter(_queued_ahead_filter((OuterRef("priority"), OuterRef("pk"))))
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return TicketRequest.objects.filter(user=user).annotate(
        position=Case(
            When(status=TicketRequest.Status.QUEUED, then=Coalesce(Subquery(ahead), 0)),
            default=None,
            output_field=IntegerField(),
        )
    )
