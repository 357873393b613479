"""/metrics under the 2-worker production server: one scrape sums both workers and a worker process's gauge.

deploy/serve.py (granian) runs with ``PROMETHEUS_MULTIPROC_DIR``,
as in production. Requests are sent in parallel until both workers have
answered some; the per-process files show the split. Bookings through the
API move the reservation counter and the latency histogram by exactly their
number. A separate ``manage.py`` process (as the Dramatiq worker would)
corrupts a counter, sets the inventory-drift gauge and exits; the web scrape
still shows its value.
"""

import glob
import json
import os
import re
import secrets
import signal
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import psycopg
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from ops.tests.test_supervise import ROOT, wait_for
from tixxety.multiprocess_metrics import process_id

pytestmark = pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL")),
    reason="the production layout needs DATABASE_URL and REDIS_URL",
)

PORT = 9517  # lane l14's range
BATCH = 20
HEALTHZ_COUNTER = "django_http_requests_total_by_view_transport_method_total"
BOOKINGS = 12
SETUP = """
from rest_framework_simplejwt.tokens import AccessToken
from accounts.tests.factories import UserFactory
from orders.tests.factories import on_sale_event
event, types = on_sale_event(Regular=100)
print(event.pk, types["Regular"].pk, AccessToken.for_user(UserFactory()))
"""
CORRUPT_AND_MEASURE = """
from django.db.models import F
from analytics.tasks import inventory_drift_measure
from events.models import TicketType
TicketType.objects.filter(pk={pk}).update(reserved_count=F("reserved_count") + 3)
inventory_drift_measure()
TicketType.objects.filter(pk={pk}).update(reserved_count=F("reserved_count") - 3)
"""


def fresh_database(url: str) -> str:
    """A new, empty database beside DATABASE_URL's (``<name>_metrics``): the server writes to it."""
    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/')}_metrics"
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return parsed._replace(path=f"/{name}").geturl()


def get(path: str) -> str:
    """The body, whatever the status (/healthz answers 503 here: no Dramatiq worker runs)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=10) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


def serves() -> bool:
    try:
        return bool(get("/metrics"))
    except OSError:
        return False


def sample(page: str, name: str) -> float:
    """The value of one sample line, ``name`` with its labels exactly as exported."""
    found = re.findall(rf"^{re.escape(name)} (\S+)$", page, re.MULTILINE)
    assert len(found) == 1, (name, page[-3000:])
    return float(found[0])


def book(event_id: int, ticket_type_id: int, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/api/events/{event_id}/book",
        data=json.dumps({"ticket_type": ticket_type_id, "quantity": 1}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (http://127.0.0.1 only)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def healthz_count(page: str) -> float:
    pattern = rf'^{HEALTHZ_COUNTER}\{{[^}}]*view="healthz"[^}}]*\}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, page, re.MULTILINE))


def per_process_healthz(directory) -> list[float]:
    """The healthz count in each web process's own counter file."""
    counts = []
    for path in glob.glob(os.path.join(directory, "counter_*.db")):
        for metric in MultiProcessCollector.merge([path], accumulate=False):
            if metric.name == HEALTHZ_COUNTER.removesuffix("_total"):
                counts.append(sum(s.value for s in metric.samples if s.labels.get("view") == "healthz"))
    return [count for count in counts if count]


@pytest.mark.postgres
def test_one_scrape_counts_every_worker_and_the_worker_processes_gauge(tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    # Files with no values: a process of this host that is gone (the server's start removes it)
    # and another host's (container's), whose process may still run (it stays).
    empty = struct.pack("i", 8) + bytes(4)
    ours = directory / f"counter_{process_id(999_999)}.db"
    ours.write_bytes(empty)
    (directory / "counter_stale-1.db").write_bytes(empty)
    suites_own = ("DJANGO", "DRAMATIQ")
    env = {name: value for name, value in os.environ.items() if not name.startswith(suites_own)}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        PORT=str(PORT),
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        LOG_FORMAT="text",
        DATABASE_URL=fresh_database(os.environ["DATABASE_URL"]),
        RATELIMIT_BOOKING="100000/m",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    created = subprocess.run(
        [*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    event_id, ticket_type_id, token = created.stdout.split()[-3:]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "deploy/serve.py", "--host", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        assert wait_for(serves, timeout=30), (tmp_path / "server.log").read_text()
        assert not ours.exists() and (directory / "counter_stale-1.db").exists()
        start = healthz_count(get("/metrics"))
        sent = 0
        with ThreadPoolExecutor(max_workers=8) as pool:
            # Batches until both workers have answered some (a bounded loop: at most 30 batches).
            while sent < BATCH * 30 and (sent < BATCH * 3 or len(per_process_healthz(directory)) < 2):
                list(pool.map(lambda _: get("/healthz"), range(BATCH)))
                sent += BATCH

            statuses = list(
                pool.map(lambda _: book(int(event_id), int(ticket_type_id), token), range(BOOKINGS))
            )
        assert statuses == [201] * BOOKINGS, statuses

        # A process of its own, as the Dramatiq worker's: it sets the gauge and exits.
        subprocess.run(
            [*manage, "shell", "-c", CORRUPT_AND_MEASURE.format(pk=int(ticket_type_id))],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        page = get("/metrics")
        split = per_process_healthz(directory)
        print(f"healthz counted {healthz_count(page) - start:.0f} of {sent}; per worker {split}")

        assert healthz_count(page) - start == sent
        assert len(split) == 2, split  # both workers answered some: no single worker saw them all
        reserved = sample(page, 'tixxety_reservations_total{source="direct"}')
        timed = sample(page, 'tixxety_booking_seconds_count{endpoint="book"}')
        print(f"bookings {BOOKINGS}: reservations_total {reserved:.0f}, booking_seconds_count {timed:.0f}")
        assert reserved == timed == BOOKINGS
        assert sample(page, "tixxety_inventory_drift") == 3  # the corruption, seen from the web process
        assert sample(page, "tixxety_inventory_recount_timestamp_seconds") > 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
