"""Forms of the catalogue pages: the events search, and the booking form of an event page."""

from datetime import datetime, time

from django import forms
from django.utils import timezone

from events.selectors import EventFilters

NEAR_RADIUS_KM = 100
MY_LOCATION = "profile"


class EventSearchForm(forms.Form):
    """The events list's query string: words, a date range and "near me"."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    near = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_near(self) -> tuple[float, float] | None:
        """``lat,lng`` from the browser, or ``profile`` for the signed-in user's home location."""
        text = self.cleaned_data["near"].strip()
        if not text:
            return None
        if text == MY_LOCATION:
            if self.user is None or not getattr(self.user, "has_location", False):
                raise forms.ValidationError("Set your home location in your profile first.")
            return self.user.latitude, self.user.longitude
        try:
            latitude, longitude = (float(part) for part in text.split(","))
        except ValueError:
            raise forms.ValidationError("Use near=<latitude>,<longitude>, e.g. 40.7128,-74.0060.") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise forms.ValidationError("Latitude must be within ±90 and longitude within ±180.")
        return latitude, longitude

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "Must not be earlier than the start date.")
        return data

    def to_filters(self) -> EventFilters:
        """The selector's filters: whole days in the current time zone, nearest first near a place."""
        data = self.cleaned_data if self.is_valid() else {}
        zone = timezone.get_current_timezone()
        after = data.get("date_from")
        before = data.get("date_to")
        near = data.get("near")
        return EventFilters(
            search=data.get("q", ""),
            starts_after=datetime.combine(after, time.min, zone) if after else None,
            starts_before=datetime.combine(before, time.max, zone) if before else None,
            near=near,
            radius_km=NEAR_RADIUS_KM if near else None,
            ordering="distance" if near else "starts_at",
        )


class BookingForm(forms.Form):
    """A quantity per unseated ticket type and a checkbox per seat of one event.

    The form checks only the shape (whole numbers within a type's
    ``max_per_order``, seats of this event); availability, seats taken
    meanwhile and every other rule are the services' answer.
    """

    seats = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, ticket_types, seats, **kwargs):
        super().__init__(*args, **kwargs)
        seated_types = {seat["ticket_type_id"] for seat in seats}
        self.unseated = [t for t in ticket_types if t.pk not in seated_types]
        for ticket_type in self.unseated:
            self.fields[f"qty_{ticket_type.pk}"] = forms.IntegerField(
                label=f"Quantity of {ticket_type.name}",
                min_value=0,
                max_value=ticket_type.max_per_order,
                initial=0,
                required=False,
            )
        self.fields["seats"].choices = [(seat["id"], seat["label"]) for seat in seats]

    def clean(self):
        data = super().clean()
        if not self.errors and not self.items() and not data.get("seats"):
            raise forms.ValidationError("Choose at least one ticket or seat.", code="empty_order")
        return data

    def items(self) -> list[tuple[int, int]]:
        """(ticket type id, quantity) for every unseated type with a quantity above zero."""
        quantities = ((t.pk, self.cleaned_data.get(f"qty_{t.pk}") or 0) for t in self.unseated)
        return [(pk, quantity) for pk, quantity in quantities if quantity > 0]

    def seat_ids(self) -> list[int]:
        return self.cleaned_data.get("seats") or []
