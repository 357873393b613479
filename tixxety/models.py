"""Tables of the ground floor, used by every app."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A message to an actor that must not be lost, written in the transaction that causes it.

    It exists exactly when that transaction committed, so a broker that is
    down at the commit loses nothing: ``tixxety.outbox`` delivers it on
    commit and, failing that, from the minute drain.
    """

    actor_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    # When the drain may take it: after the grace period of the on-commit
    # delivery, when a claim has lapsed, or when a failed attempt's back-off ends.
    available_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["available_at"], condition=Q(sent_at__isnull=True), name="outbox_pending"),
        ]

    def __str__(self):
        return f"{self.actor_name}{tuple(self.args)}"
