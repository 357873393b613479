import base64
import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
# However an order is built (booking, cart, queue), and what the API accepts.
MAX_TICKETS_PER_ORDER = 100


def new_order_code() -> str:
    """A public order reference such as ``TX-7K3M9Q2A`` (40 random bits)."""
    return new_order_codes(1)[0]


# Base32 has 32 symbols too: its encoding, translated, is 5 random bits per character.
_FROM_BASE32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CODE_ALPHABET)


def new_order_codes(count: int) -> list[str]:
    """``count`` order references from one read of the system's randomness (a queue batch's orders)."""
    encoded = base64.b32encode(secrets.token_bytes(5 * count)).decode("ascii").translate(_FROM_BASE32)
    return ["TX-" + encoded[start : start + 8] for start in range(0, 8 * count, 8)]


class OrderQuerySet(models.QuerySet):
    def overdue(self, now: datetime | None = None) -> "OrderQuerySet":
        """Reserved orders whose hold has run out: what the expiry sweep expires."""
        return self.filter(status=Order.Status.RESERVED, expires_at__lte=now or timezone.now())


class Order(models.Model):
    class Status(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        REFUNDED = "refunded", "Refunded"

    class Source(models.TextChoices):
        DIRECT = "direct", "Direct"
        CART = "cart", "Cart"
        QUEUE = "queue", "Priority queue"
        WAITLIST = "waitlist", "Waitlist"

    code = models.CharField(max_length=16, unique=True, default=new_order_code, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESERVED)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.DIRECT)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="order_status_expires_idx"),
            models.Index(fields=["user", "-created_at"], name="order_user_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="reserved") | Q(expires_at__isnull=False),
                name="order_reserved_has_expiry",
            ),
        ]

    def __str__(self):
        return self.code

    def hold_is_over(self, now: datetime | None = None) -> bool:
        """Whether this is a reserved order whose hold has run out (``Order.objects.overdue``, for one)."""
        return self.status == Order.Status.RESERVED and self.expires_at <= (now or timezone.now())


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    ticket_type = models.ForeignKey("events.TicketType", on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "ticket_type"], name="order_line_one_per_type"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.ticket_type}"

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity


class Payment(models.Model):
    """A charge or a refund: the transaction log."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CHARGE)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices)
    provider = models.CharField(max_length=32)
    reference = models.CharField(max_length=100, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="payment_log_idx"),
            # The minute sweep's search for payments pending too long (gateway.payments_give_up_stale).
            models.Index(fields=["created_at"], name="payment_pending_idx", condition=Q(status="pending")),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.status})"


class Cart(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Cart of {self.user}"


class CartItem(models.Model):
    """A pending selection: a quantity of a ticket type, or one specific seat."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    ticket_type = models.ForeignKey("events.TicketType", on_delete=models.CASCADE, related_name="+")
    seat = models.ForeignKey("events.Seat", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "ticket_type"], condition=Q(seat__isnull=True), name="cart_item_one_per_type"
            ),
            models.UniqueConstraint(fields=["cart", "seat"], name="cart_item_one_per_seat"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_item_quantity_positive"),
            models.CheckConstraint(
                condition=Q(seat__isnull=True) | Q(quantity=1), name="cart_item_seat_is_one"
            ),
        ]

    def __str__(self):
        seat = f" (seat {self.seat})" if self.seat_id else ""
        return f"{self.quantity} x {self.ticket_type}{seat}"


class IdempotencyRecord(models.Model):
    """The first response to a request sent with an ``Idempotency-Key``, replayed for retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]

    def __str__(self):
        return f"{self.key} ({self.user_id})"

    @property
    def in_flight(self) -> bool:
        return self.response_status is None


class WaitlistEntry(models.Model):
    """A customer waiting for tickets of a sold-out type, served first come, first served.

    ``waiting`` entries are promoted in the transaction that frees tickets
    (``orders.services.waitlist``): the entry becomes ``offered`` with a
    reserved ``order``, then ``fulfilled`` when that order is paid, or
    ``expired`` / ``cancelled`` when it ends unpaid.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered"
        FULFILLED = "fulfilled", "Fulfilled"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.WAITING, Status.OFFERED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    ticket_type = models.ForeignKey(
        "events.TicketType", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entries"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        indexes = [
            models.Index(
                fields=["ticket_type", "created_at", "id"],
                condition=Q(status="waiting"),
                name="waitlist_fifo_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "ticket_type"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_one_active_per_user_type",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="waitlist_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.user} waits for {self.quantity} x {self.ticket_type}"


class TicketRequest(models.Model):
    """A purchase request in an event's priority queue (DESIGN.md flow 6), decided by a worker.

    ``items`` holds what was asked as ``[{"ticket_type": id, "quantity": n}]``
    in one column, so that intake is one narrow INSERT; the worker reads
    requests in batches and never needs them as rows. ``priority`` is the
    highest priority of those ticket types, fixed at intake: the queue order
    is ``-priority, id`` (VIP first, then arrival).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        FULFILLED = "fulfilled", "Fulfilled"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_requests"
    )
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="ticket_requests")
    items = models.JSONField()
    priority = models.IntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="ticket_request"
    )
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["event", "-priority", "id"],
                condition=Q(status="queued"),
                name="ticket_request_queue_idx",
            ),
            models.Index(fields=["user", "-created_at"], name="ticket_request_user_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"], condition=Q(status="queued"), name="ticket_request_one_queued"
            ),
            models.CheckConstraint(
                condition=~Q(status="fulfilled") | Q(order__isnull=False),
                name="ticket_request_fulfilled_order",
            ),
        ]

    def __str__(self):
        return f"Request {self.pk} ({self.get_status_display()})"
