from decimal import Decimal

from django.db import models
from django.db.models import F, Q


class Venue(models.Model):
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90), name="venue_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180), name="venue_longitude_range"
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.city}" if self.city else self.name


class Event(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        DEACTIVATED = "deactivated", "Deactivated"
        CANCELLED = "cancelled", "Cancelled"

    class SaleMode(models.TextChoices):
        DIRECT = "direct", "Direct"
        QUEUE = "queue", "Priority queue"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="events")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    sale_mode = models.CharField(max_length=16, choices=SaleMode.choices, default=SaleMode.DIRECT)
    hold_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minutes an unpaid reservation holds tickets; empty for the default."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="event_status_starts_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(
                condition=Q(hold_minutes__isnull=True) | Q(hold_minutes__gte=1), name="event_hold_positive"
            ),
        ]

    def __str__(self):
        return self.title


class TicketType(models.Model):
    """A kind of admission with its own price and inventory.

    ``capacity - reserved_count - sold_count`` is what can still be sold. The
    counters change only through conditional UPDATEs in the order services;
    the check constraint is the last line against overselling.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="ticket_types")
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="USD")
    capacity = models.PositiveIntegerField()
    priority = models.IntegerField(
        default=0, help_text="Queue order: higher is served first (VIP before Regular)."
    )
    max_per_order = models.PositiveIntegerField(default=10)
    reserved_count = models.PositiveIntegerField(default=0)
    sold_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="ticket_type_unique_name_per_event"),
            models.CheckConstraint(condition=Q(price__gte=0), name="ticket_type_price_not_negative"),
            models.CheckConstraint(
                condition=Q(max_per_order__gte=1), name="ticket_type_max_per_order_positive"
            ),
            models.CheckConstraint(
                condition=Q(reserved_count__gte=0) & Q(sold_count__gte=0),
                name="ticket_type_counters_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(reserved_count__lte=F("capacity") - F("sold_count")),
                name="ticket_type_within_capacity",
            ),
        ]

    def __str__(self):
        return f"{self.event} · {self.name}"

    @property
    def available(self) -> int:
        return self.capacity - self.reserved_count - self.sold_count


class Seat(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="seats")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.CASCADE, related_name="seats")
    row_label = models.CharField(max_length=4)
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=12)

    class Meta:
        ordering = ["event", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "label"], name="seat_unique_label_per_event"),
            models.UniqueConstraint(
                fields=["event", "row_label", "number"], name="seat_unique_position_per_event"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="seat_number_positive"),
        ]

    def __str__(self):
        return self.label
