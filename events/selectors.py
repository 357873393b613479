"""Reads of the catalogue: who may see which events, with their figures in one query."""

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.geo import haversine_km
from events.models import Event, Seat, TicketType

PUBLIC_DETAIL_STATUSES = (Event.Status.PUBLISHED, Event.Status.DEACTIVATED, Event.Status.CANCELLED)

ORDERINGS = {
    "starts_at": ("starts_at", "id"),
    "-starts_at": ("-starts_at", "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "id"),
    "price": (F("min_price").asc(nulls_last=True), "starts_at", "id"),
    "-price": (F("min_price").desc(nulls_last=True), "starts_at", "id"),
    "distance": ("distance_km", "starts_at", "id"),
    "-distance": ("-distance_km", "starts_at", "id"),
}


@dataclass(frozen=True)
class EventFilters:
    """Validated catalogue query parameters (see EventQuerySerializer)."""

    search: str = ""
    ordering: str = "starts_at"
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    venue: int | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    status: str | None = None
    include_past: bool = False


def _per_event(expression, default=None):
    """``expression`` over an event's ticket types, as a subquery correlated to the event row.

    A subquery rather than a join and GROUP BY: PostgreSQL evaluates it only
    for the rows the page keeps (after ORDER BY and LIMIT cut it to 20), and
    the page's COUNT leaves it out altogether (Django drops annotations a
    count does not need). An aggregate over a join would group every
    matching event's ticket types before the page is cut.
    """
    figures = TicketType.objects.filter(event=OuterRef("pk")).order_by().values("event")
    figure = Subquery(figures.annotate(figure=expression).values("figure"))
    return figure if default is None else Coalesce(figure, default)


def _with_figures(events: QuerySet) -> QuerySet:
    """Annotate capacity, booked count, cheapest price and whether seats exist."""
    return events.select_related("venue").annotate(
        capacity=_per_event(Sum("capacity"), 0),
        booked_count=_per_event(Sum(F("reserved_count") + F("sold_count")), 0),
        min_price=_per_event(Min("price")),
        is_seated=Exists(Seat.objects.filter(event=OuterRef("pk"))),
    )


def event_visible_list(*, user) -> QuerySet:
    """Events a user may open: admins see every status, others all but drafts."""
    if getattr(user, "is_admin", False):
        return Event.objects.all()
    return Event.objects.filter(status__in=PUBLIC_DETAIL_STATUSES)


def event_list(*, user, filters: EventFilters) -> QuerySet:
    """The catalogue: published events (any status for admins), filtered and ordered.

    Ended events are left out unless ``include_past``. With ``near`` each row
    carries ``distance_km``, computed in the database.
    """
    if getattr(user, "is_admin", False):
        events = Event.objects.filter(status=filters.status) if filters.status else Event.objects.all()
    else:
        events = Event.objects.filter(status=Event.Status.PUBLISHED)
    if not filters.include_past:
        events = events.filter(ends_at__gte=timezone.now())
    for term in filters.search.split():
        events = events.filter(
            Q(title__icontains=term)
            | Q(description__icontains=term)
            | Q(venue__name__icontains=term)
            | Q(venue__address__icontains=term)
            | Q(venue__city__icontains=term)
        )
    if filters.starts_after:
        events = events.filter(starts_at__gte=filters.starts_after)
    if filters.starts_before:
        events = events.filter(starts_at__lte=filters.starts_before)
    if filters.venue:
        events = events.filter(venue_id=filters.venue)
    events = _with_figures(events)
    if filters.near:
        events = events.annotate(
            distance_km=haversine_km(*filters.near, "venue__latitude", "venue__longitude")
        )
        if filters.radius_km is not None:
            events = events.filter(distance_km__lte=filters.radius_km)
    return events.order_by(*ORDERINGS[filters.ordering])


def seconds_until_next_end(*, now: datetime) -> float | None:
    """Seconds until the next event ends (when it leaves the catalogue), None if none is to come."""
    next_end = Event.objects.filter(ends_at__gte=now).aggregate(next_end=Min("ends_at"))["next_end"]
    return None if next_end is None else (next_end - now).total_seconds()


def event_list_near(*, latitude: float, longitude: float, max_distance_km: float) -> QuerySet:
    """Upcoming published events within ``max_distance_km``, nearest first."""
    filters = EventFilters(near=(latitude, longitude), radius_km=max_distance_km, ordering="distance")
    return event_list(user=None, filters=filters)


def event_detail_list(*, user) -> QuerySet:
    """Events a user may open, with their figures and ticket types (one query each).

    Each event and each of its ticket types carries ``waitlisted_count``:
    the customers waiting for its tickets.
    """
    return (
        _with_figures(event_visible_list(user=user))
        .annotate(waitlisted_count=_waitlisted(ticket_type__event=OuterRef("pk")))
        .prefetch_related(
            Prefetch(
                "ticket_types",
                queryset=TicketType.objects.annotate(
                    waitlisted_count=_waitlisted(ticket_type=OuterRef("pk"))
                ),
            )
        )
    )


def _waitlisted(**lookups) -> Coalesce:
    """How many waitlist entries matching ``lookups`` wait, as a subquery.

    The waitlist lives in ``orders``, to the right of ``events``: the model
    is named by string, never imported.
    """
    entries = apps.get_model("orders", "WaitlistEntry").objects.filter(status="waiting", **lookups)
    count = entries.order_by().values(*lookups).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(count), 0)


def ticket_type_list(*, event: Event) -> QuerySet:
    """An event's ticket types in queue order: highest priority first."""
    return TicketType.objects.filter(event=event).order_by("-priority", "id")


def ticket_type_visible_list(*, user) -> QuerySet:
    """Ticket types of the events a user may open."""
    return TicketType.objects.filter(event__in=event_visible_list(user=user)).select_related("event")


def seat_list(*, event: Event) -> QuerySet:
    """The seat map: every seat of the event with its state, free, held (reserved) or sold.

    The state comes from the seat's active ticket, reached through the
    ``tickets`` relation and the app registry by name (the tickets app sits
    to the right of this one, so it is not imported); the partial unique
    index allows at most one, so the join never repeats a seat.
    """
    ticket = apps.get_model("tickets", "Ticket")
    ticket_status = ticket.Status
    return (
        Seat.objects.filter(event=event)
        .annotate(active=FilteredRelation("tickets", condition=Q(tickets__status__in=ticket.ACTIVE_STATUSES)))
        .annotate(
            state=Case(
                When(active__status=ticket_status.VALID, then=Value("sold")),
                When(active__status=ticket_status.RESERVED, then=Value("held")),
                default=Value("free"),
            )
        )
        .order_by("id")
        .values("id", "label", "row_label", "number", "ticket_type_id", "state")
    )
