"""Tickets in the Django admin, to look up and read; booking and check-in change them.

The secret is the admission itself, so it is never shown. Staff find a
ticket by its secret (a scanned QR code) with an exact search.
"""

from django.contrib import admin

from tickets.models import Ticket
from tixxety.admin_mixins import ReadOnlyAdminMixin


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "order_code", "ticket_type", "seat", "status", "checked_in_at")
    list_filter = ("status", "ticket_type__event")
    # TicketType.__str__ names its event.
    list_select_related = ("order", "ticket_type__event", "seat")
    search_fields = ("order__code", "holder_name", "secret__exact")
    fields = readonly_fields = (
        "order",
        "ticket_type",
        "seat",
        "holder_name",
        "status",
        "checked_in_at",
        "checked_in_by",
        "created_at",
    )

    def get_queryset(self, request):
        # The change page shows these rows too, not only the list.
        return super().get_queryset(request).select_related(*self.list_select_related, "checked_in_by")

    @admin.display(description="Order", ordering="order__code")
    def order_code(self, ticket):
        return ticket.order.code
