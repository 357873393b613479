from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders and payments"

    def ready(self):
        from events.signals import capacity_changed
        from orders.receivers import promote_on_capacity_raised

        capacity_changed.connect(promote_on_capacity_raised, dispatch_uid="orders.promote_on_capacity_raised")
