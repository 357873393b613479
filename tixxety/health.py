"""Health: the dependencies a request needs, the static files pages need, the expiry sweep.

``/healthz`` and ``manage.py healthcheck`` run the same checks, so a load
balancer and a container health probe agree on what "healthy" means. A
failing dependency (database, cache, broker) or missing static files make
the site unhealthy; an overdue expiry sweep (no run for 3 minutes: the
scheduler or every worker is gone, so unpaid reservations hold tickets
forever) makes it degraded. Both answer 503 so that monitoring sees them.
"""

import uuid

import dramatiq
from django.core.cache import cache
from django.db import connection
from dramatiq.brokers.redis import RedisBroker

from tixxety import heartbeat
from tixxety.static_manifest import static_files_problem_at_start


class CheckFailed(Exception):
    """A check's own finding; its message is safe to show."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("value written to the cache could not be read back")
    cache.delete(key)


def check_broker() -> None:
    broker = dramatiq.get_broker()
    if isinstance(broker, RedisBroker):
        broker.client.ping()
    # The in-memory StubBroker of the zero-setup mode has nothing to reach.


def check_static() -> None:
    if problem := static_files_problem_at_start():
        raise CheckFailed(problem)


def check_sweep() -> None:
    if lateness := heartbeat.overdue(heartbeat.SWEEP):
        raise CheckFailed(lateness)


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "static": check_static,
    "sweep": check_sweep,
}
# Failing only these leaves requests served: the site is degraded, not down.
DEGRADING = {"sweep"}


def run_checks() -> dict[str, str]:
    """Run every check; map each name to "ok" or "error: <finding or exception class>"."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except CheckFailed as finding:
            results[name] = f"error: {finding}"
        except Exception as error:  # any failure makes the dependency unhealthy
            results[name] = f"error: {type(error).__name__}"
        else:
            results[name] = "ok"
    return results


def failing(results: dict[str, str]) -> list[str]:
    return [name for name, result in results.items() if result != "ok"]


def verdict(down: list[str]) -> str:
    """ "ok", "degraded" (only degrading checks fail) or "error"."""
    if not down:
        return "ok"
    return "degraded" if set(down) <= DEGRADING else "error"
