from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders and payments"

    def ready(self):
        from events.receivers import bump_catalogue_on_change
        from events.signals import capacity_changed
        from orders import signals
        from orders.receivers import promote_on_capacity_raised

        capacity_changed.connect(promote_on_capacity_raised, dispatch_uid="orders.promote_on_capacity_raised")
        # Every change to what the catalogue shows (figures, seat states,
        # waitlisted counts) makes its cached reads stale (events.cache).
        for signal in (
            signals.order_reserved,
            signals.orders_reserved,
            signals.order_paid,
            signals.tickets_released,
            signals.waitlist_changed,
            signals.counters_repaired,
        ):
            signal.connect(bump_catalogue_on_change, dispatch_uid=f"orders.bump_catalogue.{signal.name}")
