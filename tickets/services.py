"""Every change of a ticket's state: issue, validate, void, and check-in at the door.

``orders`` calls these inside the transaction that changes the order (the
order row is locked, or was just inserted), so a ticket never changes state
apart from its order: each refuses to run outside a transaction
(RuntimeError). They take the order as an instance and never import
``orders`` (tickets sit to its left).

Check-in is the one change that does not come from the order: staff scan a
secret at the door (``ticket_check_in``), and a single conditional UPDATE
decides, so a ticket is checked in once however many scanners race.
"""

from collections import Counter
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from events.models import Seat
from tickets.models import Ticket
from tickets.selectors import ticket_at_door
from tixxety import fast_insert
from tixxety.business_metrics import CHECKINS
from tixxety.exceptions import Conflict, DomainError, NotFound, SeatTaken


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("Ticket state changes with its order: call this inside the order's transaction.")


def tickets_issue(
    *, order: Model, quantities: Mapping[int, int], seats: Sequence[Seat] = (), holder_name: str = ""
) -> list[Ticket]:
    """Insert the reserved tickets of a new order: ``quantities`` per ticket type id, seats included.

    ``quantities`` counts every ticket, so each seat is one of its type's;
    the rest are unseated. The seated tickets go in after the others, in a
    savepoint: a seat already held by a reserved or valid ticket is refused
    by the partial unique index, and the error (SeatTaken) names the seats
    taken. One INSERT for each kind; no query to read anything back.
    """
    _require_transaction()
    seated = Counter(seat.ticket_type_id for seat in seats)
    tickets = fast_insert.insert(
        [
            Ticket(order=order, ticket_type_id=pk, holder_name=holder_name)
            for pk, quantity in sorted(quantities.items())
            for _ in range(quantity - seated[pk])
        ]
    )
    if not seats:
        return tickets
    try:
        # A savepoint, so that after a unique violation we can still ask which seats were taken.
        with transaction.atomic():
            return tickets + fast_insert.insert(
                [
                    Ticket(
                        order=order, ticket_type_id=seat.ticket_type_id, seat=seat, holder_name=holder_name
                    )
                    for seat in seats
                ]
            )
    except IntegrityError:
        taken = Ticket.objects.filter(seat__in=seats, status__in=Ticket.ACTIVE_STATUSES).values_list(
            "seat__label", flat=True
        )
        labels = sorted(taken) or [seat.label for seat in seats]
        if len(labels) == 1:
            raise SeatTaken(f"Seat {labels[0]} is already taken") from None
        raise SeatTaken(f"Seats {', '.join(labels)} are already taken") from None


def tickets_issue_many(*, orders: Sequence[tuple[Model, Mapping[int, int], str]]) -> list[Ticket]:
    """Insert the reserved, unseated tickets of many new orders at once: the priority queue's batches.

    ``orders`` holds (order, quantities per ticket type id, holder name).
    Many rows per INSERT, as ``tickets_issue`` does for one order.
    """
    _require_transaction()
    return fast_insert.insert(
        [
            Ticket(order=order, ticket_type_id=pk, holder_name=holder_name)
            for order, quantities, holder_name in orders
            for pk, quantity in sorted(quantities.items())
            for _ in range(quantity)
        ]
    )


def tickets_validate(*, order: Model) -> int:
    """Make the order's reserved tickets valid (it was paid); returns how many changed."""
    _require_transaction()
    return Ticket.objects.filter(order=order, status=Ticket.Status.RESERVED).update(
        status=Ticket.Status.VALID
    )


def tickets_void(*, order: Model) -> int:
    """Void the order's tickets that are not void yet, freeing their seats; returns how many changed."""
    _require_transaction()
    return (
        Ticket.objects.filter(order=order)
        .exclude(status=Ticket.Status.VOID)
        .update(status=Ticket.Status.VOID)
    )


