import dramatiq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from dramatiq.brokers.redis import RedisBroker

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
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def test_healthz_503_names_unreachable_cache(api_client, unreachable_cache):
    response = api_client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == "unhealthy"
    assert body["detail"] == "Unavailable: cache"
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
