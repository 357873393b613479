"""Marks in the shared cache that tell ``/healthz`` whether periodic work still runs.

The expiry sweep runs in a worker process and ``/healthz`` answers in a web
process, so the mark lives in the cache they share (Redis in production).
Two marks per job:

- ``last_run``: set each time the job finishes;
- ``expected_since``: when the job was first expected to run. The scheduler
  sets it each time it takes the lock (so a deployment restarted after a long
  stop gets a fresh grace period), and a health check that finds neither mark
  (a fresh deployment, or a flushed Redis) adds it.

A job is overdue when neither mark is younger than ``STALE_AFTER``. A health
check that runs in a process of its own (``manage.py healthcheck``) judges the
same way, since no mark belongs to a process.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

SWEEP = "sweep"
STALE_AFTER_SECONDS = 180


def _key(job: str, mark: str) -> str:
    return f"heartbeat:{job}:{mark}"


def record_run(job: str) -> None:
    """Note that ``job`` has just finished; a cache failure is logged, never raised.

    The job's work is done by then: a missing health mark must not fail it.
    """
    try:
        cache.set(_key(job, "last_run"), time.time(), timeout=None)
    except Exception as error:  # the cache is down: /healthz reports it anyway
        logger.warning("could not record the run of %s: %s: %s", job, type(error).__name__, error)


def expect_runs(job: str) -> None:
    """Start judging ``job`` from now (its scheduler has just started)."""
    cache.set(_key(job, "expected_since"), time.time(), timeout=None)


def overdue(job: str) -> str | None:
    """Why ``job`` is overdue ("last ran 250 s ago"), or None while it runs on time."""
    now = time.time()
    last_run = cache.get(_key(job, "last_run"))
    expected_since = cache.get(_key(job, "expected_since"))
    if last_run is None and expected_since is None:
        cache.add(_key(job, "expected_since"), now, timeout=None)
        return None
    if max(mark for mark in (last_run, expected_since) if mark is not None) > now - STALE_AFTER_SECONDS:
        return None
    if last_run is None:
        return f"never ran in {now - expected_since:.0f} s"
    return f"last ran {now - last_run:.0f} s ago"
