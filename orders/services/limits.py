"""The limits every order obeys, whichever way it is built (booking, cart, queue).

``order_reserve`` applies them to the whole order; the cart applies them to
what its checkout would reserve, so a customer is told at once, with the same
words and codes (DomainError: ``invalid_quantity``, ``max_per_order``,
``mixed_currency``, ``seats_required``).
"""

from collections.abc import Mapping

from events.models import TicketType
from orders.models import MAX_TICKETS_PER_ORDER
from tixxety.exceptions import DomainError


def check_quantity(quantity: int) -> None:
    """Refuse a quantity below one."""
    if quantity < 1:
        raise DomainError("Quantity must be at least 1.", code="invalid_quantity")


def check_order_limits(ticket_types: Mapping[int, TicketType], quantities: Mapping[int, int]) -> None:
    """Refuse an order over a type's ``max_per_order``, over ``MAX_TICKETS_PER_ORDER``, or in two currencies.

    ``quantities`` counts every ticket of the order (seats included) by
    ticket type id; each id must be a key of ``ticket_types``.
    """
    for pk, quantity in quantities.items():
        if quantity > ticket_types[pk].max_per_order:
            raise DomainError(
                f"At most {ticket_types[pk].max_per_order} '{ticket_types[pk].name}' tickets per order.",
                code="max_per_order",
            )
    if sum(quantities.values()) > MAX_TICKETS_PER_ORDER:
        raise DomainError(f"At most {MAX_TICKETS_PER_ORDER} tickets per order.", code="max_per_order")
    if len({ticket_types[pk].currency for pk in quantities}) > 1:
        raise DomainError("Ticket types in one order must share a currency.", code="mixed_currency")


def check_sold_by_quantity(ticket_type: TicketType, *, seated: bool, seat_field: str) -> None:
    """Refuse a quantity of a ticket type with a seat map: it sells seats, named in ``seat_field``."""
    if seated:
        raise DomainError(f"Choose seats for '{ticket_type.name}' ({seat_field}).", code="seats_required")
