"""The only code that moves ticket-type counters after a reservation.

Every change is a conditional UPDATE on the ticket type row, taken in
ticket-type id order so two transactions touching the same types never wait
on each other in opposite orders. The check constraint
``reserved_count + sold_count <= capacity`` backs every one of them.
"""

from django.db.models import F

from events.models import TicketType
from orders.models import Order
from tickets.models import Ticket


def _lines(order: Order):
    return order.lines.order_by("ticket_type_id").values_list("ticket_type_id", "quantity")


def release(order: Order) -> None:
    """Give back a reserved or paid order's tickets to sale and void its tickets."""
    counter = "sold_count" if order.status == Order.Status.PAID else "reserved_count"
    for ticket_type_id, quantity in _lines(order):
        TicketType.objects.filter(pk=ticket_type_id).update(**{counter: F(counter) - quantity})
    Ticket.objects.filter(order=order).exclude(status=Ticket.Status.VOID).update(status=Ticket.Status.VOID)


def confirm_sale(order: Order) -> None:
    """Move a reserved order's tickets from reserved to sold and make them valid."""
    for ticket_type_id, quantity in _lines(order):
        TicketType.objects.filter(pk=ticket_type_id).update(
            reserved_count=F("reserved_count") - quantity, sold_count=F("sold_count") + quantity
        )
    Ticket.objects.filter(order=order, status=Ticket.Status.RESERVED).update(status=Ticket.Status.VALID)
