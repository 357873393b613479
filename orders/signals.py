"""What ``orders`` tells the apps to its right, sent explicitly by its services.

All four are notifications sent on commit (``Notification.send_on_commit``): a
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
    (``orders.services.queue``): ``orders`` (a list, not ``order``) and
    ``ticket_type_ids``. One notification per batch of thousands.
``order_paid``
    a reserved order became paid, from ``order_pay``.
``tickets_released``
    an order's tickets went back on sale: it expired, was cancelled or was
    refunded (``order.status`` says which), from ``lifecycle._close``; also
    ``ticket_type_ids``, the types that got tickets back.
"""

from django.dispatch import Signal

from tixxety.jobs import run_after_commit


class Notification(Signal):
    """A signal sent once the transaction commits; its ``name`` labels failures in logs and metrics."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def send_on_commit(self, **kwargs) -> None:
        """Send to every receiver after commit (at once outside a transaction); never raise.

        Each receiver runs even if another raised; the first error is then
        raised to ``run_after_commit``, which logs and counts it.
        """

        def send() -> None:
            errors = [error for _, error in self.send_robust(**kwargs) if isinstance(error, Exception)]
            if errors:
                raise errors[0]

        run_after_commit(send, what=f"signal {self.name}")


order_reserved = Notification("order_reserved")
orders_reserved = Notification("orders_reserved")
order_paid = Notification("order_paid")
tickets_released = Notification("tickets_released")
