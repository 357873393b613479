"""Orders and the transaction log in the Django admin.

Everything here is read-only: orders are created by booking and change only
through the actions, which call the same services as the API. Staff hold
view-only model permissions (``User.has_perm``) yet run the order actions:
each action names a permission of its own (``has_<name>_permission``) that
asks for the staff role, not for ``change_order``. A ``DomainError`` from a
service is reported per order as an error message; the other selected orders
are still processed, each in its own transaction.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse

from events.models import TicketType
from orders import selectors
from orders.exports import stream_payments_csv, write_payments_csv
from orders.models import Order, OrderLine, Payment, WaitlistEntry
from orders.payments import PROVIDERS
from orders.services import order_cancel, order_pay, order_refund
from tickets.models import Ticket
from tixxety.admin_mixins import ReadOnlyAdminMixin
from tixxety.exceptions import DomainError

CSV_FILENAME = "tixxety-transactions.csv"
# The manual provider's "token" is a note that becomes the payment reference.
MANUAL_PAYMENT_NOTE = "admin"


def _orders(count: int) -> str:
    return f"{count} order" if count == 1 else f"{count} orders"


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = ("ticket_type", "quantity", "unit_price", "subtotal")

    def get_queryset(self, request):
        # TicketType.__str__ names its event.
        return super().get_queryset(request).select_related("ticket_type__event")


class TicketInline(ReadOnlyInline):
    model = Ticket
    # Never the secret: it is the admission itself.
    fields = readonly_fields = ("ticket_type", "seat", "holder_name", "status", "checked_in_at")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket_type__event", "seat")


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = readonly_fields = (
        "created_at",
        "kind",
        "status",
        "amount",
        "currency",
        "provider",
        "reference",
        "failure_reason",
        "created_by",
    )
    ordering = ("created_at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "user_email",
        "event",
        "status",
        "source",
        "total",
        "currency",
        "expires_at",
        "created_at",
    )
    list_filter = ("status", "source", "event", "created_at")
    list_select_related = ("user", "event")
    search_fields = ("code", "user__email", "event__title")
    fields = readonly_fields = (
        "code",
        "user",
        "event",
        "status",
        "source",
        "total",
        "currency",
        "expires_at",
        "paid_at",
        "created_at",
        "updated_at",
    )
    inlines = [OrderLineInline, TicketInline, PaymentInline]
    actions = ["mark_paid", "cancel_orders", "refund_orders"]

    def get_queryset(self, request):
        # The change page shows the user and event too.
        return super().get_queryset(request).select_related("user", "event")

    @admin.display(description="User", ordering="user__email")
    def user_email(self, order):
        return order.user.email

    # --- actions: staff run them although they may only view orders ---

    def has_mark_paid_permission(self, request):
        return request.user.is_staff_member

    def has_cancel_permission(self, request):
        return request.user.is_staff_member

    def has_refund_permission(self, request):
        return request.user.is_staff_member

    @admin.action(description="Mark paid (manual payment)", permissions=["mark_paid"])
    def mark_paid(self, request, queryset):
        self._run_service(
            request,
            queryset,
            lambda order: order_pay(
                order_id=order.pk, by=request.user, provider="manual", token=MANUAL_PAYMENT_NOTE
            ),
            target=Order.Status.PAID,
            done="Marked {} paid.",
        )

    @admin.action(description="Cancel", permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        self._run_service(
            request,
            queryset,
            lambda order: order_cancel(order_id=order.pk, by=request.user),
            target=Order.Status.CANCELLED,
            done="Cancelled {}.",
        )

    @admin.action(description="Refund", permissions=["refund"])
    def refund_orders(self, request, queryset):
        self._run_service(
            request,
            queryset,
            lambda order: order_refund(order_id=order.pk, by=request.user),
            target=Order.Status.REFUNDED,
            done="Refunded {}.",
        )

    def _run_service(self, request, queryset, service, *, target: str, done: str) -> None:
        """Call ``service`` once per selected order and report what happened to each.

        Each call is a transaction of its own (the changelist is not atomic),
        so one refusal leaves the others done. The status read here, before
        the service takes its lock, only words the report.
        """
        changed, unchanged = 0, []
        for order in queryset.select_related(None).order_by("pk").only("pk", "code", "status"):
            try:
                result = service(order)
            except DomainError as error:
                self.message_user(request, f"{order.code}: {error.detail} ({error.code})", messages.ERROR)
                continue
            if result.status == target and order.status != target:
                changed += 1
            else:
                unchanged.append(f"{order.code} ({result.status})")
        if unchanged:
            self.message_user(
                request,
                f"Nothing to do for {_orders(len(unchanged))}: {', '.join(unchanged)}.",
                messages.INFO,
            )
        if changed:
            self.message_user(request, done.format(_orders(changed)), messages.SUCCESS)


class ProviderFilter(admin.SimpleListFilter):
    """The providers the code knows, rather than a DISTINCT over the whole log on every page."""

    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(name, name) for name in PROVIDERS]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The transaction log: every charge and refund, as recorded by the services."""

    list_display = (
        "created_at",
        "order_code",
        "user_email",
        "kind",
        "status",
        "amount",
        "currency",
        "provider",
        "reference",
    )
    list_filter = ("kind", "status", ProviderFilter, "created_at")
    list_select_related = ("order__user",)
    search_fields = ("order__code", "reference", "order__user__email")
    fields = readonly_fields = (
        "order",
        "kind",
        "status",
        "amount",
        "currency",
        "provider",
        "reference",
        "failure_reason",
        "created_by",
        "created_at",
    )
    actions = ["export_csv"]
    change_list_template = "admin/orders/payment/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order__user", "created_by")

    @admin.display(description="Order", ordering="order__code")
    def order_code(self, payment):
        return payment.order.code

    @admin.display(description="User", ordering="order__user__email")
    def user_email(self, payment):
        return payment.order.user.email

    # --- CSV export: the selected rows (action) or the filtered list (button) ---

    def has_export_permission(self, request):
        return request.user.is_staff_member

    @staticmethod
    def _for_csv(payments):
        return payments.select_related("order__user", "order__event").order_by("created_at", "id")

    @admin.action(description="Export selected as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{CSV_FILENAME}"'
        write_payments_csv(self._for_csv(queryset), response)
        return response

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        export = path(
            "export/", self.admin_site.admin_view(self.export_view), name="{}_{}_export".format(*info)
        )
        return [export, *super().get_urls()]

    def export_view(self, request):
        """Stream every payment the changelist shows with the same filters and search."""
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
        try:
            payments = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return HttpResponseRedirect(changelist)
        rows = stream_payments_csv(self._for_csv(payments).iterator(chunk_size=2000))
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{CSV_FILENAME}"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_export_permission": self.has_export_permission(request),
        }
        return super().changelist_view(request, extra_context)


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each event's waitlist in the order it is served, and what a raised capacity would serve.

    Entries change only through the services (join, leave, promotion), so
    the admin shows them read-only. Filtered to one event or ticket type,
    the list starts with the capacity preview of each of its types.
    """

    list_display = (
        "created_at",
        "user_email",
        "event",
        "ticket_type",
        "quantity",
        "status",
        "order",
        "offered_at",
    )
    list_filter = ("status", ("ticket_type__event", admin.RelatedOnlyFieldListFilter), "ticket_type")
    list_select_related = ("user", "ticket_type__event", "order")
    search_fields = ("user__email", "ticket_type__name", "ticket_type__event__title")
    ordering = ("created_at", "id")  # FIFO: the order in which entries are served
    fields = readonly_fields = (
        "user",
        "ticket_type",
        "quantity",
        "status",
        "created_at",
        "offered_at",
        "order",
    )

    @admin.display(description="User", ordering="user__email")
    def user_email(self, entry):
        return entry.user.email

    @admin.display(description="Event", ordering="ticket_type__event__starts_at")
    def event(self, entry):
        return entry.ticket_type.event

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "capacity_previews": self._previews(request)}
        return super().changelist_view(request, extra_context)

    def _previews(self, request) -> list:
        """(ticket type, preview steps) for the event or ticket type the list is filtered to."""
        event_id = request.GET.get("ticket_type__event__id__exact", "")
        ticket_type_id = request.GET.get("ticket_type__id__exact", "")
        if not (event_id.isdigit() or ticket_type_id.isdigit()):
            return []
        ticket_types = TicketType.objects.select_related("event").order_by("-priority", "id")
        if event_id.isdigit():
            ticket_types = ticket_types.filter(event_id=event_id)
        if ticket_type_id.isdigit():
            ticket_types = ticket_types.filter(pk=ticket_type_id)
        previews = ((t, selectors.waitlist_capacity_preview(ticket_type=t)) for t in ticket_types)
        return [(ticket_type, steps) for ticket_type, steps in previews if steps]
