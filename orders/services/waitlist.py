"""The waitlist (DESIGN.md flow 5): customers wait for a sold-out type; freed tickets reach them first.

``waitlist_promote`` runs inside the transaction that frees tickets (an
order's ``_close`` on expiry, cancellation or refund; a capacity raised,
through ``events.signals.capacity_changed``), after the ticket type's
counters moved and while its row is locked. A booking racing it waits on
that lock and, once it commits, finds the tickets already reserved for the
waiting entries they fit; only what no entry fits goes back on sale.

Entries are served first come, first served: each one that fits what is left
gets a reserved order (``source=waitlist``, the normal hold, through
``reservation.write_reservation`` like any booking) and becomes ``offered``;
one that does not fit keeps its place while later, smaller ones are served.
The offered order then decides the entry: paid → ``fulfilled``, expired →
``expired``, cancelled → ``cancelled`` (``waitlist_order_ended``).

Locks, in the order every path takes them: the order row, the ticket type
row, then entries. ``waitlist_join`` locks the ticket type while it checks
that nothing fits, so an entry is never written while a promotion frees
tickets it would have fitted.
"""

from collections import Counter

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from events.models import Seat, TicketType
from orders.models import Order, WaitlistEntry
from orders.services.limits import check_order_limits, check_quantity, check_sold_by_quantity
from orders.services.reservation import check_on_sale, write_reservation
from orders.signals import waitlist_changed
from orders.tasks import waitlist_offer_send_task
from tixxety.exceptions import Conflict, DomainError, NotFound
from tixxety.outbox import outbox_send

# How an offered entry ends, from how its order ended.
_ENDED_BY = {
    Order.Status.PAID: WaitlistEntry.Status.FULFILLED,
    Order.Status.EXPIRED: WaitlistEntry.Status.EXPIRED,
    Order.Status.CANCELLED: WaitlistEntry.Status.CANCELLED,
}


MAX_BIGINT = 2**63 - 1


def waitlist_join(
    *, user: User, ticket_type_id: int, quantity: int, event_id: int | None = None
) -> WaitlistEntry:
    """Put ``user`` on the waitlist for ``quantity`` tickets of a type that cannot sell them now.

    Refused with NotFound (an unknown type, or one not of ``event_id``),
    NotOnSale (the event is not on sale), DomainError (the quantity breaks
    the per-order limits, or the type sells seats), Conflict
    ``tickets_available`` when the request fits what is on sale (book it
    instead) and Conflict ``already_waiting`` when the user already has a
    waiting or offered entry for the type.
    """
    check_quantity(quantity)
    with transaction.atomic():
        ticket_types = TicketType.objects.select_related("event").select_for_update(of=("self",))
        if event_id is not None:
            ticket_types = ticket_types.filter(event_id=event_id)
        # An id past a bigint names nothing (and SQLite cannot even compare it).
        in_range = all(pk <= MAX_BIGINT for pk in (ticket_type_id, event_id or 0))
        ticket_type = ticket_types.filter(pk=ticket_type_id).first() if in_range else None
        if ticket_type is None:
            raise NotFound("Ticket type not found for this event.", code="ticket_type_not_found")
        check_on_sale(ticket_type.event, Order.Source.WAITLIST)
        check_sold_by_quantity(ticket_type, seated=ticket_type.seats.exists(), seat_field="seat_ids")
        check_order_limits({ticket_type.pk: ticket_type}, {ticket_type.pk: quantity})
        if quantity <= ticket_type.available:
            raise Conflict("Tickets are available", code="tickets_available")
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(user=user, ticket_type=ticket_type, quantity=quantity)
        except IntegrityError:
            raise Conflict(
                "You are already on the waitlist for these tickets.", code="already_waiting"
            ) from None
        waitlist_changed.send_on_commit(sender=WaitlistEntry, entry=entry)
        return entry


