"""Fixtures shared by every app's tests: API clients per role, broker and worker, a sale,
the race harness and the invariants check."""

import os
import shutil
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import dramatiq
import pytest
from django.core.cache import cache, caches
from django.db import connection
from dramatiq.brokers.redis import RedisBroker
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import UserFactory
from events.models import Event, TicketType
from orders.tests.factories import on_sale_event
from tixxety.jobs import import_task_modules
from tixxety.ratelimit_store import local_counts


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Fast hashing, plain static storage and empty caches for every test.

    Argon2 is deliberately slow. The manifest storage needs `collectstatic`,
    which production runs at build time and tests do not.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()
    caches["ratelimit"].clear()  # the same Redis database, or its own local memory without Redis
    local_counts.clear()


@pytest.fixture
def rate_limits(settings):
    """``rate_limits(login_ip="3/m", ...)``: set the named limits' rates for the test."""

    def set_rates(**rates: str) -> None:
        named = {name.replace("_", "-"): rate for name, rate in rates.items()}
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **named}

    return set_rates


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """An API client that sends a real access token for ``user``."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        return client

    return make


@pytest.fixture
def customer(db):
    return UserFactory(role=User.Role.CUSTOMER)


@pytest.fixture
def staff(db):
    return UserFactory(role=User.Role.STAFF)


@pytest.fixture
def admin(db):
    return UserFactory(role=User.Role.ADMIN)


@pytest.fixture
def customer_api(client_for, customer):
    return client_for(customer)


@pytest.fixture
def staff_api(client_for, staff):
    return client_for(staff)


@pytest.fixture
def admin_api(client_for, admin):
    return client_for(admin)


@pytest.fixture
def broker():
    """The in-memory broker, emptied before the test."""
    broker = dramatiq.get_broker()
    broker.flush_all()
    return broker


@pytest.fixture
def worker(broker):
    """A real Dramatiq worker on the stub broker; use with ``django_db(transaction=True)``.

    A worker thread has its own database connection and cannot see rows of a
    test wrapped in a transaction.
    """
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    yield worker
    worker.stop()


# Nothing listens on port 1: a real client gets "connection refused" at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(broker):
    """Every actor sends to a real Redis broker on a closed port; call the fixture's value to restore.

    Actors keep the broker they were declared on, so each is pointed at the
    unreachable one; the stub broker is back after the test in any case.
    """
    import_task_modules()
    actors = [broker.get_actor(name) for name in broker.get_declared_actors()]
    unreachable = RedisBroker(
        url=UNREACHABLE_REDIS, socket_connect_timeout=0.2, socket_timeout=0.2, middleware=[]
    )

    def restore():
        for actor in actors:
            actor.broker = broker

    for actor in actors:
        actor.broker = unreachable
    yield restore
    restore()


@pytest.fixture
def cache_down(settings):
    """The default and rate-limit caches: the production Redis backends on a closed port, failing in 0.2 s."""
    timeouts = {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2}
    settings.CACHES = {
        "default": {
            "BACKEND": "tixxety.cache_backend.CountingRedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": timeouts,
        },
        "ratelimit": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"CLIENT_CLASS": "tixxety.ratelimit_store.FallbackClient", **timeouts},
        },
    }


class Sale(NamedTuple):
    event: Event
    regular: TicketType


SALE_CAPACITY = 10


@pytest.fixture
def sale(db) -> Sale:
    """A published event on direct sale with one 'Regular' type of SALE_CAPACITY tickets at 25.00 USD."""
    event, types = on_sale_event(Regular=SALE_CAPACITY)
    return Sale(event, types["Regular"])


def run_together(*jobs: Callable[[], object]) -> list:
    """Run the callables at the same moment, each in its own thread; their results, or what they raised.

    A barrier releases the threads together so that their transactions
    overlap. Each thread has its own database connection (Django opens one
    per thread) and closes it, so use it under ``django_db(transaction=True)``
    on PostgreSQL: the threads see only committed rows.
    """
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # every outcome is the test's to assert
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def race() -> Callable[..., list]:
    """``race(job, job, ...)``: see ``run_together``."""
    return run_together


def wait_until_blocked_on_a_lock(timeout: float = 10) -> None:
    """Return once a connection to the test database waits on a lock (PostgreSQL): a thread is queued."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        assert time.monotonic() < deadline, "nothing waited on a lock"
        time.sleep(0.01)


@pytest.fixture
def until_blocked() -> Callable[..., None]:
    """``until_blocked()``: see ``wait_until_blocked_on_a_lock``."""
    return wait_until_blocked_on_a_lock


def check_inventory_invariants() -> None:
    """DESIGN.md's invariants: counters match tickets, no oversell, no seat twice, totals add up."""
    from django.db.models import Count, DecimalField, F, Q, Sum
    from django.db.models.functions import Coalesce

    from events.models import TicketType
    from orders.models import Order, Payment
    from tickets.models import Ticket

    for ticket_type in TicketType.objects.annotate(
        reserved=Count("tickets", filter=Q(tickets__status=Ticket.Status.RESERVED)),
        valid=Count("tickets", filter=Q(tickets__status=Ticket.Status.VALID)),
    ):
        assert ticket_type.reserved_count == ticket_type.reserved, f"{ticket_type}: reserved counter drifted"
        assert ticket_type.sold_count == ticket_type.valid, f"{ticket_type}: sold counter drifted"
        assert ticket_type.reserved_count + ticket_type.sold_count <= ticket_type.capacity, (
            f"{ticket_type}: oversold"
        )
    doubly_held = (
        Ticket.objects.filter(seat__isnull=False, status__in=Ticket.ACTIVE_STATUSES)
        .values("seat")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubly_held.exists(), "a seat is held twice"
    wrong_totals = Order.objects.annotate(
        lines_total=Coalesce(
            Sum(F("lines__unit_price") * F("lines__quantity"), output_field=DecimalField()),
            0,
            output_field=DecimalField(),
        )
    ).exclude(total=F("lines_total"))
    assert not wrong_totals.exists(), f"order totals differ from their lines: {list(wrong_totals)}"
    refunding = Payment.objects.filter(kind=Payment.Kind.REFUND, status=Payment.Status.PENDING)
    held = Ticket.objects.filter(refund_pending=True).exclude(order__in=refunding.values("order"))
    assert not held.exists(), f"tickets held at the door with no refund in flight: {list(held)}"


@pytest.fixture
def invariants(db):
    """Check DESIGN.md's inventory invariants after the test."""
    yield check_inventory_invariants
    check_inventory_invariants()


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skipped where it is not installed (never in CI)."""
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("needs Debian's chromium package for browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def offline_page(browser):
    """A page that may only reach this machine; ``page.external_requests`` lists what it tried."""
    context = browser.new_context()
    page = context.new_page()
    page.external_requests = []

    def route(request_route):
        host = request_route.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost"):
            request_route.continue_()
        else:
            page.external_requests.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    yield page
    context.close()
