"""State changes for the catalogue: venues, events, ticket types and seats.

Inventory counters (``reserved_count``, ``sold_count``) are never written
here; the order services own them, and every service below refuses any field
outside its ``*_WRITABLE_FIELDS`` (``tixxety.services.check_fields``).
Capacity changes are checked against the counters under the ticket type's row
lock, so a booking that lands at the same moment cannot be undercut, and each
one sends ``events.signals.capacity_changed`` before that lock is released.
"""

import functools
import itertools
import string
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from events.models import Event, Seat, TicketType, Venue
from events.signals import capacity_changed, catalogue_changed
from tixxety.exceptions import (
    CapacityBelowBooked,
    CapacityFollowsSeats,
    DomainError,
    HasSales,
    InUse,
    InvalidTransition,
)
from tixxety.services import check_fields

# What each service writes, in the order forms show them.
VENUE_WRITABLE_FIELDS = ("name", "address", "city", "latitude", "longitude")
EVENT_WRITABLE_FIELDS = (
    "title", "slug", "description", "venue", "starts_at", "ends_at", "status", "sale_mode", "hold_minutes",
)  # fmt: skip
TICKET_TYPE_WRITABLE_FIELDS = ("name", "price", "currency", "capacity", "priority", "max_per_order")
MAX_ROWS = 52
MAX_SEATS_PER_ROW = 200
MAX_SEATS_PER_GRID = 5000

# Which statuses an admin may move an event to, from each status.
EVENT_TRANSITIONS = {
    Event.Status.DRAFT: {Event.Status.PUBLISHED, Event.Status.CANCELLED},
    Event.Status.PUBLISHED: {Event.Status.DEACTIVATED, Event.Status.CANCELLED},
    Event.Status.DEACTIVATED: {Event.Status.PUBLISHED, Event.Status.CANCELLED},
    Event.Status.CANCELLED: set(),
}


def _catalogue_write(service):
    """Run ``service`` in a transaction and tell ``catalogue_changed`` once it commits.

    Every write below changes what the catalogue reads show; cached reads
    (``events.cache``) are stale from the commit on. Nothing is sent when
    the service raises and its transaction rolls back.
    """

    @functools.wraps(service)
    def write(*args, **kwargs):
        with transaction.atomic():
            result = service(*args, **kwargs)
            catalogue_changed.send_on_commit(sender=Event)
            return result

    return write


# --- venues -----------------------------------------------------------------


@_catalogue_write
def venue_create(**fields) -> Venue:
    """Create a venue from VENUE_WRITABLE_FIELDS (NotWritable for anything else)."""
    check_fields(fields, VENUE_WRITABLE_FIELDS, what="venue_create")
    return Venue.objects.create(**fields)


@_catalogue_write
def venue_update(*, venue: Venue, **changes) -> Venue:
    """Change a venue's VENUE_WRITABLE_FIELDS (NotWritable for anything else)."""
    check_fields(changes, VENUE_WRITABLE_FIELDS, what="venue_update")
    for field, value in changes.items():
        setattr(venue, field, value)
    venue.save(update_fields=[*changes])
    return venue


@_catalogue_write
def venue_delete(*, venue: Venue) -> None:
    """Delete a venue that no event uses (InUse otherwise)."""
    try:
        venue.delete()
    except ProtectedError:
        raise InUse(f"Venue '{venue.name}' still has events.") from None