def waitlist_leave(*, entry_id: int, by: User) -> WaitlistEntry:
    """Take an entry off the waitlist: its owner, or staff; another's entry is not found.

    A waiting entry is cancelled. An offered one cancels its reserved order
    too (``order_cancel``, which frees the tickets for the next entry). An
    entry that has already ended is left as it is.
    """
    from orders.services.lifecycle import order_cancel  # lifecycle imports this module

    entry = WaitlistEntry.objects.filter(pk=entry_id).first()
    if entry is None or (entry.user_id != by.pk and not by.is_staff_member):
        raise NotFound("Waitlist entry not found")
    # One statement: a promotion taking this entry at the same moment holds
    # its row, and once it commits the entry is no longer waiting.
    left = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.CANCELLED
    )
    if left:
        waitlist_changed.send_on_commit(sender=WaitlistEntry, entry=entry)
    entry.refresh_from_db()
    if not left and entry.status == WaitlistEntry.Status.OFFERED:
        # The order is locked before the entry, as on every path that ends it.
        order_cancel(order_id=entry.order_id, by=by)  # ends the entry, see waitlist_order_ended
        entry.refresh_from_db()
    return entry


def waitlist_promote(*, ticket_type_id: int) -> list[WaitlistEntry]:
    """Offer what is available of a ticket type to its waiting entries, FIFO; returns those offered.

    Call it inside the transaction that freed the tickets, with the ticket
    type row locked by that transaction (its counters already moved); it
    re-reads the counters under that lock. Each entry that fits what is left
    gets a reserved order and its owner an e-mail (through the outbox);
    entries that do not fit are passed over and keep their place. Nothing
    happens for an event that is no longer on sale, nor for a type that
    has a seat map (by then: joining refuses one).
    """
    ticket_type = (
        TicketType.objects.select_related("event").select_for_update(of=("self",)).get(pk=ticket_type_id)
    )
    available = ticket_type.available
    if available <= 0:
        return []
    try:
        check_on_sale(ticket_type.event, Order.Source.WAITLIST)
    except DomainError:
        return []
    waiting = (
        WaitlistEntry.objects.filter(ticket_type=ticket_type, status=WaitlistEntry.Status.WAITING)
        .select_related("user")
        .order_by("created_at", "id")
    )
    # The first waiting entry that fits what is left; those ahead that do not
    # fit keep their place, and an entry offered (or gone) meanwhile is no
    # longer waiting. Looked for before the seat map: most releases find no
    # one waiting, and each query here runs with the ticket type locked.
    entry = waiting.filter(quantity__lte=available).first()
    if entry is None:
        return []
    if Seat.objects.filter(ticket_type_id=ticket_type.pk).exists():
        return []  # a seat map arrived after they joined: seats are chosen, not handed out
    offered = []
    while entry is not None:
        if _offer(entry, ticket_type):
            offered.append(entry)
            available -= entry.quantity
        entry = waiting.filter(quantity__lte=available).first() if available > 0 else None
    return offered


def waitlist_order_ended(order: Order) -> None:
    """Record on its waitlist entry how a promoted order ended (paid, expired or cancelled).

    Called by the services that end or pay an order, in their transaction.
    """
    if order.source != Order.Source.WAITLIST or order.status not in _ENDED_BY:
        return
    WaitlistEntry.objects.filter(order=order, status=WaitlistEntry.Status.OFFERED).update(
        status=_ENDED_BY[order.status]
    )


def _offer(entry: WaitlistEntry, ticket_type: TicketType) -> bool:
    """Turn a waiting entry into an offer with its reserved order; False if it left meanwhile."""
    now = timezone.now()
    taken = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.OFFERED, offered_at=now
    )
    if not taken:
        return False
    order = write_reservation(
        user=entry.user,
        event=ticket_type.event,
        ticket_types={ticket_type.pk: ticket_type},
        quantities=Counter({ticket_type.pk: entry.quantity}),
        source=Order.Source.WAITLIST,
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(order=order)
    entry.status, entry.offered_at, entry.order = WaitlistEntry.Status.OFFERED, now, order
    outbox_send(waitlist_offer_send_task, order.pk)
    return True
