"""Periodic recounts that set the business gauges (``tixxety.business_metrics``)."""

import time

import dramatiq
from dramatiq_crontab import cron

from orders.services.recount import inventory_recount
from tixxety.business_metrics import INVENTORY_DRIFT, INVENTORY_RECOUNT_TIMESTAMP


def inventory_drift_measure() -> int:
    """Recount every ticket type's counters (one aggregate query, no repair) and set the drift gauge."""
    drift = sum(abs(found.stored - found.actual) for found in inventory_recount(fix=False))
    INVENTORY_DRIFT.set(drift)
    INVENTORY_RECOUNT_TIMESTAMP.set(time.time())
    return drift


@cron("* * * * *")
@dramatiq.actor(actor_name="measure_inventory_drift", max_retries=0, time_limit=120_000)
def inventory_drift_measure_task() -> None:
    """Every minute: the inventory drift gauge (no retries: the next run is one)."""
    inventory_drift_measure()
