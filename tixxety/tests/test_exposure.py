"""What production does not serve to everyone: /metrics and DRF's browsable pages."""

import json

import pytest

from tixxety.tests.test_settings import PRODUCTION_ENV, _manage

pytestmark = pytest.mark.django_db

LOOPBACK_ONLY = ["127.0.0.0/8", "::1"]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_metrics_answer_clients_in_the_allowed_networks(client, settings, address):
    settings.METRICS_ALLOWED_NETWORKS = LOOPBACK_ONLY

    response = client.get("/metrics", REMOTE_ADDR=address)

    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


@pytest.mark.parametrize("address", ["10.1.2.3", "2001:db8::1", "::ffff:10.1.2.3", ""])
def test_metrics_refuse_other_clients(client, settings, address):
    settings.METRICS_ALLOWED_NETWORKS = LOOPBACK_ONLY

    response = client.get("/metrics", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Metrics are not available to this client.",
        "code": "permission_denied",
    }


def test_metrics_networks_can_be_widened(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_metrics_token_is_required_when_set(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["*"]
    settings.METRICS_TOKEN = "scrape-me-7f3a"

    missing = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-7f3b")
    basic = client.get("/metrics", HTTP_AUTHORIZATION="Basic scrape-me-7f3a")
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-7f3a")

    assert [r.status_code for r in (missing, wrong, basic)] == [403, 403, 403]
    assert right.status_code == 200


def test_metrics_token_and_networks_both_apply(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = LOOPBACK_ONLY
    settings.METRICS_TOKEN = "scrape-me-7f3a"

    outside = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-me-7f3a")
    inside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer scrape-me-7f3a")

    assert (outside.status_code, inside.status_code) == (403, 200)


# What a production process serves, checked in a fresh process (renderers are
# fixed when DRF's views are imported, and the defaults follow DEBUG).
# The browsable page links static files: plain storage, since tests build no collectstatic manifest.
SERVE_AS_PRODUCTION = """
import json
from django.conf import settings
from django.test import Client, override_settings
client = Client(HTTP_HOST="tickets.example.com")
browser = "text/html,application/xhtml+xml,*/*;q=0.8"
plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
    answers = {
        "metrics_from_outside": client.get("/metrics", REMOTE_ADDR="10.1.2.3", secure=True).status_code,
        "metrics_from_loopback": client.get("/metrics", REMOTE_ADDR="127.0.0.1", secure=True).status_code,
        "api_to_a_browser": client.get("/api/auth/me", HTTP_ACCEPT=browser, secure=True)["Content-Type"],
    }
print(json.dumps(answers))
"""


def _served(**env) -> dict:
    result = _manage("shell", "-c", SERVE_AS_PRODUCTION, **{**PRODUCTION_ENV, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_serves_metrics_to_loopback_only_and_the_api_as_json():
    assert _served() == {
        "metrics_from_outside": 403,
        "metrics_from_loopback": 200,
        "api_to_a_browser": "application/json",
    }


def test_production_settings_can_open_metrics_and_the_browsable_api():
    served = _served(METRICS_ALLOWED_NETWORKS="10.0.0.0/8", API_BROWSABLE="1")

    assert served["metrics_from_outside"] == 200
    assert served["metrics_from_loopback"] == 403
    assert served["api_to_a_browser"].startswith("text/html")


def test_development_serves_the_browsable_api(client):
    response = client.get("/api/auth/me", HTTP_ACCEPT="text/html")

    assert response.status_code == 401 and response["Content-Type"].startswith("text/html")


def test_a_malformed_metrics_network_refuses_to_start():
    result = _manage("check", **{**PRODUCTION_ENV, "METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,localhost"})

    assert result.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS: 'localhost' is not a network" in result.stderr
