"""Reports are cached under a version; a bump makes them stale at once; the cache is optional."""

import pytest
from django.conf import settings
from django.core.cache import cache

from analytics.cache import REPORT_VERSION_KEY, bump_report_version, report_version
from analytics.tests.world import build_world
from orders.services import order_pay, order_reserve
from tickets.models import Ticket
from tickets.services import ticket_check_in

pytestmark = pytest.mark.django_db

SUMMARY = "/api/analytics/summary"
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def world(staff):
    return build_world(staff=staff)


def _buy_one_more(world):
    order = order_reserve(user=world.cy, event_id=world.beta.pk, items=[(world.ga.pk, 2)])
    order_pay(order_id=order.pk, by=world.cy, provider="test", token="tok_visa")


def test_a_missing_version_starts_from_the_clock_and_each_bump_adds_one():
    assert cache.get(REPORT_VERSION_KEY) is None
    first = report_version()

    bump_report_version()
    bump_report_version()

    assert report_version() == first + 2
    cache.delete(REPORT_VERSION_KEY)  # evicted or flushed: it must never come back to an old value
    assert report_version() > first + 2


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: set REDIS_URL")
def test_the_version_never_expires_in_redis():
    bump_report_version()

    client = cache._client.get_client(write=False)
    assert client.ttl(cache.make_and_validate_key(REPORT_VERSION_KEY)) == -1  # -1: no expiry


def test_a_second_summary_comes_from_the_cache(admin_api, world, django_assert_num_queries):
    first = admin_api.get(SUMMARY).json()

    with django_assert_num_queries(0):
        second = admin_api.get(SUMMARY).json()

    assert (first["cached"], second["cached"]) == (False, True)
    assert second["computed_at"] == first["computed_at"]
    assert second["orders"] == first["orders"]


def test_without_a_bump_the_cached_summary_is_served_for_its_60_seconds(admin_api, world):
    admin_api.get(SUMMARY)
    _buy_one_more(world)  # on this branch nothing bumps the version yet for a payment

    cached = admin_api.get(SUMMARY).json()

    assert cached["cached"] is True
    assert cached["orders"]["paid"] == 3


def test_a_bump_makes_the_next_summary_recompute(admin_api, world):
    before = admin_api.get(SUMMARY).json()
    _buy_one_more(world)

    bump_report_version()
    after = admin_api.get(SUMMARY).json()

    assert after["cached"] is False
    assert after["computed_at"] > before["computed_at"]
    assert (before["orders"]["paid"], after["orders"]["paid"]) == (3, 4)
    assert after["tickets"]["sold"] == before["tickets"]["sold"] + 2
    assert admin_api.get(SUMMARY).json()["cached"] is True


def test_a_check_in_makes_the_next_summary_count_it(
    admin_api, world, staff, django_capture_on_commit_callbacks
):
    # given a cached summary with 3 of the 7 valid tickets checked in
    before = admin_api.get(SUMMARY).json()
    ticket = Ticket.objects.filter(status=Ticket.Status.VALID, checked_in_at=None).first()

    # when staff check one more in at the door
    with django_capture_on_commit_callbacks(execute=True):
        ticket_check_in(secret=ticket.secret, by=staff)

    # then the next summary is computed afresh and counts it, without waiting for the cache to expire
    after = admin_api.get(SUMMARY).json()
    assert after["cached"] is False
    assert (before["check_in"]["checked_in"], after["check_in"]["checked_in"]) == (3, 4)


def test_a_bump_invalidates_every_report_and_the_homepage(admin_api, api_client, world):
    paths = [
        "/api/analytics/sales?from=2026-03-10&to=2026-03-11",
        "/api/analytics/tickets",
        "/api/stats/homepage",
    ]
    for path in paths:
        admin_api.get(path)
    assert all(admin_api.get(path).json()["cached"] for path in paths)

    bump_report_version()

    assert [admin_api.get(path).json()["cached"] for path in paths] == [False, False, False]


def test_refresh_recomputes_and_caches_the_new_numbers(admin_api, world):
    admin_api.get(SUMMARY)
    _buy_one_more(world)

    refreshed = admin_api.get(SUMMARY, {"refresh": "1"}).json()
    next_read = admin_api.get(SUMMARY).json()

    assert refreshed["cached"] is False
    assert refreshed["orders"]["paid"] == 4
    assert next_read["cached"] is True
    assert next_read["computed_at"] == refreshed["computed_at"]


def test_parameters_are_part_of_the_cache_key(admin_api, world):
    march = admin_api.get("/api/analytics/sales", {"from": "2026-03-10", "to": "2026-03-11"}).json()
    april = admin_api.get("/api/analytics/sales", {"from": "2026-04-10", "to": "2026-04-11"}).json()

    assert (march["cached"], april["cached"]) == (False, False)
    assert march["totals"]["orders_paid"] == 4
    assert april["totals"]["orders_paid"] == 0


def test_the_homepage_ignores_refresh(api_client, world):
    api_client.get("/api/stats/homepage")

    assert api_client.get("/api/stats/homepage", {"refresh": "1"}).json()["cached"] is True


def test_an_unreachable_cache_computes_the_report_and_logs_it(admin_api, world, settings, caplog):
    settings.CACHES = UNREACHABLE_REDIS

    responses = [admin_api.get(SUMMARY), admin_api.get("/api/analytics/sales/export"), admin_api.get(SUMMARY)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert responses[2].json()["cached"] is False
    assert responses[2].json()["orders"]["paid"] == 3
    assert "Analytics cache unavailable" in caplog.text
