"""The cheaper collectors move django-prometheus' figures as django-prometheus' own did."""

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_request_counts_by_method_view_status_and_latency(client):
    view = {"view": "healthz", "transport": "http", "method": "GET"}
    before = (
        value("django_http_requests_total_by_method_total", method="GET"),
        value("django_http_requests_total_by_view_transport_method_total", **view),
        value(
            "django_http_responses_total_by_status_view_method_total",
            status="200",
            view="healthz",
            method="GET",
        ),
        value("django_http_requests_latency_seconds_by_view_method_count", view="healthz", method="GET"),
        value("django_http_requests_latency_including_middlewares_seconds_count"),
    )

    assert client.get("/healthz").status_code == 200

    after = (
        value("django_http_requests_total_by_method_total", method="GET"),
        value("django_http_requests_total_by_view_transport_method_total", **view),
        value(
            "django_http_responses_total_by_status_view_method_total",
            status="200",
            view="healthz",
            method="GET",
        ),
        value("django_http_requests_latency_seconds_by_view_method_count", view="healthz", method="GET"),
        value("django_http_requests_latency_including_middlewares_seconds_count"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1, 1]


def test_statements_and_their_errors_are_counted():
    labels = {"alias": "default", "vendor": connection.vendor}
    executed = value("django_db_execute_total", **labels)
    timed = value("django_db_query_duration_seconds_count", **labels)
    failed = errors_of(**labels)

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        with pytest.raises(DatabaseError):
            cursor.execute("SELECT * FROM no_such_table_here")

    assert value("django_db_execute_total", **labels) - executed == 2
    assert value("django_db_query_duration_seconds_count", **labels) - timed == 2
    assert errors_of(**labels) - failed == 1


def errors_of(**labels) -> float:
    """``django_db_errors_total`` summed over its ``type`` label (the driver's own exception class)."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "django_db_errors"
        for sample in family.samples
        if sample.name == "django_db_errors_total" and labels.items() <= sample.labels.items()
    )


@pytest.mark.skipif(not hasattr(cache, "client"), reason="needs the Redis cache (REDIS_URL)")
def test_cache_reads_count_hits_and_misses():
    names = ("django_cache_get_total", "django_cache_get_hits_total", "django_cache_get_misses_total")
    before = [value(name, backend="redis") for name in names]
    cache.set("metrics-test-key", "x", 30)

    assert cache.get("metrics-test-key") == "x"
    assert cache.get("metrics-test-missing", "fallback") == "fallback"

    after = [value(name, backend="redis") for name in names]
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1]
