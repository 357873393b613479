"""Each expiry sweep that runs in a worker keeps /healthz from reporting it overdue."""

import time

import pytest
from django.core.cache import cache

from orders.tasks import orders_expire_overdue_task


@pytest.mark.django_db(transaction=True)
def test_sweep_run_by_a_worker_clears_healthz_degraded(api_client, broker, worker):
    # given a sweep expected for an hour that never ran
    cache.set("heartbeat:sweep:expected_since", time.time() - 3600, timeout=None)
    assert api_client.get("/healthz").json()["status"] == "degraded"

    # when a worker runs it
    orders_expire_overdue_task.send()
    broker.join(orders_expire_overdue_task.queue_name, fail_fast=True)
    worker.join()

    # then the health check sees the run
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["sweep"] == "ok"
