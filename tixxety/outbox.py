"""The outbox: messages that survive a broker that is down when their transaction commits.

``outbox_send(actor, *args)`` writes an OutboxMessage in the caller's
transaction and enqueues its delivery on commit. The delivery claims the
row, runs the actor's function in the worker and marks the row sent. When
that enqueue fails (the broker is unreachable) or the message is lost, the
drain that runs every minute delivers whatever is still pending after
``GRACE``. Every attempt starts with a claim (a conditional UPDATE; in the
drain a batch taken with ``FOR UPDATE SKIP LOCKED``), so two workers never
run one message at the same time and a sent message never runs again.

Delivery is at least once: a worker that dies after the actor ran (the mail
went out) but before the row was marked sent leaves the row to be run again
once its claim lapses (``LEASE``). For mail that is the right trade; an
actor whose effect must happen only once must be idempotent itself.

Use it for work that has no sweep of its own (receipts, welcome mail, future
notifications); expiry has the overdue-orders sweep, and cache drops need no
second chance.
"""

import logging
import time
from datetime import timedelta

import dramatiq
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from prometheus_client import Counter

from tixxety.jobs import send_on_commit
from tixxety.models import OutboxMessage

logger = logging.getLogger(__name__)

# How long the on-commit delivery has before the drain steps in.
GRACE = timedelta(minutes=1)
# How long a claimed attempt may run before another worker may start one;
# longer than any actor's time limit.
LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)
RETENTION = timedelta(days=7)

OUTBOX_FAILURES = Counter(
    "tixxety_outbox_failures",
    "Outbox deliveries whose actor failed; each is retried with back-off.",
    ["actor"],
)


def outbox_send(actor: dramatiq.Actor, *args) -> OutboxMessage:
    """Record a message to ``actor`` in the current transaction; deliver it once that commits.

    ``args`` must be JSON values (ids, not model instances). Rolled back with
    the caller's transaction, the message is never delivered.
    """
    from tixxety.tasks import deliver_outbox_message  # that module imports this one

    now = timezone.now()
    message = OutboxMessage.objects.create(
        actor_name=actor.actor_name, args=list(args), created_at=now, available_at=now + GRACE
    )
    send_on_commit(deliver_outbox_message, message.pk)
    return message


def outbox_deliver(*, message_id: int) -> bool:
    """Run one message's actor unless it was sent, or another attempt holds or waits for it.

    Returns whether this call ran it. The first attempt may start at once;
    any later one only when ``available_at`` has come, which keeps a late
    duplicate delivery away from a message the drain took over.
    """
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, sent_at=None)
        .filter(Q(attempts=0) | Q(available_at__lte=now))
        .update(available_at=now + LEASE, attempts=F("attempts") + 1)
    )
    if claimed:
        _run(OutboxMessage.objects.get(pk=message_id))
    return bool(claimed)


def outbox_drain(*, batch_size: int = 100, budget_seconds: float = 50) -> int:
    """Deliver pending messages that are due, a batch at a time, for about ``budget_seconds``.

    Returns how many it ran. Several drains may run at once: each takes its
    own batch.
    """
    deadline = time.monotonic() + budget_seconds
    ran = 0
    while True:
        batch = _claim_due(batch_size)
        for message in batch:
            _run(message)
        ran += len(batch)
        if len(batch) < batch_size or time.monotonic() >= deadline:
            return ran


def outbox_purge(*, older_than: timedelta = RETENTION) -> int:
    """Delete messages sent more than ``older_than`` ago; pending ones are kept whatever their age."""
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - older_than).delete()
    return deleted


@transaction.atomic
def _claim_due(limit: int) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages, oldest first, skipping rows another drain is claiming."""
    now = timezone.now()
    batch = list(
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(sent_at=None, available_at__lte=now)
        .order_by("available_at", "pk")[:limit]
    )
    OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(
        available_at=now + LEASE, attempts=F("attempts") + 1
    )
    for message in batch:
        message.attempts += 1
    return batch


def _run(message: OutboxMessage) -> None:
    """Call the actor's function here and now; record success, or the error and when to retry."""
    try:
        actor = dramatiq.get_broker().get_actor(message.actor_name)
        actor(*message.args)
    except Exception as error:  # whatever the actor raised: retried later, never lost
        backoff = min(timedelta(minutes=2 ** (message.attempts - 1)), MAX_BACKOFF)
        OutboxMessage.objects.filter(pk=message.pk).update(
            available_at=timezone.now() + backoff, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        OUTBOX_FAILURES.labels(actor=message.actor_name).inc()
        logger.warning(
            "outbox message %s to %s failed (attempt %s), retrying in %s: %s: %s",
            message.pk,
            message.actor_name,
            message.attempts,
            backoff,
            type(error).__name__,
            error,
        )
    else:
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), last_error="")