# --- events -----------------------------------------------------------------


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:200] or "event"
    taken = set(
        Event.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    return next(
        s for s in itertools.chain([base], (f"{base}-{n}" for n in itertools.count(2))) if s not in taken
    )


def _check_dates(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise DomainError("The event must end after it starts.", code="ends_before_start")


@_catalogue_write
def event_create(*, title: str, venue: Venue, starts_at, ends_at, ticket_types=(), **fields) -> Event:
    """Create an event, with its ticket types when given, all or nothing.

    A new event is a draft or published; the other statuses are reached
    through ``event_update`` and ``event_deactivate``. The slug is derived
    from the title unless given; ``id`` may be given for demo data.
    """
    check_fields(fields, (*EVENT_WRITABLE_FIELDS, "id"), what="event_create")
    if fields.get("status", Event.Status.DRAFT) not in (Event.Status.DRAFT, Event.Status.PUBLISHED):
        raise DomainError("A new event is a draft or published.", code="invalid_status")
    _check_dates(starts_at, ends_at)
    fields["slug"] = fields.get("slug") or _unique_slug(title)
    event = _saved_with_unique_slug(
        Event(title=title, venue=venue, starts_at=starts_at, ends_at=ends_at, **fields), force_insert=True
    )
    for ticket_type in ticket_types:
        ticket_type_create(event=event, **ticket_type)
    return event


@_catalogue_write
def event_update(*, event: Event, **changes) -> Event:
    """Change an event's details; a status change must follow EVENT_TRANSITIONS."""
    check_fields(changes, EVENT_WRITABLE_FIELDS, what="event_update")
    event = Event.objects.select_for_update().get(pk=event.pk)
    if "status" in changes and changes["status"] != event.status:
        _check_transition(event, changes["status"])
    for field, value in changes.items():
        setattr(event, field, value)
    _check_dates(event.starts_at, event.ends_at)
    return _saved_with_unique_slug(event)


def _saved_with_unique_slug(event: Event, **save_options) -> Event:
    try:
        with transaction.atomic():
            event.save(**save_options)
    except IntegrityError:
        if Event.objects.filter(slug=event.slug).exclude(pk=event.pk).exists():
            raise DomainError(f"The slug '{event.slug}' is taken.", code="slug_taken") from None
        raise
    return event


def _check_transition(event: Event, status: str) -> None:
    if status not in EVENT_TRANSITIONS[event.status]:
        raise InvalidTransition(f"An event cannot go from {event.status} to {status}.")
    if status == Event.Status.CANCELLED and _has_sales(event):
        raise HasSales("The event has reservations or sales: refund its orders before cancelling it.")


@_catalogue_write
def event_deactivate(*, event: Event) -> Event:
    """Stop sales; existing orders and tickets stay. Deactivating twice is a no-op."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status == Event.Status.DEACTIVATED:
        return event
    _check_transition(event, Event.Status.DEACTIVATED)
    event.status = Event.Status.DEACTIVATED
    event.save(update_fields=["status", "updated_at"])
    return event


def _has_sales(event: Event) -> bool:
    """Whether any ticket of the event is reserved or sold, with its ticket types locked.

    The lock (in id order, like the order services) keeps a booking from
    landing between this check and what the caller does next.
    """
    counters = TicketType.objects.select_for_update().filter(event=event).order_by("pk")
    return any(reserved or sold for reserved, sold in counters.values_list("reserved_count", "sold_count"))


@_catalogue_write
def event_delete(*, event: Event) -> None:
    """Delete an event that never sold anything; otherwise deactivate it (HasSales)."""
    if _has_sales(event):
        raise HasSales("The event has orders: deactivate it instead of deleting it.")
    try:
        event.delete()
    except ProtectedError:
        raise HasSales("The event has orders: deactivate it instead of deleting it.") from None


# --- ticket types -----------------------------------------------------------


@_catalogue_write
def ticket_type_create(*, event: Event, **fields) -> TicketType:
    """Add a ticket type to an event; its counters start at zero (NotWritable if given)."""
    check_fields(fields, TICKET_TYPE_WRITABLE_FIELDS, what="ticket_type_create")
    if TicketType.objects.filter(event=event, name=fields.get("name")).exists():
        raise DomainError(
            f"The event already has a ticket type named '{fields.get('name')}'.", code="duplicate"
        )
    return TicketType.objects.create(event=event, **fields)


@_catalogue_write
def ticket_type_update(*, ticket_type: TicketType, **changes) -> TicketType:
    """Change a ticket type's TICKET_TYPE_WRITABLE_FIELDS and return the updated row.

    The row is locked first, so the capacity rules of ``check_capacity`` hold
    against a booking landing at the same moment (which waits for the lock).
    A capacity that moves sends ``capacity_changed`` before commit. The
    counters are not writable here (NotWritable).
    """
    check_fields(changes, TICKET_TYPE_WRITABLE_FIELDS, what="ticket_type_update")
    ticket_type = TicketType.objects.select_for_update().get(pk=ticket_type.pk)
    name = changes.get("name")
    if (
        name
        and name != ticket_type.name
        and TicketType.objects.filter(event_id=ticket_type.event_id, name=name).exists()
    ):
        raise DomainError(f"The event already has a ticket type named '{name}'.", code="duplicate")
    if "capacity" in changes:
        check_capacity(ticket_type=ticket_type, capacity=changes["capacity"])
    _save_locked(ticket_type, changes)
    return ticket_type


def check_capacity(*, ticket_type: TicketType, capacity: int) -> None:
    """Refuse a new capacity the way ``ticket_type_update`` does.

    A seated type's capacity is its number of seats, one admission per seat
    (CapacityFollowsSeats): ``seats_generate`` moves it. No capacity may drop
    below reserved + sold (CapacityBelowBooked). The service calls this on the
    locked row; admin forms call it on the stored row to show the refusal
    next to the field.
    """
    if capacity == ticket_type.capacity:
        return
    seats = Seat.objects.filter(ticket_type_id=ticket_type.pk).count()
    if seats and capacity != seats:
        raise CapacityFollowsSeats(
            f"Capacity of '{ticket_type.name}' is its {seats} seats: generate or replace seats to change it."
        )
    _check_booked(ticket_type, capacity)


def _check_booked(ticket_type: TicketType, capacity: int) -> None:
    booked = ticket_type.reserved_count + ticket_type.sold_count
    if capacity < booked:
        raise CapacityBelowBooked(
            f"Capacity of '{ticket_type.name}' cannot drop below {booked} (reserved + sold)."
        )


def _save_locked(ticket_type: TicketType, changes: dict) -> None:
    """Write ``changes`` to a ticket type locked by the caller; send capacity_changed if capacity moved.

    The signal goes out inside the caller's transaction, after the write and
    under the row lock, so its receivers share the unit of work.
    """
    if not changes:
        return
    previous_capacity = ticket_type.capacity
    for field, value in changes.items():
        setattr(ticket_type, field, value)
    ticket_type.save(update_fields=[*changes])
    if ticket_type.capacity != previous_capacity:
        capacity_changed.send(sender=TicketType, ticket_type=ticket_type, previous_capacity=previous_capacity)


@_catalogue_write
def ticket_type_delete(*, ticket_type: TicketType) -> None:
    """Delete a ticket type nobody holds tickets of (HasSales otherwise)."""
    ticket_type = TicketType.objects.select_for_update().get(pk=ticket_type.pk)
    if ticket_type.reserved_count or ticket_type.sold_count:
        raise HasSales(f"Ticket type '{ticket_type.name}' has reservations or sales.")
    try:
        ticket_type.delete()
    except ProtectedError:
        raise HasSales(f"Ticket type '{ticket_type.name}' has orders.") from None


# --- seats ------------------------------------------------------------------


def row_labels(start: int = 0):
    """A, B, …, Z, AA, AB, …: spreadsheet-style row names from index ``start``."""
    for index in itertools.count(start):
        label, n = "", index + 1
        while n:
            n, remainder = divmod(n - 1, 26)
            label = string.ascii_uppercase[remainder] + label
        yield label


def row_index(label: str) -> int:
    """The inverse of ``row_labels``: A → 0, Z → 25, AA → 26."""
    index = 0
    for char in label:
        index = index * 26 + string.ascii_uppercase.index(char) + 1
    return index - 1


@_catalogue_write
def seats_generate(
    *, event: Event, ticket_type: TicketType, rows: int, seats_per_row: int = 10, replace: bool = False
) -> list[Seat]:
    """Add a grid of ``rows`` x ``seats_per_row`` seats (A1, A2, … B1, …) to a ticket type.

    New rows continue after the event's last row. The ticket type's capacity
    becomes its number of seats, one admission per seat. ``replace`` first
    removes the type's seats, which is refused once any of them could be held.
    """
    if ticket_type.event_id != event.pk:
        raise DomainError("The ticket type belongs to another event.", code="wrong_event")
    if not 1 <= rows <= MAX_ROWS or not 1 <= seats_per_row <= MAX_SEATS_PER_ROW:
        raise DomainError(
            f"A grid has 1 to {MAX_ROWS} rows of 1 to {MAX_SEATS_PER_ROW} seats each.",
            code="grid_out_of_range",
        )
    ticket_type = TicketType.objects.select_for_update().get(pk=ticket_type.pk)
    if replace:
        if ticket_type.reserved_count or ticket_type.sold_count:
            raise CapacityBelowBooked(
                f"Seats of '{ticket_type.name}' are reserved or sold: they cannot be replaced."
            )
        Seat.objects.filter(ticket_type=ticket_type).delete()
    event_seats = Seat.objects.filter(event=event)
    used_rows = {row_index(label) for label in event_seats.values_list("row_label", flat=True).distinct()}
    first_row = max(used_rows, default=-1) + 1
    if first_row + rows > MAX_ROWS or event_seats.count() + rows * seats_per_row > MAX_SEATS_PER_GRID:
        raise DomainError(
            f"An event has at most {MAX_ROWS} rows and {MAX_SEATS_PER_GRID} seats.", code="grid_out_of_range"
        )
    seats = [
        Seat(event=event, ticket_type=ticket_type, row_label=row, number=number, label=f"{row}{number}")
        for row in itertools.islice(row_labels(first_row), rows)
        for number in range(1, seats_per_row + 1)
    ]
    Seat.objects.bulk_create(seats)
    capacity = Seat.objects.filter(ticket_type=ticket_type).count()
    _check_booked(ticket_type, capacity)
    _save_locked(ticket_type, {"capacity": capacity})
    return seats
