"""Where background jobs run.

In production a Redis broker connects web processes to ``manage.py
rundramatiq`` workers and one ``manage.py crontab`` scheduler. In the
zero-setup development mode the broker is Dramatiq's in-memory StubBroker,
which only the process that holds it can serve, so ``manage.py rundev``
starts a worker and the scheduler as threads of the development server.
"""

import threading
from importlib import import_module

import dramatiq
from django.apps import apps
from django.utils.module_loading import module_has_submodule
from dramatiq.brokers.stub import StubBroker
from dramatiq_crontab import scheduler


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


def start_inprocess_jobs(*, worker_threads: int = 2) -> dramatiq.Worker:
    """Serve the in-memory broker with a worker and the periodic scheduler (development only)."""
    if not uses_inprocess_broker():
        raise RuntimeError("In-process jobs are only for the in-memory development broker.")
    import_task_modules()
    worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=worker_threads)
    worker.start()
    threading.Thread(target=scheduler.start, name="dramatiq-crontab", daemon=True).start()
    return worker
