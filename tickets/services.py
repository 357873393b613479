"""Every change of a ticket's state: issue, validate, void (check-in comes next).

``orders`` calls these inside the transaction that changes the order (the
order row is locked, or was just inserted), so a ticket never changes state
apart from its order: each refuses to run outside a transaction
(RuntimeError). They take the order as an instance and never import
``orders`` (tickets sit to its left).
"""

from collections import Counter
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import Model

from events.models import Seat
from tickets.models import Ticket
from tixxety import fast_insert
from tixxety.exceptions import SeatTaken


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
