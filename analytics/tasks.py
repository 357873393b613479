"""Periodic recounts that set the business gauges (``tixxety.business_metrics``)."""

import time

import dramatiq
from django.utils import timezone
from dramatiq_crontab import cron

from analytics.selectors import waiting_counts
from orders.services.recount import inventory_recount
from tixxety.business_metrics import (
    INVENTORY_DRIFT,
    INVENTORY_RECOUNT_TIMESTAMP,
    QUEUE_DEPTH,
    QUEUE_OLDEST_SECONDS,
    WAITLIST_LENGTH,
)


def inventory_drift_measure() -> int:
    """Recount the counters (one aggregate query, no repair) and who waits; set the gauges.

    Returns the drift: 0 when every ticket type's counters match its tickets.
    """
    drift = sum(abs(found.stored - found.actual) for found in inventory_recount(fix=False))
    waiting = waiting_counts(now=timezone.now())
    INVENTORY_DRIFT.set(drift)
    WAITLIST_LENGTH.set(waiting["waitlist_entries"])
    QUEUE_DEPTH.set(waiting["queued_requests"])
    QUEUE_OLDEST_SECONDS.set(waiting["oldest_queued_seconds"] or 0)
    INVENTORY_RECOUNT_TIMESTAMP.set(time.time())
    return drift


@cron("* * * * *")
@dramatiq.actor(actor_name="measure_inventory_drift", max_retries=0, time_limit=120_000)
def inventory_drift_measure_task() -> None:
    """Every minute: the inventory drift and waiting gauges (no retries: the next run is one)."""
    inventory_drift_measure()