class CheckInRefused(Conflict):
    """The door turns the ticket away (HTTP 409); ``ticket`` is what the scanner shows about it."""

    def __init__(self, detail: str, *, code: str, ticket: Ticket):
        super().__init__(detail, code=code)
        self.ticket = ticket


def ticket_verify(*, secret: str, event_id: int | None = None) -> tuple[Ticket, CheckInRefused | None]:
    """Read a scanned ticket without changing it: the ticket, and why check-in would refuse it (or None).

    Unknown secret: NotFound. ``event_id`` scopes the scan to one event, as
    ``ticket_check_in`` does.
    """
    ticket = _ticket_by_secret(secret)
    return ticket, _refusal(ticket, event_id=event_id)


def ticket_check_in(*, secret: str, by: Model, event_id: int | None = None) -> Ticket:
    """Check a valid ticket in, recording when and by whom; returns the ticket.

    Refusals (CheckInRefused, 409): ``wrong_event`` when ``event_id`` is
    given and the ticket is for another event, ``already_checked_in`` (with
    the first time and who), ``ticket_not_valid`` (reserved or void).
    Unknown secret: NotFound (404).

    The database decides: the UPDATE only matches a valid ticket not checked
    in yet, so of concurrent scans exactly one updates a row and the others
    read the winner's check-in. A refund that voids the ticket meanwhile
    makes the UPDATE match nothing. No lock is held past the statement, and
    nothing to roll back: each outcome is counted in ``tixxety_checkins``
    (by its code, never by ticket or person).
    """
    try:
        ticket = _check_in(secret=secret, by=by, event_id=event_id)
    except DomainError as refused:
        CHECKINS.labels(outcome=refused.code).inc()
        raise
    CHECKINS.labels(outcome="admitted").inc()
    return ticket


def _check_in(*, secret: str, by: Model, event_id: int | None) -> Ticket:
    ticket = _ticket_by_secret(secret)
    if event_id is not None and ticket.order.event_id != event_id:
        raise _refusal(ticket, event_id=event_id)
    now = timezone.now()
    updated = Ticket.objects.filter(
        pk=ticket.pk, status=Ticket.Status.VALID, checked_in_at__isnull=True
    ).update(checked_in_at=now, checked_in_by=by)
    if updated:
        ticket.checked_in_at, ticket.checked_in_by = now, by
        return ticket
    ticket = _ticket_by_secret(secret)  # what the scan that won (or a refund) wrote
    raise _refusal(ticket, event_id=event_id) or Conflict("The ticket changed; scan it again.")


def _ticket_by_secret(secret: str) -> Ticket:
    ticket = ticket_at_door(secret=secret)
    if ticket is None:
        raise NotFound("No ticket has this code.", code="ticket_not_found")
    return ticket


def _refusal(ticket: Ticket, *, event_id: int | None) -> CheckInRefused | None:
    """Why the door turns ``ticket`` away, or None when it may go in."""
    if event_id is not None and ticket.order.event_id != event_id:
        detail = f"This ticket is for another event: {ticket.order.event.title}."
        return CheckInRefused(detail, code="wrong_event", ticket=ticket)
    if ticket.checked_in_at is not None:
        when = timezone.localtime(ticket.checked_in_at).strftime("%Y-%m-%d %H:%M:%S %Z")
        who = f" by {ticket.checked_in_by.name}" if ticket.checked_in_by else ""
        void = " (the ticket has since been refunded)" if ticket.status == Ticket.Status.VOID else ""
        return CheckInRefused(
            f"Already checked in at {when}{who}{void}.", code="already_checked_in", ticket=ticket
        )
    if ticket.status != Ticket.Status.VALID:
        reason = {
            Ticket.Status.RESERVED: "its order is not paid",
            Ticket.Status.VOID: "it is void (cancelled, expired or refunded)",
        }[ticket.status]
        return CheckInRefused(f"Not valid: {reason}.", code="ticket_not_valid", ticket=ticket)
    return None
