from django.urls import re_path

from orders.api.cart import CartCheckoutView, CartItemsView, CartItemView, CartView
from orders.api.orders import BookView, OrderViewSet, PaymentViewSet
from orders.api.queue import TicketRequestCreateView, TicketRequestViewSet
from orders.api.waitlist import EventWaitlistView, WaitlistEntryView, WaitlistView
from tixxety.api.routers import OptionalSlashRouter

app_name = "orders"

router = OptionalSlashRouter()
router.register("orders", OrderViewSet, basename="order")
router.register("payments", PaymentViewSet, basename="payment")
router.register("ticket-requests", TicketRequestViewSet, basename="ticket-request")

urlpatterns = [
    re_path(r"^events/(?P<event_id>[0-9]+)/book/?$", BookView.as_view(), name="event-book"),
    re_path(
        r"^events/(?P<event_id>[0-9]+)/ticket-requests/?$",
        TicketRequestCreateView.as_view(),
        name="event-ticket-requests",
    ),
    re_path(r"^cart/?$", CartView.as_view(), name="cart-detail"),
    re_path(r"^cart/items/?$", CartItemsView.as_view(), name="cart-item-list"),
    re_path(r"^cart/items/(?P<item_id>[0-9]+)/?$", CartItemView.as_view(), name="cart-item-detail"),
    re_path(r"^cart/checkout/?$", CartCheckoutView.as_view(), name="cart-checkout"),
    re_path(r"^events/(?P<event_id>[0-9]+)/waitlist/?$", EventWaitlistView.as_view(), name="event-waitlist"),
    re_path(r"^waitlist/?$", WaitlistView.as_view(), name="waitlist-list"),
    re_path(r"^waitlist/(?P<entry_id>[0-9]+)/?$", WaitlistEntryView.as_view(), name="waitlist-detail"),
    *router.urls,
]
