"""A shopper with a history on top of ``seed_demo --scale`` data, for measuring the main pages.

Used by the page query-budget test and by ``bench/pages.py``, so both look at
the same pages with the same rows behind them.
"""

from typing import NamedTuple

from accounts.models import User
from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory
from orders.services import cart_add_item, order_pay, order_reserve
from orders.services.queue import ticket_request_create
from orders.services.waitlist import waitlist_join

SHOPPER_EMAIL = "scale-user-1@local.test"
# More orders than one page of "My orders" (ORDERS_PER_PAGE) holds.
ORDERS = 25


class ShopperPages(NamedTuple):
    anonymous: dict[str, str]
    signed_in: dict[str, str]


def shopper_with_history() -> tuple[User, ShopperPages]:
    """Give the first scale customer orders, a seated paid order, a cart, a waitlist entry, a queue request.

    Returns the user and the main pages' URLs, by name, to visit anonymously
    and signed in as that user.
    """
    shopper = User.objects.get(email=SHOPPER_EMAIL)
    others = list(User.objects.filter(email__startswith="scale-user-").exclude(pk=shopper.pk)[:4])
    direct = list(
        Event.objects.filter(slug__startswith="scale-event-", sale_mode=Event.SaleMode.DIRECT)
        .prefetch_related("ticket_types")
        .order_by("pk")[: ORDERS + 1]
    )
    orders = []
    for event in direct[:ORDERS]:
        regular = next(t for t in event.ticket_types.all() if t.name == "Regular")
        orders.append(order_reserve(user=shopper, event_id=event.pk, items=[(regular.pk, 2)]))
    for order in orders[::2]:
        order_pay(order_id=order.pk, by=shopper, provider="test", token="tok_visa")
    seated = Event.objects.get(slug="proms-gala-evening")
    seated_order = order_reserve(
        user=shopper, event_id=seated.pk, seat_ids=list(seated.seats.values_list("pk", flat=True)[:4])
    )
    order_pay(order_id=seated_order.pk, by=shopper, provider="test", token="tok_visa")
    cart_add_item(user=shopper, ticket_type_id=direct[ORDERS].ticket_types.first().pk, quantity=2)

    sold_out = EventFactory(title="Sold-out club night", slug="page-data-sold-out")
    scarce = TicketTypeFactory(event=sold_out, name="Regular", capacity=2)
    order_reserve(user=others[0], event_id=sold_out.pk, items=[(scarce.pk, 2)])
    waitlist_join(user=others[1], ticket_type_id=scarce.pk, quantity=1)
    waitlist_join(user=shopper, ticket_type_id=scarce.pk, quantity=1)

    queued = Event.objects.filter(slug__startswith="scale-event-", sale_mode=Event.SaleMode.QUEUE).first()
    queued_regular = queued.ticket_types.get(name="Regular")
    for other in others[1:]:
        ticket_request_create(user=other, event_id=queued.pk, items=[(queued_regular.pk, 1)])
    ticket_request = ticket_request_create(user=shopper, event_id=queued.pk, items=[(queued_regular.pk, 2)])

    catalogue = {
        "home": "/",
        "events": "/events/",
        "events-page-40": "/events/?page=40",
        "events-search": "/events/?q=jazz",
        "events-near": "/events/?near=40.7128,-74.0060",
        "event": f"/events/{direct[0].pk}/",
        "event-seated": f"/events/{seated.pk}/",
        "event-queue": f"/events/{queued.pk}/",
        "event-sold-out": f"/events/{sold_out.pk}/",
    }
    own = {
        "orders": "/orders/",
        "order-paid-seated": f"/orders/{seated_order.code}/",
        "order-paid": f"/orders/{orders[0].code}/",
        "order-reserved": f"/orders/{orders[1].code}/",
        "cart": "/cart/",
        "waitlist": "/waitlist/",
        "queue-requests": "/queue/",
        "queue-request": f"/queue/{ticket_request.pk}/",
    }
    return shopper, ShopperPages(anonymous=catalogue, signed_in={**catalogue, **own})
