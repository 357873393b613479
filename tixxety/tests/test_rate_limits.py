"""The rate-limit mechanism: client addresses behind proxies, admin writes, pages, processes, Redis down."""

import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import caches

from tixxety.ratelimit_store import FallbackClient
from tixxety.tests.rate_limits import assert_rate_limited, start_of_a_window

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token"
PROXY = "10.0.0.2"  # nginx, as gunicorn sees it


def sign_in(api_client, email="someone@example.com", **meta):
    return api_client.post(TOKEN, {"email": email, "password": "wrong"}, **meta)


# --- client addresses --------------------------------------------------------


def test_behind_a_proxy_a_made_up_forwarded_entry_does_not_reset_the_limit(api_client, settings, rate_limits):
    settings.NUM_PROXIES = 1
    rate_limits(login_ip="3/m", login_account="100/m")
    for n in range(3):
        made_up = f"192.0.2.{n}, 203.0.113.7"  # the client sent the first entry, nginx appended the second
        assert sign_in(api_client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=made_up).status_code == 401

    refused = sign_in(api_client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.7")

    assert_rate_limited(refused, period_seconds=60)
    other_client = sign_in(api_client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7, 203.0.113.8")
    assert other_client.status_code == 401


def test_without_proxies_forwarded_for_is_ignored(api_client, rate_limits):
    rate_limits(login_ip="2/m", login_account="100/m")
    for n in range(2):
        assert sign_in(api_client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 401

    assert_rate_limited(sign_in(api_client, HTTP_X_FORWARDED_FOR="203.0.113.50"), period_seconds=60)


def test_a_forwarded_entry_that_is_no_address_counts_as_the_socket_address(api_client, settings, rate_limits):
    settings.NUM_PROXIES = 1
    rate_limits(login_ip="1/m", login_account="100/m")
    assert sign_in(api_client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address").status_code == 401

    assert_rate_limited(
        sign_in(api_client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="::zz"), period_seconds=60
    )


# --- admin writes ------------------------------------------------------------

VENUE = {"name": "O2", "city": "London", "latitude": 51.503, "longitude": 0.0032}


def test_admin_api_writes_are_limited_per_admin(admin_api, client_for, rate_limits):
    rate_limits(admin_write="3/m")
    venue = admin_api.post("/api/venues", VENUE).json()["id"]
    assert admin_api.patch(f"/api/venues/{venue}", {"city": "Greenwich"}).status_code == 200
    assert admin_api.get(f"/api/venues/{venue}").status_code == 200  # reads do not count
    assert admin_api.delete(f"/api/venues/{venue}").status_code == 204

    assert_rate_limited(admin_api.post("/api/venues", VENUE), period_seconds=60)
    other_admin = get_user_model().objects.create(email="other-admin@example.com", role="admin")
    assert client_for(other_admin).post("/api/venues", VENUE).status_code == 201


def test_customers_writes_are_not_admin_writes(customer_api, rate_limits):
    rate_limits(admin_write="1/m")
    for _ in range(3):
        assert customer_api.patch("/api/auth/me", {"name": "Renamed"}).status_code == 200


def test_django_admin_posts_share_the_admin_write_limit(client, admin, admin_api, rate_limits):
    rate_limits(admin_write="3/m")
    client.force_login(admin)
    assert admin_api.post("/api/venues", VENUE).status_code == 201
    for _ in range(2):
        assert client.post("/admin/events/venue/add/", {}).status_code == 200  # the form with its errors
    assert client.get("/admin/events/venue/add/").status_code == 200

    refused = client.post("/admin/events/venue/add/", {})

    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/html")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many requests" in refused.content.decode()


# --- pages -------------------------------------------------------------------


def test_the_admin_sign_in_is_limited_as_a_sign_in_page(client, api_client, admin, rate_limits):
    rate_limits(login_ip="100/m", login_account="3/m")
    assert sign_in(api_client, email=admin.email).status_code == 401  # the API's sign-ins count too
    for _ in range(2):
        page = client.post("/admin/login/", {"username": admin.email.upper(), "password": "wrong"})
        assert page.status_code == 200 and "Please enter the correct" in page.content.decode()

    refused = client.post("/admin/login/", {"username": admin.email, "password": "wrong"})

    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert "Try again in" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert client.get("/admin/login/").status_code == 200


def test_a_json_client_of_a_page_gets_the_json_error(client, admin, rate_limits):
    rate_limits(login_ip="1/m")
    client.post("/admin/login/", {"username": admin.email, "password": "wrong"})

    refused = client.post(
        "/admin/login/", {"username": admin.email, "password": "wrong"}, HTTP_ACCEPT="application/json"
    )

    assert_rate_limited(refused, period_seconds=60)


# --- several processes, one count -------------------------------------------

COUNT_IN_A_PROCESS = """
from django.test import RequestFactory
from tixxety.ratelimits import RateLimited, limit_request

allowed = 0
for _ in range(8):
    try:
        limit_request(RequestFactory().post("/", REMOTE_ADDR="198.51.100.77"), ("login-ip",))
        allowed += 1
    except RateLimited:
        pass
print(allowed)
"""


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis: set REDIS_URL")
def test_two_processes_share_one_count():
    # Two processes starting on a loaded machine could straddle a fixed window's end (12 allowed).
    start_of_a_window("login-ip", address="198.51.100.77", needed_seconds=45)
    environment = {**os.environ, "RATELIMIT_LOGIN_IP": "10/m", "REDIS_URL": django_settings.REDIS_URL}
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", COUNT_IN_A_PROCESS],
            cwd=django_settings.BASE_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]

    allowed = [int(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    assert sum(allowed) == 10, (allowed, [stderr for _, stderr in outputs])


# --- Redis down ----------------------------------------------------------------


@pytest.mark.usefixtures("cache_down")
def test_with_redis_down_the_store_counts_in_the_process_and_asks_redis_again_later(monkeypatch, caplog):
    store = caches["ratelimit"]
    with caplog.at_level(logging.WARNING, logger="tixxety.ratelimit_store"):
        assert store.add("counter", 1, 60) is True
        assert store.incr("counter") == 2
        assert store.get("counter") == 2
        assert len(caplog.records) == 1  # Redis was asked once, then left alone
        monkeypatch.setattr(FallbackClient, "retry_after_seconds", 0)
        store.client._redis_down_until = 0.0

        assert store.incr("counter") == 3

    assert len(caplog.records) == 2  # asked again: still down
    assert "counting in this process" in caplog.records[0].getMessage()


# --- configuration -----------------------------------------------------------


def _check(**env):
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_zero_setup_mode_passes_the_checks_with_only_ratelimits_cache_checks_silenced():
    result = _check(REDIS_URL="", DATABASE_URL="")

    assert result.returncode == 0, result.stderr
    assert "no issues (2 silenced)" in result.stdout


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis: set REDIS_URL")
def test_with_redis_nothing_is_silenced():
    result = _check(REDIS_URL=django_settings.REDIS_URL)

    assert result.returncode == 0, result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_a_rate_that_is_no_rate_is_refused_at_start():
    result = _check(RATELIMIT_BOOKING="lots")

    assert result.returncode != 0
    assert "RATELIMIT_BOOKING must be a rate such as 20/m or 10/15m, not 'lots'" in result.stderr
