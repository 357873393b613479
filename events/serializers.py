from rest_framework import serializers

from events.models import Event, TicketType, Venue
from events.selectors import ORDERINGS, EventFilters
from events.services import MAX_ROWS, MAX_SEATS_PER_ROW

MAX_DISTANCE_KM = 20_040  # half the Earth's circumference: every point is closer


class VenueSerializer(serializers.ModelSerializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)

    class Meta:
        model = Venue
        fields = ["id", "name", "address", "city", "latitude", "longitude"]


class TicketTypeSerializer(serializers.ModelSerializer):
    """A ticket type as buyers see it."""

    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = TicketType
        fields = [
            "id",
            "event",
            "name",
            "price",
            "currency",
            "capacity",
            "available",
            "priority",
            "max_per_order",
        ]
        read_only_fields = fields


class EventTicketTypeSerializer(TicketTypeSerializer):
    """A ticket type in its event's detail, with how many customers wait for it."""

    waitlisted_count = serializers.IntegerField(
        read_only=True, help_text="Customers on this type's waitlist."
    )

    class Meta(TicketTypeSerializer.Meta):
        fields = [*TicketTypeSerializer.Meta.fields, "waitlisted_count"]
        read_only_fields = fields


class TicketTypeWriteSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", default="USD", error_messages={"invalid": "Use a 3-letter ISO code."}
    )
    capacity = serializers.IntegerField(min_value=0, max_value=1_000_000)
    priority = serializers.IntegerField(min_value=-1000, max_value=1000, default=0)
    max_per_order = serializers.IntegerField(min_value=1, max_value=1000, default=10)

    class Meta:
        model = TicketType
        fields = ["name", "price", "currency", "capacity", "priority", "max_per_order"]


class AvailabilitySerializer(serializers.ModelSerializer):
    ticket_type = serializers.IntegerField(source="id")
    reserved = serializers.IntegerField(source="reserved_count")
    sold = serializers.IntegerField(source="sold_count")
    available = serializers.IntegerField()

    class Meta:
        model = TicketType
        fields = ["ticket_type", "name", "price", "currency", "capacity", "reserved", "sold", "available"]


class EventListSerializer(serializers.ModelSerializer):
    venue = VenueSerializer(read_only=True)
    capacity = serializers.IntegerField(read_only=True)
    booked_count = serializers.IntegerField(read_only=True)
    available = serializers.SerializerMethodField()
    min_price = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True, allow_null=True)
    seated = serializers.BooleanField(source="is_seated", read_only=True)
    distance_km = serializers.SerializerMethodField(help_text="Only with `near`.")

    schema_optional_fields = ("distance_km",)  # see tixxety.api.schema

    class Meta:
        model = Event
        fields = [
            "id", "title", "slug", "venue", "starts_at", "ends_at", "status", "sale_mode",
            "capacity", "booked_count", "available", "min_price", "seated", "distance_km",
        ]  # fmt: skip

    def get_available(self, event) -> int:
        return event.capacity - event.booked_count

    def get_distance_km(self, event) -> float | None:
        distance = getattr(event, "distance_km", None)
        return None if distance is None else round(distance, 2)

    def to_representation(self, event):
        data = super().to_representation(event)
        if not hasattr(event, "distance_km"):
            del data["distance_km"]
        return data


class EventDetailSerializer(EventListSerializer):
    ticket_types = EventTicketTypeSerializer(many=True, read_only=True)
    waitlisted_count = serializers.IntegerField(read_only=True, help_text="Customers on the waitlist.")

    class Meta(EventListSerializer.Meta):
        fields = [
            *EventListSerializer.Meta.fields,
            "description",
            "hold_minutes",
            "ticket_types",
            "waitlisted_count",
        ]


class EventWriteSerializer(serializers.ModelSerializer):
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.all())
    hold_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, allow_null=True, required=False)
    ticket_types = TicketTypeWriteSerializer(many=True, required=False, help_text="Only when creating.")

    class Meta:
        model = Event
        fields = [
            "title",
            "description",
            "venue",
            "starts_at",
            "ends_at",
            "status",
            "sale_mode",
            "hold_minutes",
            "ticket_types",
        ]

    def validate_ticket_types(self, ticket_types):
        if self.instance is not None:
            raise serializers.ValidationError("Change ticket types through /api/ticket-types/{id}.")
        names = [t["name"] for t in ticket_types]
        if len(names) != len(set(names)):
            raise serializers.ValidationError("Ticket type names must be unique within an event.")
        return ticket_types


class SeatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    row = serializers.CharField(source="row_label")
    number = serializers.IntegerField()
    ticket_type = serializers.IntegerField(source="ticket_type_id")
    state = serializers.ChoiceField(choices=["free", "held", "sold"])


class SeatGenerateSerializer(serializers.Serializer):
    ticket_type = serializers.IntegerField()
    rows = serializers.IntegerField(min_value=1, max_value=MAX_ROWS)
    seats_per_row = serializers.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW, default=10)
    replace = serializers.BooleanField(default=False)


class NearField(serializers.CharField):
    """``lat,lng`` in decimal degrees."""

    default_error_messages = {"invalid": "Use near=<latitude>,<longitude>, e.g. near=40.7128,-74.0060."}

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            latitude, longitude = (float(part) for part in text.split(","))
        except ValueError:
            self.fail("invalid")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise serializers.ValidationError("Latitude must be within ±90 and longitude within ±180.")
        return latitude, longitude


class EventQuerySerializer(serializers.Serializer):
    """The catalogue's query parameters; anything malformed is a 400 naming the parameter."""

    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    ordering = serializers.ChoiceField(choices=list(ORDERINGS), default="starts_at")
    starts_after = serializers.DateTimeField(required=False)
    starts_before = serializers.DateTimeField(required=False)
    venue = serializers.IntegerField(required=False, min_value=1)
    near = NearField(required=False)
    radius_km = serializers.FloatField(required=False, min_value=0.001, max_value=MAX_DISTANCE_KM)
    status = serializers.ChoiceField(choices=Event.Status.choices, required=False, help_text="Admins only.")
    include_past = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if attrs.get("ordering", "").endswith("distance") and "near" not in attrs:
            raise serializers.ValidationError({"ordering": ["Ordering by distance needs `near`."]})
        if "radius_km" in attrs and "near" not in attrs:
            raise serializers.ValidationError({"radius_km": ["`radius_km` needs `near`."]})
        after, before = attrs.get("starts_after"), attrs.get("starts_before")
        if after and before and after > before:
            raise serializers.ValidationError({"starts_before": ["Must not be earlier than `starts_after`."]})
        return attrs

    def to_filters(self) -> EventFilters:
        return EventFilters(**self.validated_data)


class ForYouQuerySerializer(serializers.Serializer):
    max_distance_km = serializers.FloatField(default=50, min_value=0.001, max_value=MAX_DISTANCE_KM)
