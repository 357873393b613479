"""The only code that moves ticket-type counters after a reservation.

Every change is a conditional UPDATE on the ticket type row, taken in
ticket-type id order so two transactions touching the same types never wait
on each other in opposite orders. The check constraint
``reserved_count + sold_count <= capacity`` backs every one of them. The
tickets follow through ``tickets.services``.
"""

from django.db.models import F

from events.models import TicketType
from orders.models import Order
from tickets.services import tickets_validate, tickets_void


def _lines(order: Order):
    return order.lines.order_by("ticket_type_id").values_list("ticket_type_id", "quantity")


def release(order: Order, *, paid: bool) -> list[int]:
    """Void an order's tickets and give them back to sale: from ``sold_count`` if it was ``paid``.

    Returns the ids of the ticket types that got tickets back, in id order.
    The counters move last: a ticket type's row stays locked from its UPDATE
    to the commit, and in an on-sale every order ends against the same row,
    so whatever can run before it takes that lock does.
    """
    counter = "sold_count" if paid else "reserved_count"
    tickets_void(order=order)
    released = []
    for ticket_type_id, quantity in _lines(order):
        TicketType.objects.filter(pk=ticket_type_id).update(**{counter: F(counter) - quantity})
        released.append(ticket_type_id)
    return released


def confirm_sale(order: Order) -> None:
    """Move a reserved order's tickets from reserved to sold and make them valid."""
    for ticket_type_id, quantity in _lines(order):
        TicketType.objects.filter(pk=ticket_type_id).update(
            reserved_count=F("reserved_count") - quantity, sold_count=F("sold_count") + quantity
        )
    tickets_validate(order=order)
