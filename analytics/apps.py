from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from analytics.receivers import bump_report_version, count_payment, count_release, count_reservation
        from orders.signals import order_paid, order_reserved, tickets_released

        for signal in (order_reserved, order_paid, tickets_released):
            signal.connect(bump_report_version, dispatch_uid=f"analytics.bump_report_version.{signal.name}")
        order_reserved.connect(count_reservation, dispatch_uid="analytics.count_reservation")
        order_paid.connect(count_payment, dispatch_uid="analytics.count_payment")
        tickets_released.connect(count_release, dispatch_uid="analytics.count_release")
