"""Idempotency-Key: a retried POST gets the first response instead of a second order.

The key is claimed by inserting a record before the work starts, in its own
autocommitted statement, so a concurrent duplicate finds it at once and is
told the first is still in flight (409). The response is stored when the
work ends; a later request with the same key and the same body replays it,
one with another body is refused (422). Server errors release the key so
that a retry can do the work: the API stores the response of a booking or a
checkout in the same transaction as the order (``@idempotent(atomic=True)``),
so a server error there means nothing was committed.
"""

import hashlib
import json
import logging
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from orders.models import IdempotencyRecord
from tixxety.exceptions import IdempotencyInFlight, IdempotencyMismatch

logger = logging.getLogger(__name__)

RETENTION = timedelta(hours=24)
# A claim older than this with no response belongs to a request that died.
STALE_CLAIM = timedelta(minutes=5)


def request_fingerprint(*, method: str, path: str, body: object) -> str:
    canonical = json.dumps([method, path.rstrip("/"), body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_claim(*, user, key: str, fingerprint: str) -> IdempotencyRecord:
    """Claim ``key`` for this request, or return the finished record to replay.

    Raises IdempotencyMismatch for the key reused with another request and
    IdempotencyInFlight while the first request with the key still runs.
    """
    try:
        with transaction.atomic():  # a savepoint when a caller's transaction is open
            return IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.get(user=user, key=key)
    if record.fingerprint != fingerprint:
        raise IdempotencyMismatch()
    if record.in_flight:
        if record.created_at > timezone.now() - STALE_CLAIM:
            raise IdempotencyInFlight()
        record.delete()
        return idempotency_claim(user=user, key=key, fingerprint=fingerprint)
    return record


def idempotency_complete(*, record: IdempotencyRecord, status: int, body) -> None:
    """Store the response to replay for ``record``'s key."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(response_status=status, response_body=body)


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget the claim after a server error, so that a retry does the work.

    When the database itself is what failed, the claim stays and is treated
    as stale after ``STALE_CLAIM``: a retry is told the first is in flight
    until then, never answered with a second server error.
    """
    try:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
    except DatabaseError as error:
        logger.warning("Idempotency-Key claim %s kept after a server error: %s", record.pk, error)


def idempotency_purge(*, older_than: timedelta = RETENTION) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
