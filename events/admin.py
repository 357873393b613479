"""The catalogue in the Django admin: venues, events with their ticket types, seats.

Staff may look at everything, admins may change it (``User.has_perm``). Every
write goes through ``events.services``, the same functions the API calls:
forms check the rules first so the admin shows a readable error next to the
field, and the services re-check them under a lock at write time. A
``DomainError`` that still slips through (a booking landed between the form
check and the write) rolls the save back and is shown as an error message.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from events.models import Event, Seat, TicketType, Venue
from events.services import (
    EVENT_TRANSITIONS,
    EVENT_WRITABLE_FIELDS,
    MAX_ROWS,
    MAX_SEATS_PER_ROW,
    TICKET_TYPE_WRITABLE_FIELDS,
    check_capacity,
    event_create,
    event_deactivate,
    event_delete,
    event_update,
    seats_generate,
    ticket_type_create,
    ticket_type_delete,
    ticket_type_update,
    venue_create,
    venue_delete,
    venue_update,
)
from tixxety.admin_mixins import BadInputAdminMixin, ReadOnlyAdminMixin, ServiceErrorsMixin, adopt_created
from tixxety.exceptions import DomainError

# --- venues -----------------------------------------------------------------


@admin.register(Venue)
class VenueAdmin(ServiceErrorsMixin, admin.ModelAdmin):
    list_display = ("name", "city", "address", "latitude", "longitude")
    search_fields = ("name", "address", "city")

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            if changes:
                venue_update(venue=obj, **changes)
        else:
            adopt_created(obj, venue_create(**form.cleaned_data))

    def delete_model(self, request, obj):
        venue_delete(venue=obj)

    def delete_queryset(self, request, queryset):
        for venue in queryset.order_by("pk"):
            venue_delete(venue=venue)


# --- events and their ticket types ------------------------------------------


class EventAdminForm(forms.ModelForm):
    """Check dates and status moves as the services do, to show them next to the field."""

    class Meta:
        model = Event
        fields = EVENT_WRITABLE_FIELDS

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "The event must end after it starts.")
        status = cleaned.get("status")
        # The instance still holds the stored status: the form copies its
        # values onto it only after clean().
        current = self.instance.status
        if self.instance.pk and status and status != current and status not in EVENT_TRANSITIONS[current]:
            self.add_error("status", f"An event cannot go from {current} to {status}.")
        return cleaned


class TicketTypeInlineForm(forms.ModelForm):
    class Meta:
        model = TicketType
        fields = TICKET_TYPE_WRITABLE_FIELDS

    def clean(self):
        cleaned = super().clean()
        capacity = cleaned.get("capacity")
        # The rules of ticket_type_update, which re-checks them under the row
        # lock; asked here only to show the refusal next to the field. The
        # instance still holds the stored row: the form copies its values
        # onto it after clean().
        if self.instance.pk and capacity is not None:
            try:
                check_capacity(ticket_type=self.instance, capacity=capacity)
            except DomainError as error:
                self.add_error("capacity", error.detail)
        return cleaned


class TicketTypeInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        # Errors of forms marked for deletion are ignored by the formset, so
        # a refused deletion has to be a formset error.
        for form in self.forms:
            ticket_type = form.instance
            if (
                self.can_delete
                and self._should_delete_form(form)
                and ticket_type.pk
                and (ticket_type.reserved_count or ticket_type.sold_count)
            ):
                raise ValidationError(
                    f"Ticket type '{ticket_type.name}' has reservations or sales: it cannot be deleted."
                )


class TicketTypeInline(admin.TabularInline):
    model = TicketType
    form = TicketTypeInlineForm
    formset = TicketTypeInlineFormSet
    fields = (*TICKET_TYPE_WRITABLE_FIELDS, "reserved_count", "sold_count")
    # The counters belong to the order services; nobody types them in.
    readonly_fields = ("reserved_count", "sold_count")
    extra = 0


class SeatGridForm(forms.Form):
    ticket_type = forms.ModelChoiceField(queryset=TicketType.objects.none())
    rows = forms.IntegerField(min_value=1, max_value=MAX_ROWS)
    seats_per_row = forms.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW, initial=10)
    replace = forms.BooleanField(
        required=False,
        help_text="Remove the ticket type's seats first; refused once any of them is reserved or sold.",
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["ticket_type"]
        field.queryset = event.ticket_types.annotate(seat_count=Count("seats"))
        field.label_from_instance = lambda ticket_type: (
            f"{ticket_type.name} ({ticket_type.seat_count} seats, capacity {ticket_type.capacity})"
        )


# Valid tickets checked in, per event: a subquery, so that joining tickets does
# not multiply the sums over ticket types. Tickets are named through their
# relation (``tickets``): events imports nothing from the tickets app.
_checked_in_count = (
    TicketType.objects.filter(event=OuterRef("pk"))
    .order_by()
    .values("event")
    .annotate(n=Count("tickets", filter=Q(tickets__status="valid", tickets__checked_in_at__isnull=False)))
    .values("n")
)


@admin.register(Event)
class EventAdmin(BadInputAdminMixin, ServiceErrorsMixin, admin.ModelAdmin):
    form = EventAdminForm
    inlines = [TicketTypeInline]
    list_display = ("title", "venue", "starts_at", "status", "sale_mode", "capacity", "booked", "checked_in")
    list_filter = ("status", "starts_at", "venue")
    list_select_related = ("venue",)
    search_fields = ("title", "slug", "venue__name", "venue__city")
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("venue",)
    readonly_fields = ("created_at", "updated_at", "waitlist")
    actions = ["deactivate_events", "generate_seats"]

    def get_queryset(self, request):
        # One aggregate per row in the same query, so the list costs the same
        # for 3 events or 300. Joining only ticket_types keeps the sums exact.
        return (
            super()
            .get_queryset(request)
            .annotate(
                capacity_total=Coalesce(Sum("ticket_types__capacity"), 0),
                booked_total=Coalesce(
                    Sum(F("ticket_types__reserved_count") + F("ticket_types__sold_count")), 0
                ),
                sold_total=Coalesce(Sum("ticket_types__sold_count"), 0),
                checked_in_total=Coalesce(Subquery(_checked_in_count, output_field=IntegerField()), 0),
            )
        )

    def get_actions(self, request):
        # Deleting events in bulk would report success for the ones that
        # have sales and are kept; deactivate them instead, or delete one by one.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Capacity", ordering="capacity_total")
    def capacity(self, event):
        return event.capacity_total

    @admin.display(description="Booked", ordering="booked_total")
    def booked(self, event):
        return event.booked_total

    @admin.display(description="Waitlist")
    def waitlist(self, event):
        """Who waits per ticket type, and a link to the waitlist in FIFO order with its capacity preview.

        The waitlist belongs to ``orders``: reached through the reverse
        relation and the admin URL name, never imported.
        """
        if event.pk is None:
            return "-"
        waiting = event.ticket_types.annotate(
            waiting=Count("waitlist_entries", filter=Q(waitlist_entries__status="waiting"))
        ).order_by("-priority", "id")
        counts = ", ".join(f"{t.name}: {t.waiting} waiting" for t in waiting) or "no ticket types"
        url = reverse("admin:orders_waitlistentry_changelist") + f"?ticket_type__event__id__exact={event.pk}"
        return format_html(
            '{} · <a href="{}">Waitlist in order, and what more capacity would serve</a>', counts, url
        )

    @admin.display(description="Checked in / sold", ordering="checked_in_total")
    def checked_in(self, event):
        return f"{event.checked_in_total} / {event.sold_total}"

    # --- saving through the services ---

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            if changes:
                event_update(event=obj, **changes)
            return
        fields = dict(form.cleaned_data)
        slug = fields.pop("slug")
        created = event_create(**fields)
        # event_create derives the slug from the title; keep the one typed in.
        if created.slug != slug:
            created = event_update(event=created, slug=slug)
        adopt_created(obj, created)

    def save_formset(self, request, form, formset, change):
        if formset.model is not TicketType:
            return super().save_formset(request, form, formset, change)
        # Filled in as formset.save() would, for the change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.initial_forms:
            ticket_type = inline_form.instance
            if formset.can_delete and formset._should_delete_form(inline_form):
                ticket_type_delete(ticket_type=ticket_type)
                formset.deleted_objects.append(ticket_type)
                continue
            changed = [name for name in inline_form.changed_data if name in TICKET_TYPE_WRITABLE_FIELDS]
            if changed:
                # The form has already copied its values onto the instance;
                # the service compares against the stored row.
                stored = TicketType.objects.get(pk=ticket_type.pk)
                ticket_type_update(
                    ticket_type=stored, **{name: inline_form.cleaned_data[name] for name in changed}
                )
                formset.changed_objects.append((ticket_type, changed))
        for inline_form in formset.extra_forms:
            if not inline_form.has_changed() or (
                formset.can_delete and formset._should_delete_form(inline_form)
            ):
                continue
            fields = {name: inline_form.cleaned_data[name] for name in TICKET_TYPE_WRITABLE_FIELDS}
            formset.new_objects.append(ticket_type_create(event=formset.instance, **fields))
        return None

    def delete_model(self, request, obj):
        event_delete(event=obj)

    # --- actions ---

    @admin.action(description="Deactivate selected events", permissions=["change"])
    def deactivate_events(self, request, queryset):
        deactivated = 0
        for event in queryset.order_by("pk"):
            try:
                event_deactivate(event=event)
            except DomainError as error:
                self.message_user(request, f"{event.title}: {error.detail}", messages.ERROR)
            else:
                deactivated += 1
        if deactivated:
            noun = "event" if deactivated == 1 else "events"
            self.message_user(request, f"Deactivated {deactivated} {noun}.", messages.SUCCESS)

    @admin.action(description="Generate seats", permissions=["change"])
    def generate_seats(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1:
            self.message_user(request, "Select exactly one event to generate seats for.", messages.WARNING)
            return None
        event = events[0]
        if not event.ticket_types.exists():
            self.message_user(request, f"{event.title} has no ticket types: add one first.", messages.ERROR)
            return None
        form = SeatGridForm(request.POST if "apply" in request.POST else None, event=event)
        if form.is_valid():
            try:
                seats = seats_generate(event=event, **form.cleaned_data)
            except DomainError as error:
                self.message_user(request, error.detail, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Generated {len(seats)} seats ({seats[0].label} to {seats[-1].label}) "
                    f"for {form.cleaned_data['ticket_type'].name} of {event.title}.",
                    messages.SUCCESS,
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Generate seats for {event.title}",
            "opts": self.opts,
            "event": event,
            "form": form,
            "seat_count": event.seats.count(),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/events/event/generate_seats.html", context)


# --- seats ------------------------------------------------------------------


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Seats are listed here and made by the events' "Generate seats" action."""

    list_display = ("label", "event", "ticket_type")
    list_filter = ("event",)
    search_fields = ("label",)
    # TicketType.__str__ names its event too.
    list_select_related = ("event", "ticket_type__event")
