"""Cart and order pages."""

from django.urls import path

from orders import views

# No namespace: the API's URL modules hold the app names.

urlpatterns = [
    path("events/<int:pk>/book/", views.event_book, name="event-book"),
    path("events/<int:pk>/waitlist/", views.waitlist_join, name="waitlist-join"),
    path("waitlist/", views.waitlist_page, name="waitlist"),
    path("waitlist/<int:entry_id>/leave/", views.waitlist_leave, name="waitlist-leave"),
    path("events/<int:pk>/queue/", views.event_queue_join, name="event-queue-join"),
    path("queue/", views.ticket_request_list, name="ticket-request-list"),
    path("queue/<int:pk>/", views.ticket_request_detail, name="ticket-request-detail"),
    path("cart/", views.cart, name="cart"),
    path("cart/items/<int:item_id>/", views.cart_item_update, name="cart-item-update"),
    path("cart/items/<int:item_id>/remove/", views.cart_item_remove, name="cart-item-remove"),
    path("cart/checkout/", views.cart_checkout, name="cart-checkout"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<str:code>/", views.order_detail, name="order-detail"),
    path("orders/<str:code>/pay/", views.order_pay, name="order-pay"),
    path("orders/<str:code>/cancel/", views.order_cancel, name="order-cancel"),
    path("orders/<str:code>/refund/", views.order_refund, name="order-refund"),
]
