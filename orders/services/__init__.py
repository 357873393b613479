"""Every state change of orders, payments, carts and idempotency records.

Each public function owns its transaction, so the API, pages, admin actions,
actors and commands behave the same.
"""

from orders.services.cart import cart_add_item, cart_checkout, cart_clear, cart_remove_item, cart_update_item
from orders.services.lifecycle import order_cancel, order_expire, order_refund, orders_expire_overdue
from orders.services.payment import order_pay
from orders.services.reservation import order_reserve

__all__ = [
    "cart_add_item",
    "cart_checkout",
    "cart_clear",
    "cart_remove_item",
    "cart_update_item",
    "order_cancel",
    "order_expire",
    "order_pay",
    "order_refund",
    "order_reserve",
    "orders_expire_overdue",
]
