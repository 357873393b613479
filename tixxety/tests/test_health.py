import re
import time

import dramatiq
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from dramatiq.brokers.redis import RedisBroker

from tixxety import heartbeat

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def unreachable_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }


@pytest.fixture
def redis_broker():
    """Swap in a Redis broker for the health check, then restore the stub."""
    original = dramatiq.get_broker()

    def install(url):
        dramatiq.set_broker(RedisBroker(url=url, socket_connect_timeout=1))

    yield install
    dramatiq.set_broker(original)


def test_healthz_ok(api_client):
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "static": "ok", "sweep": "ok"},
    }


def test_healthz_503_names_unreachable_cache(api_client, unreachable_cache):
    response = api_client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == "unhealthy"
    # The sweep's marks live in the cache, so its state is unknown too.
    assert body["detail"] == "Unavailable: cache, sweep"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error:")


def test_healthz_503_names_unreachable_broker(api_client, redis_broker):
    redis_broker(UNREACHABLE_REDIS)

    response = api_client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["detail"] == "Unavailable: broker"


def test_healthz_checks_a_reachable_redis_broker(api_client, redis_broker, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL")
    redis_broker(settings.REDIS_URL)

    assert api_client.get("/healthz").json()["checks"]["broker"] == "ok"


def test_healthcheck_command(capsys, unreachable_cache):
    with pytest.raises(CommandError, match="Unavailable: cache"):
        call_command("healthcheck")

    assert "database: ok" in capsys.readouterr().out


def test_metrics_exposes_http_and_database_metrics(api_client, client):
    api_client.get("/healthz")

    response = client.get("/metrics")

    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_execute_total" in text
    assert "django_cache_get_total" in text


def set_mark(job_mark: str, seconds_ago: float) -> None:
    cache.set(f"heartbeat:sweep:{job_mark}", time.time() - seconds_ago, timeout=None)


def test_healthz_degraded_when_the_sweep_last_ran_over_3_minutes_ago(api_client):
    set_mark("expected_since", 3600)
    set_mark("last_run", 181)

    response = api_client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["code"] == "degraded"
    assert body["detail"] == "Degraded: sweep"
    assert re.fullmatch(r"error: last ran 18\d s ago", body["checks"]["sweep"])
    assert body["checks"]["database"] == "ok"


def test_healthz_ok_when_the_sweep_ran_recently(api_client):
    set_mark("expected_since", 3600)
    set_mark("last_run", 170)

    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["sweep"] == "ok"


def test_healthz_does_not_judge_a_sweep_that_was_never_expected(api_client):
    """A fresh deployment (or a flushed Redis): the first look starts a 3-minute grace period."""
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert time.time() - cache.get("heartbeat:sweep:expected_since") < 5


def test_healthz_degraded_when_the_sweep_never_ran_after_its_grace_period(api_client):
    set_mark("expected_since", 200)

    response = api_client.get("/healthz")

    assert response.status_code == 503
    assert re.fullmatch(r"error: never ran in 20\d s", response.json()["checks"]["sweep"])


def test_scheduler_start_gives_the_sweep_a_new_grace_period(api_client):
    """After a long stop, the restarted scheduler is not blamed for the sweep it could not run."""
    set_mark("expected_since", 7200)
    set_mark("last_run", 3600)

    heartbeat.expect_runs(heartbeat.SWEEP)

    assert api_client.get("/healthz").status_code == 200


def test_healthcheck_command_fails_on_an_overdue_sweep(capsys):
    set_mark("last_run", 600)

    with pytest.raises(CommandError, match="Degraded: sweep"):
        call_command("healthcheck")

    assert re.search(r"sweep: error: last ran 60\d s ago", capsys.readouterr().out)
