"""What ``orders`` tells the apps to its right, sent explicitly by its services.

All are notifications sent on commit (``tixxety.notifications``): a
receiver learns of a change that is already permanent, so it may only
enqueue work or bump a cache version, and a receiver that raises never fails
the request that sent it: the error is logged and counted
(``tixxety_after_commit_failures``) and the other receivers still run. A
rolled-back transaction sends nothing. Each is sent once per transition.

Every one is sent with ``sender=Order`` and ``order`` (the order as the
service left it), except ``orders_reserved``:

``order_reserved``
    a new reserved order, from ``order_reserve`` (every booking, cart
    checkout, queue or waitlist order); also ``ticket_type_ids``.
``orders_reserved``
    a batch of new reserved orders, from the priority queue
    (``orders.services.queue``): ``order_ids`` (a list of ids, not
    ``order``: the batch builds no Order instances) and
    ``ticket_type_ids``. One notification per batch of thousands.
``order_paid``
    a reserved order became paid, from ``order_pay``.
``tickets_released``
    an order's tickets went back on sale: it expired, was cancelled or was
    refunded (``order.status`` says which), from ``lifecycle._close``; also
    ``ticket_type_ids``, the types that got tickets back.
``waitlist_changed``
    an entry joined or left a waitlist, from ``waitlist_join`` and
    ``waitlist_leave`` (an offer or its end comes with the order's own
    notification); also ``entry`` instead of ``order``.
``counters_repaired``
    ``inventory_recount`` rewrote drifting ticket type counters; also
    ``ticket_type_ids`` instead of ``order``.
"""

from tixxety.notifications import Notification

order_reserved = Notification("order_reserved")
orders_reserved = Notification("orders_reserved")
order_paid = Notification("order_paid")
tickets_released = Notification("tickets_released")
waitlist_changed = Notification("waitlist_changed")
counters_repaired = Notification("counters_repaired")
