"""The cart: a customer's pending selection, turned into one reserved order at checkout.

A cart holds tickets of one event, because an order has one event. It holds
no inventory: capacity and seats are claimed only by ``cart_checkout``,
through ``order_reserve``, so sold out and taken seats are decided in one
place. Every write locks the cart row first, which serialises a user's
concurrent requests (two tabs adding the same line) without touching any
row another user needs.
"""

from collections import Counter

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from events.models import Event, Seat, TicketType
from orders.models import Cart, CartItem, Order
from orders.services.limits import check_order_limits, check_quantity, check_sold_by_quantity
from orders.services.reservation import check_on_sale, order_reserve
from tixxety.exceptions import Conflict, DomainError, NotFound


@transaction.atomic
def cart_add_item(
    *, user: User, ticket_type_id: int | None = None, quantity: int = 1, seat_id: int | None = None
) -> CartItem:
    """Add ``quantity`` tickets of a ticket type, or one seat, to the user's cart.

    Tickets of a type already in the cart are merged into its line; a seat
    is one ticket of its own ticket type. Raises NotFound (unknown ticket
    type or seat), NotOnSale (event not published, over, or queue-only),
    Conflict when the cart holds another event's tickets or already holds
    the seat, and DomainError for a quantity outside 1..``max_per_order``,
    a quantity of a seated ticket type, or a second currency. Nothing is reserved: availability is checked at
    checkout. On any error the cart is unchanged.
    """
    if (ticket_type_id is None) == (seat_id is None):
        raise DomainError("Add either a ticket type or a seat.", code="invalid_shape")
    seat = None
    if seat_id is not None:
        if quantity != 1:
            raise DomainError("A seat is one ticket: leave out the quantity.", code="seat_quantity")
        seat = Seat.objects.select_related("ticket_type__event").filter(pk=seat_id).first()
        if seat is None:
            raise NotFound(f"Seat {seat_id} not found.", code="seat_not_found")
        ticket_type = seat.ticket_type
    else:
        ticket_type = TicketType.objects.select_related("event").filter(pk=ticket_type_id).first()
        if ticket_type is None:
            raise NotFound(f"Ticket type {ticket_type_id} not found.", code="ticket_type_not_found")
        seated = Seat.objects.filter(ticket_type=ticket_type).exists()
        check_sold_by_quantity(ticket_type, seated=seated, seat_field="seat_id")
    check_quantity(quantity)
    check_on_sale(ticket_type.event, Order.Source.CART)

    cart = _locked_cart(user, create=True)
    items = _items(cart)
    _check_one_event(items, ticket_type.event)
    _check_limits(items, ticket_type, quantity)
    if seat is not None:
        if any(item.seat_id == seat.pk for item in items):
            raise Conflict(f"Seat {seat.label} is already in your cart.", code="seat_in_cart")
        item = CartItem.objects.create(cart=cart, ticket_type=ticket_type, seat=seat)
    elif line := next((i for i in items if i.ticket_type_id == ticket_type.pk and i.seat_id is None), None):
        CartItem.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
        line.refresh_from_db(fields=["quantity"])
        item = line
    else:
        item = CartItem.objects.create(cart=cart, ticket_type=ticket_type, quantity=quantity)
    _touch(cart)
    return item


@transaction.atomic
def cart_update_item(*, user: User, item_id: int, quantity: int) -> CartItem:
    """Set the quantity of a line in the user's cart.

    Raises NotFound for an item that is not in this user's cart, and
    DomainError for a quantity outside 1..``max_per_order`` or a seat set to
    anything but 1 (a seat is one ticket: remove it instead).
    """
    check_quantity(quantity)
    cart = _locked_cart(user)
    items = _items(cart) if cart else []
    item = next((i for i in items if i.pk == item_id), None)
    if item is None:
        raise NotFound("Cart item not found.", code="cart_item_not_found")
    if item.seat_id is not None and quantity != 1:
        raise DomainError("A seat is one ticket: remove it instead.", code="seat_quantity")
    _check_limits([i for i in items if i.pk != item.pk], item.ticket_type, quantity)
    item.quantity = quantity  # under the cart lock: no other writer can interleave
    item.save(update_fields=["quantity"])
    _touch(cart)
    return item


@transaction.atomic
def cart_remove_item(*, user: User, item_id: int) -> None:
    """Remove a line from the user's cart; NotFound if it is not in this user's cart."""
    cart = _locked_cart(user)
    deleted = CartItem.objects.filter(cart=cart, pk=item_id).delete()[0] if cart else 0
    if not deleted:
        raise NotFound("Cart item not found.", code="cart_item_not_found")
    _touch(cart)


@transaction.atomic
def cart_clear(*, user: User) -> None:
    """Empty the user's cart. Clearing an empty or missing cart is a no-op."""
    cart = _locked_cart(user)
    if cart is not None and CartItem.objects.filter(cart=cart).delete()[0]:
        _touch(cart)


@transaction.atomic
def cart_checkout(*, user: User) -> Order:
    """Reserve the whole cart as one order (source ``cart``), then empty the cart.

    All or nothing: the reservation and the emptying share one transaction,
    so when ``order_reserve`` refuses (SoldOut, SeatTaken naming the seats,
    NotOnSale, NotFound, DomainError) its error propagates unchanged and the
    cart is left as it was. An empty cart is a DomainError (``cart_empty``).
    """
    cart = _locked_cart(user)
    items = _items(cart) if cart else []
    if not items:
        raise DomainError("Your cart is empty.", code="cart_empty")
    order = order_reserve(
        user=user,
        event_id=items[0].ticket_type.event_id,
        items=[(item.ticket_type_id, item.quantity) for item in items if item.seat_id is None],
        seat_ids=[item.seat_id for item in items if item.seat_id is not None],
        source=Order.Source.CART,
    )
    CartItem.objects.filter(cart=cart).delete()
    _touch(cart)
    return order


def _locked_cart(user: User, *, create: bool = False) -> Cart | None:
    """The user's cart row, locked for the rest of the transaction (created first if ``create``)."""
    carts = Cart.objects.select_for_update()
    if not create:
        return carts.filter(user=user).first()
    # get_or_create retries the get when a concurrent request created the cart first.
    return carts.get_or_create(user=user)[0]


def _items(cart: Cart) -> list[CartItem]:
    return list(
        CartItem.objects.filter(cart=cart).select_related("ticket_type__event", "seat").order_by("pk")
    )


def _touch(cart: Cart) -> None:
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


def _check_one_event(items: list[CartItem], event: Event) -> None:
    other = next((item.ticket_type.event for item in items if item.ticket_type.event_id != event.pk), None)
    if other is not None:
        raise Conflict(
            f"Your cart holds tickets for '{other.title}'. An order is for one event: "
            "check out or clear your cart before adding tickets for another event.",
            code="cart_other_event",
        )


def _check_limits(items: list[CartItem], ticket_type: TicketType, quantity: int) -> None:
    """Refuse what checkout would: the order limits applied to the cart plus ``quantity`` more."""
    ticket_types = {item.ticket_type_id: item.ticket_type for item in items} | {ticket_type.pk: ticket_type}
    quantities = Counter({ticket_type.pk: quantity})
    for item in items:
        quantities[item.ticket_type_id] += item.quantity
    check_order_limits(ticket_types, quantities)
