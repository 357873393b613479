"""Reserve tickets: by quantity, across ticket types, or by seats.

One transaction. The order, its lines and its tickets are inserted first;
the inventory is claimed last, one conditional UPDATE per ticket type in id
order (``reserved + sold + n <= capacity``). Zero rows updated means sold out
and rolls the whole order back. Claiming last keeps the hot ticket-type row
locked only from that UPDATE to COMMIT, which is what lets a flash sale run
at the speed of the database. A type already sold out when the sale is read
is refused before anything is written: in a flash sale most requests are
these. Seats are claimed by inserting their tickets: the partial unique
index on ``Ticket.seat`` refuses a second active claim. The statements
themselves are in ``reservation_sql``.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from events.models import Event, Seat, TicketType
from orders.models import Order, OrderLine
from orders.services import reservation_sql
from orders.tasks import expire_order
from tickets.models import Ticket
from tixxety.exceptions import DomainError, NotFound, NotOnSale, SeatTaken, SoldOut
from tixxety.jobs import send_on_commit

MAX_TICKETS_PER_ORDER = 100


def hold_seconds(event: Event) -> int:
    """How long an unpaid reservation holds its tickets."""
    return event.hold_minutes * 60 if event.hold_minutes else settings.RESERVATION_HOLD_SECONDS


def order_reserve(
    *,
    user: User,
    event_id: int,
    items: Iterable[tuple[int, int]] = (),
    seat_ids: Iterable[int] = (),
    source: str = Order.Source.DIRECT,
) -> Order:
    """Reserve ``items`` (ticket type id, quantity) and/or ``seat_ids`` of one event.

    Raises NotFound (event, ticket type or seat unknown to this event),
    NotOnSale (not published, already over, or queue-only), DomainError
    (bad quantities, over ``max_per_order``, mixed currencies), SeatTaken
    naming the seats, and SoldOut; in every case nothing is written.
    The order expires after the hold: a delayed message is sent on commit.
    """
    quantities = Counter()
    for ticket_type_id, quantity in items:
        if quantity < 1:
            raise DomainError("Quantity must be at least 1.", code="invalid_quantity")
        quantities[ticket_type_id] += quantity
    seat_ids = list(dict.fromkeys(seat_ids))
    if not quantities and not seat_ids:
        raise DomainError("Choose at least one ticket or seat.", code="empty_order")

    # The sale is read before the transaction opens: under READ COMMITTED each
    # statement sees the latest commit either way, and a refusal, the common
    # answer in a flash sale, then costs one query and no BEGIN or ROLLBACK.
    seats = _load_seats(event_id, seat_ids)
    event_types = reservation_sql.select_ticket_types(event_id)
    event = (
        next(iter(event_types.values())).event if event_types else Event.objects.filter(pk=event_id).first()
    )
    if event is None:
        raise NotFound("Event not found")
    check_on_sale(event, source)
    wanted = quantities + Counter(seat.ticket_type_id for seat in seats)
    _check_all_found(seat_ids, seats, wanted, event_types)
    ticket_types = {pk: event_types[pk] for pk in sorted(wanted)}
    _check_limits(ticket_types, wanted)
    _check_seats_chosen(ticket_types, quantities)
    for pk, quantity in quantities.items():  # seats: the seat's own answer is more useful
        if ticket_types[pk].available < quantity:
            raise _sold_out(ticket_types[pk], event_types)
    quantities.update(seat.ticket_type_id for seat in seats)

    with transaction.atomic():
        (order,) = reservation_sql.insert(
            [
                Order(
                    user=user,
                    event=event,
                    source=source,
                    currency=next(iter(ticket_types.values())).currency,
                    total=sum(ticket_types[pk].price * n for pk, n in quantities.items()),
                    expires_at=timezone.now() + timedelta(seconds=hold_seconds(event)),
                )
            ]
        )
        lines = reservation_sql.insert(
            [
                OrderLine(
                    order=order, ticket_type=ticket_types[pk], quantity=n, unit_price=ticket_types[pk].price
                )
                for pk, n in sorted(quantities.items())
            ]
        )
        tickets = _insert_tickets(order, quantities, seats, holder_name=user.name)
        for pk in sorted(quantities):  # last, in id order: see the module docstring
            if not reservation_sql.claim(pk, quantities[pk]):
                ticket_types[pk].refresh_from_db(fields=["capacity", "reserved_count", "sold_count"])
                raise _sold_out(ticket_types[pk], event_types)
        send_on_commit(expire_order, order.pk, delay_ms=hold_seconds(event) * 1000)
    reservation_sql.as_prefetched(order, lines=lines, tickets=tickets, payments=[])
    return order


def check_on_sale(event: Event, source: str) -> None:
    """Refuse (NotOnSale) an event that is not published, is over, or sells only through the queue."""
    if event.status != Event.Status.PUBLISHED or event.ends_at <= timezone.now():
        raise NotOnSale()
    if event.sale_mode == Event.SaleMode.QUEUE and source not in (Order.Source.QUEUE, Order.Source.WAITLIST):
        raise NotOnSale(
            "This event sells through the queue: send a ticket request instead.", code="queue_only"
        )


def _load_seats(event_id: int, seat_ids: list[int]) -> list[Seat]:
    if not seat_ids:
        return []
    return list(Seat.objects.filter(event_id=event_id, pk__in=seat_ids).order_by("pk"))


def _check_all_found(seat_ids: list[int], seats: list[Seat], wanted: Counter, ticket_types: dict) -> None:
    if missing := sorted(set(seat_ids) - {seat.pk for seat in seats}):
        raise NotFound(
            f"Seat {', '.join(map(str, missing))} not found for this event.", code="seat_not_found"
        )
    if missing := sorted(set(wanted) - set(ticket_types)):
        raise NotFound(
            f"Ticket type {', '.join(map(str, missing))} not found for this event.",
            code="ticket_type_not_found",
        )


def _check_limits(ticket_types: dict[int, TicketType], quantities: Counter) -> None:
    for pk, quantity in quantities.items():
        if quantity > ticket_types[pk].max_per_order:
            raise DomainError(
                f"At most {ticket_types[pk].max_per_order} '{ticket_types[pk].name}' tickets per order.",
                code="max_per_order",
            )
    if sum(quantities.values()) > MAX_TICKETS_PER_ORDER:
        raise DomainError(f"At most {MAX_TICKETS_PER_ORDER} tickets per order.", code="max_per_order")
    if len({t.currency for t in ticket_types.values()}) > 1:
        raise DomainError("Ticket types in one order must share a currency.", code="mixed_currency")


def _check_seats_chosen(ticket_types: dict[int, TicketType], unseated: Counter) -> None:
    """A ticket type with a seat map sells seats, never an anonymous quantity."""
    for pk in unseated:
        if ticket_types[pk].seated:
            raise DomainError(
                f"Choose seats for '{ticket_types[pk].name}' (seat_ids).", code="seats_required"
            )


def _insert_tickets(
    order: Order, quantities: Counter, seats: list[Seat], *, holder_name: str
) -> list[Ticket]:
    seated = Counter(seat.ticket_type_id for seat in seats)
    tickets = reservation_sql.insert(
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
            return tickets + reservation_sql.insert(
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


def _sold_out(ticket_type: TicketType, event_types: dict[int, TicketType]) -> SoldOut:
    """The refusal for a type without enough tickets left, as precise as the counters allow."""
    if ticket_type.available > 0:
        return SoldOut(
            f"Only {ticket_type.available} '{ticket_type.name}' tickets left.", code="not_enough_tickets"
        )
    others_left = any(other.available > 0 for other in event_types.values() if other.pk != ticket_type.pk)
    return SoldOut(f"'{ticket_type.name}' is sold out" if others_left else None)
