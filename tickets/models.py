import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


def new_secret() -> str:
    """192 random bits, URL-safe: the QR payload a door scanner reads."""
    return new_secrets(1)[0]


def new_secrets(count: int) -> list[str]:
    """``count`` secrets of 192 random bits each, from one read of the system's randomness.

    24 bytes are exactly 32 URL-safe base64 characters, so slicing one
    encoding of ``24 * count`` bytes gives what ``token_urlsafe(24)`` would.
    """
    encoded = base64.urlsafe_b64encode(secrets.token_bytes(24 * count)).decode("ascii")
    return [encoded[start : start + 32] for start in range(0, 32 * count, 32)]


class Ticket(models.Model):
    """One admission. ``secret`` is what the QR code carries; it is unguessable.

    A seat belongs to at most one reserved or valid ticket: the partial unique
    constraint makes a second claim fail in the database, whatever the code
    around it does.

    Only a paid ticket is ever checked in; a staff refund afterwards voids it
    and keeps ``checked_in_at`` as history, so the check constraint forbids a
    check-in only on a reserved ticket.

    ``refund_pending`` closes the door to a valid ticket while its order's
    refund is at the payment gateway. The ticket stays valid meanwhile (it is
    still sold, its seat still held), so a refund the gateway refuses simply
    lifts the flag.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        VALID = "valid", "Valid"
        VOID = "void", "Void"

    ACTIVE_STATUSES = (Status.RESERVED, Status.VALID)

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="tickets")
    ticket_type = models.ForeignKey("events.TicketType", on_delete=models.PROTECT, related_name="tickets")
    seat = models.ForeignKey(
        "events.Seat", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    holder_name = models.CharField(max_length=150, blank=True)
    secret = models.CharField(max_length=64, unique=True, default=new_secret, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESERVED)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    refund_pending = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["ticket_type", "status"], name="ticket_type_status_idx"),
            # The door's count of checked-in tickets reads only these entries.
            models.Index(
                fields=["ticket_type"],
                condition=Q(checked_in_at__isnull=False, status="valid"),
                name="ticket_checked_in_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["seat"],
                condition=Q(status__in=["reserved", "valid"]),
                name="ticket_seat_held_once",
                violation_error_message="This seat is already taken.",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | ~Q(status="reserved"),
                name="ticket_checked_in_was_paid",
                violation_error_message="A reserved (unpaid) ticket cannot be checked in.",
            ),
        ]

    def __str__(self):
        return f"Ticket {self.pk} ({self.get_status_display()})"
