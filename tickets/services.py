"""Every change of a ticket's state: issue, validate, void, and check-in at the door.

``orders`` calls these inside the transaction that changes the order (the
order row is locked, or was just inserted), so a ticket never changes state
apart from its order: each refuses to run outside a transaction
(RuntimeError). They take the order as an instance (the queue's batches:
order ids) and never import ``orders`` (tickets sit to its left).

Check-in is the one change that does not come from the order: staff scan a
secret at the door (``ticket_check_in``), and a single conditional UPDATE
decides, so a ticket is checked in once however many scanners race.
"""

from collections import Counter
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from events.models import Event, Seat, TicketType
from tickets.models import Ticket, new_secrets
from tickets.selectors import ticket_at_door
from tickets.signals import ticket_checked_in
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


def tickets_issue_many(*, orders: Sequence[tuple[int, Mapping[int, int], str]]) -> int:
    """Insert the reserved, unseated tickets of many new orders at once: the priority queue's batches.

    ``orders`` holds (order id, quantities per ticket type id, holder name).
    One INSERT for the whole batch, of columns built directly (no model
    instance per ticket); returns how many tickets went in.
    """
    _require_transaction()
    order_ids, ticket_type_ids, holder_names = [], [], []
    for order_id, quantities, holder_name in orders:
        for pk, quantity in sorted(quantities.items()):
            order_ids += [order_id] * quantity
            ticket_type_ids += [pk] * quantity
            holder_names += [holder_name] * quantity
    fast_insert.insert_columns(
        Ticket,
        {
            "order_id": order_ids,
            "ticket_type_id": ticket_type_ids,
            "holder_name": holder_names,
            "secret": new_secrets(len(order_ids)),
            "status": Ticket.Status.RESERVED.value,
            "created_at": timezone.now(),
        },
    )
    return len(order_ids)


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
        .update(status=Ticket.Status.VOID, refund_pending=False)
    )


def tickets_hold_for_refund(*, order: Model) -> int:
    """Turn the order's valid tickets away at the door while its refund is at the gateway; returns how many.

    The tickets stay valid (sold, their seats held): only check-in refuses
    them (``ticket_not_valid``) until ``tickets_release_refund_hold`` or the
    void that ends the refund. The conditional UPDATE takes each ticket's
    row lock, as a scan's UPDATE does, so the two serialize: a scan that got
    there first has committed its check-in by the time this UPDATE returns,
    and the caller's next read sees it; a scan that comes after finds the
    ticket held. Held tickets that are already checked in stay checked in.
    """
    _require_transaction()
    return Ticket.objects.filter(order=order, status=Ticket.Status.VALID).update(refund_pending=True)


