from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from analytics.receivers import (
            bump_report_version,
            count_payment,
            count_queue_reservations,
            count_release,
            count_reservation,
        )
        from events.signals import catalogue_changed
        from orders.signals import (
            counters_repaired,
            order_paid,
            order_reserved,
            orders_reserved,
            tickets_released,
            waitlist_changed,
        )
        from tickets.signals import ticket_checked_in

        # The catalogue's own changes too (the home page counts events, venues and cities),
        # and check-ins (the summary's check-in rate, the dashboard's check-in progress).
        for signal in (
            order_reserved,
            orders_reserved,
            order_paid,
            tickets_released,
            waitlist_changed,
            counters_repaired,
            catalogue_changed,
            ticket_checked_in,
        ):
            signal.connect(bump_report_version, dispatch_uid=f"analytics.bump_report_version.{signal.name}")
        order_reserved.connect(count_reservation, dispatch_uid="analytics.count_reservation")
        orders_reserved.connect(count_queue_reservations, dispatch_uid="analytics.count_queue_reservations")
        order_paid.connect(count_payment, dispatch_uid="analytics.count_payment")
        tickets_released.connect(count_release, dispatch_uid="analytics.count_release")
