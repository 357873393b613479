"""Where background jobs run.

In production a Redis broker connects web processes to ``manage.py
rundramatiq`` workers and one ``manage.py crontab`` scheduler. In the
zero-setup development mode the broker is Dramatiq's in-memory StubBroker,
which only the process that holds it can serve, so ``manage.py rundev``
starts a worker and the scheduler as threads of the development server.
"""

import logging
import threading
from collections.abc import Callable
from importlib import import_module

import dramatiq
from django.apps import apps
from django.db import transaction
from django.utils.module_loading import module_has_submodule
from dramatiq.brokers.stub import StubBroker
from dramatiq_crontab import scheduler
from prometheus_client import Counter

logger = logging.getLogger(__name__)

AFTER_COMMIT_FAILURES = Counter(
    "tixxety_after_commit_failures",
    "Work run after a commit (a message, a cache drop) that failed and was dropped.",
    ["what"],
)


def run_after_commit(callback: Callable[[], object], *, what: str) -> None:
    """Run ``callback`` once the current transaction commits; never let it fail the caller.

    The request that registered it has committed by then, so an exception
    (the broker or the cache unreachable) can only be logged and counted:
    turning a committed booking into an error would invite a retry that books
    twice. Whatever must survive such a failure is also recoverable from the
    database (the expiry sweep, the outbox). Outside a transaction the
    callback runs at once, with the same protection.
    """

    def guarded() -> None:
        try:
            callback()
        except Exception as error:  # any failure here is after the fact
            AFTER_COMMIT_FAILURES.labels(what=what).inc()
            logger.warning("after-commit %s failed: %s: %s", what, type(error).__name__, error)

    transaction.on_commit(guarded)


def send_on_commit(actor: dramatiq.Actor, *args, delay_ms: int | None = None) -> None:
    """Enqueue ``actor`` with ``args`` after commit; a broker failure is logged and counted, never raised."""
    run_after_commit(
        lambda: actor.send_with_options(args=args, delay=delay_ms), what=f"send {actor.actor_name}"
    )


def uses_inprocess_broker() -> bool:
    return isinstance(dramatiq.get_broker(), StubBroker)


def import_task_modules() -> list[str]:
    """Import every installed app's ``tasks`` module so its actors and schedules register."""
    loaded = []
    for app in apps.get_app_configs():
        if module_has_submodule(app.module, "tasks"):
            import_module(f"{app.name}.tasks")
            loaded.append(app.name)
    return loaded


def start_inprocess_jobs(*, worker_threads: int = 4) -> dramatiq.Worker:
    """Serve the in-memory broker with a worker and the periodic scheduler (development only)."""
    if not uses_inprocess_broker():
        raise RuntimeError("In-process jobs are only for the in-memory development broker.")
    import_task_modules()
    # Delayed messages (an expiry at expires_at) are released when the worker
    # polls: every second by default, which alone made expiries up to 1 s late.
    # Four threads, as `make run` gives rundramatiq: with two, expiries fell
    # behind while the server's request threads took the SQLite write lock.
    worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=worker_threads, worker_timeout=100)
    worker.start()
    threading.Thread(target=scheduler.start, name="dramatiq-crontab", daemon=True).start()
    return worker