def tickets_release_refund_hold(*, order: Model) -> int:
    """Open the door again to the order's held tickets (its refund failed or was given up).

    Returns how many changed.
    """
    _require_transaction()
    return Ticket.objects.filter(order=order, refund_pending=True).update(refund_pending=False)


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
    the first time and who), ``ticket_not_valid`` (reserved, void, or its
    order's refund is at the gateway). Unknown secret: NotFound (404).

    The database decides: the UPDATE only matches a valid ticket not checked
    in yet and not held for a refund, so of concurrent scans exactly one
    updates a row and the others read the winner's check-in. A refund holds
    or voids the ticket with an UPDATE of the same row, so a scan and a
    refund serialize on the row lock (``tickets_hold_for_refund``). No lock is held past the statement, and
    nothing to roll back: each outcome is counted in ``tixxety_checkins``
    (by its code, never by ticket or person), and an admitted scan sends
    ``tickets.signals.ticket_checked_in`` on commit.
    """
    try:
        ticket = _check_in(secret=secret, by=by, event_id=event_id)
    except DomainError as refused:
        CHECKINS.labels(outcome=refused.code).inc()
        raise
    CHECKINS.labels(outcome="admitted").inc()
    ticket_checked_in.send_on_commit(sender=Ticket, ticket=ticket)
    return ticket


def _check_in(*, secret: str, by: Model, event_id: int | None) -> Ticket:
    if connection.vendor == "postgresql":
        ticket, admitted = _check_in_in_one_statement(secret=secret, by=by, event_id=event_id)
    else:  # SQLite's RETURNING cannot name the tables of UPDATE ... FROM
        ticket, admitted = _check_in_with_orm(secret=secret, by=by, event_id=event_id)
    if admitted:
        return ticket
    if ticket is None:
        raise NotFound("No ticket has this code.", code="ticket_not_found")
    refusal = _refusal(ticket, event_id=event_id)
    if refusal is None:
        # The ticket was read as the statement began; a racing scan or refund changed it while
        # the UPDATE waited for its row lock. The winner has committed: read what it left.
        ticket = _ticket_by_secret(secret)
        refusal = _refusal(ticket, event_id=event_id)
    raise refusal or Conflict("The ticket changed; scan it again.")


def _check_in_in_one_statement(*, secret: str, by: Model, event_id: int | None) -> tuple[Ticket | None, bool]:
    """Every scan's one statement: UPDATE a valid, unchecked ticket, and read what the door shows either way.

    Returns the ticket (None for an unknown secret) and whether this scan
    checked it in. The UPDATE runs in a data-modifying CTE and the SELECT
    reads the ticket with its order, event, ticket type, seat and first
    scanner (not locked: only the ticket row is), so a refused scan, the
    common answer when codes are scanned twice, costs no second query. The
    SELECT sees the row as the statement began: for an admitted scan the
    check-in is filled in here; a refused one may predate a racing scan that
    won while the UPDATE waited (the caller reads the row again). The SQL is
    fixed text, so no query is compiled per scan.

    The related rows are read by key, one LATERAL lookup each (``OFFSET 0``
    keeps PostgreSQL from flattening them into one join problem): planned as
    a join, with the statistics of a table that grew since its last ANALYZE,
    the planner merge-joined the whole orders table against the one ticket
    (1.5 ms of execution for 5,000 orders, and 0.6 ms of planning, against
    0.05 and 0.3 ms this way; the plan now cannot depend on the statistics).
    """
    now = timezone.now()
    scope = "AND EXISTS (SELECT 1 FROM {order} AS o WHERE o.id = t.order_id AND o.event_id = %s)"
    if event_id is None:
        scope = ""
    sql = _CHECK_IN_SQL.format(
        ticket=fast_insert.quoted_table(Ticket),
        order=_table(Ticket, "order"),
        ticket_type=_table(Ticket, "ticket_type"),
        event=_table(TicketType, "event"),
        seat=_table(Ticket, "seat"),
        user=_table(Ticket, "checked_in_by"),
        scope=scope.format(order=_table(Ticket, "order")),
    )
    scoped = [event_id] if event_id is not None else []
    params = [now, by.pk, secret, Ticket.Status.VALID.value, *scoped, secret]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, False
    (
        pk, status, checked_in_at, checked_in_by_id, checked_in_by_name, refund_pending, order_id, code,
        event_pk, title, starts_at, type_pk, type_name, seat_id, seat_label, holder, admitted,
    ) = row  # fmt: skip
    event = Event(pk=event_pk, title=title, starts_at=starts_at)
    ticket = Ticket(
        pk=pk, holder_name=holder, secret=secret, status=status, refund_pending=refund_pending,
        checked_in_at=now if admitted else checked_in_at,
        order=_related(Ticket, "order")(pk=order_id, code=code, event=event),
        ticket_type=TicketType(pk=type_pk, name=type_name, event=event),
        seat=Seat(pk=seat_id, label=seat_label) if seat_id is not None else None,
    )  # fmt: skip
    if admitted:
        ticket.checked_in_by = by
    elif checked_in_by_id is not None:
        ticket.checked_in_by = _related(Ticket, "checked_in_by")(pk=checked_in_by_id, name=checked_in_by_name)
    else:
        ticket.checked_in_by = None
    ticket._state.adding = False
    return ticket, admitted


def _check_in_with_orm(*, secret: str, by: Model, event_id: int | None) -> tuple[Ticket | None, bool]:
    """The zero-setup database's check-in: read the ticket, then the same conditional UPDATE."""
    ticket = ticket_at_door(secret=secret)
    if ticket is None or (event_id is not None and ticket.order.event_id != event_id):
        return ticket, False
    now = timezone.now()
    updated = Ticket.objects.filter(
        pk=ticket.pk, status=Ticket.Status.VALID, checked_in_at__isnull=True, refund_pending=False
    ).update(checked_in_at=now, checked_in_by=by)
    if not updated:
        return ticket, False
    ticket.checked_in_at, ticket.checked_in_by = now, by
    return ticket, True


_CHECK_IN_SQL = (
    "WITH admitted AS ("
    "UPDATE {ticket} AS t SET checked_in_at = %s, checked_in_by_id = %s "
    "WHERE t.secret = %s AND t.status = %s AND t.checked_in_at IS NULL AND NOT t.refund_pending {scope} "
    "RETURNING t.id) "
    "SELECT t.id, t.status, t.checked_in_at, t.checked_in_by_id, u.name, t.refund_pending, o.id, o.code, "
    "e.id, e.title, e.starts_at, tt.id, tt.name, t.seat_id, s.label, t.holder_name, "
    "EXISTS (SELECT 1 FROM admitted) "
    "FROM {ticket} AS t "
    "CROSS JOIN LATERAL (SELECT o.id, o.code, o.event_id FROM {order} AS o "
    "WHERE o.id = t.order_id OFFSET 0) o "
    "CROSS JOIN LATERAL (SELECT e.id, e.title, e.starts_at FROM {event} AS e "
    "WHERE e.id = o.event_id OFFSET 0) e "
    "CROSS JOIN LATERAL (SELECT tt.id, tt.name FROM {ticket_type} AS tt "
    "WHERE tt.id = t.ticket_type_id OFFSET 0) tt "
    "LEFT JOIN LATERAL (SELECT s.label FROM {seat} AS s WHERE s.id = t.seat_id OFFSET 0) s ON true "
    "LEFT JOIN LATERAL (SELECT u.name FROM {user} AS u WHERE u.id = t.checked_in_by_id OFFSET 0) u ON true "
    "WHERE t.secret = %s"
)


def _related(model: type[Model], relation: str) -> type[Model]:
    """The model that ``model.relation`` points to: tickets imports no ``orders``."""
    return model._meta.get_field(relation).related_model


def _table(model: type[Model], relation: str) -> str:
    return fast_insert.quoted_table(_related(model, relation))


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
    if ticket.refund_pending:
        return CheckInRefused(
            "Not valid: its order is being refunded.", code="ticket_not_valid", ticket=ticket
        )
    return None
