"""Reserve tickets: by quantity, across ticket types, or by seats.

One transaction. The order, its lines and its tickets are inserted first;
the inventory is claimed last, one conditional UPDATE per ticket type in id
order (``reserved + sold + n <= capacity``). Zero rows updated means sold out
and rolls the whole order back. Claiming last keeps the hot ticket-type row
locked only from that UPDATE to COMMIT, which is what lets a flash sale run
at the speed of the database. A type already sold out when the sale is read
is refused before anything is written: in a flash sale most requests are
these. Seats are claimed by inserting their tickets: the partial unique
index on ``Ticket.seat`` refuses a second active claim (``tickets_issue``).
The statements themselves are in ``reservation_sql`` and ``tixxety.fast_insert``.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from events.models import Event, Seat, TicketType
from orders.models import Order, OrderLine
from orders.services import reservation_sql
from orders.services.limits import check_order_limits, check_quantity, check_sold_by_quantity
from orders.signals import order_reserved
from orders.tasks import order_expire_task
from tickets.services import tickets_issue
from tixxety import fast_insert
from tixxety.exceptions import DomainError, NotFound, NotOnSale, SoldOut
from tixxety.jobs import send_on_commit


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
    The order expires after the hold: a delayed message is sent on commit,
    and ``order_reserved``.
    """
    quantities = Counter()
    for ticket_type_id, quantity in items:
        check_quantity(quantity)
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
    check_order_limits(ticket_types, wanted)
    for pk in quantities:
        check_sold_by_quantity(ticket_types[pk], seated=ticket_types[pk].seated, seat_field="seat_ids")
    for pk, quantity in quantities.items():  # seats: the seat's own answer is more useful
        if ticket_types[pk].available < quantity:
            raise _sold_out(ticket_types[pk], event_types)
    quantities.update(seat.ticket_type_id for seat in seats)

    with transaction.atomic():
        order = write_reservation(
            user=user,
            event=event,
            ticket_types=ticket_types,
            quantities=quantities,
            seats=seats,
            source=source,
            event_types=event_types,
        )
    return order


def write_reservation(
    *,
    user: User,
    event: Event,
    ticket_types: dict[int, TicketType],
    quantities: Counter,
    seats: list[Seat] = (),
    source: str,
    event_types: dict[int, TicketType] | None = None,
) -> Order:
    """Insert a reserved order, its lines and tickets, and claim its inventory; inside a transaction.

    The write half of ``order_reserve``, shared with the waitlist's
    promotion, which runs it with the ticket type already locked and knows
    what fits. ``quantities`` counts every ticket by type id (seats
    included), and ``ticket_types`` holds those types. A claim that finds
    too few tickets raises SoldOut (the caller's transaction rolls back).
    The expiry message and ``order_reserved`` go out on commit.
    """
    (order,) = fast_insert.insert(
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
    lines = fast_insert.insert(
        [
            OrderLine(
                order=order, ticket_type=ticket_types[pk], quantity=n, unit_price=ticket_types[pk].price
            )
            for pk, n in sorted(quantities.items())
        ]
    )
    tickets = tickets_issue(order=order, quantities=quantities, seats=seats, holder_name=user.name)
    for pk in sorted(quantities):  # last, in id order: see the module docstring
        if not reservation_sql.claim(pk, quantities[pk]):
            ticket_types[pk].refresh_from_db(fields=["capacity", "reserved_count", "sold_count"])
            raise _sold_out(ticket_types[pk], event_types or ticket_types)
    send_on_commit(order_expire_task, order.pk, delay_ms=hold_seconds(event) * 1000)
    order_reserved.send_on_commit(sender=Order, order=order, ticket_type_ids=sorted(quantities))
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


def _sold_out(ticket_type: TicketType, event_types: dict[int, TicketType]) -> SoldOut:
    """The refusal for a type without enough tickets left, as precise as the counters allow."""
    if ticket_type.available > 0:
        return SoldOut(
            f"Only {ticket_type.available} '{ticket_type.name}' tickets left.", code="not_enough_tickets"
        )
    others_left = any(other.available > 0 for other in event_types.values() if other.pk != ticket_type.pk)
    return SoldOut(f"'{ticket_type.name}' is sold out" if others_left else None)
