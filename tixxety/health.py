"""Liveness of the three things a request may need: database, cache, broker.

``/healthz`` and ``manage.py healthcheck`` run the same checks, so a load
balancer and a container health probe agree on what "healthy" means.
"""

import uuid

import dramatiq
from django.core.cache import cache
from django.db import connection
from dramatiq.brokers.redis import RedisBroker


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


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> dict[str, str]:
    """Run every check; map each name to "ok" or "error: <exception class>"."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure makes the dependency unhealthy
            results[name] = f"error: {type(error).__name__}"
        else:
            results[name] = "ok"
    return results


def failing(results: dict[str, str]) -> list[str]:
    return [name for name, result in results.items() if result != "ok"]
