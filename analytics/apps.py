from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from analytics.receivers import bump_report_version
        from orders.signals import order_paid, order_reserved, orders_reserved, tickets_released

        for signal in (order_reserved, orders_reserved, order_paid, tickets_released):
            signal.connect(bump_report_version, dispatch_uid=f"analytics.bump_report_version.{signal.name}")
