"""Analytics benchmark: how long the reports and the admin dashboard take, cold and cached.

Run it on the data of ``bench/analytics_data.py`` (seed_demo --scale 1000 plus
50,000 orders), with that database and a Redis database of its own:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_l8_bench REDIS_URL=redis://127.0.0.1:6379/9
    .venv/bin/python manage.py collectstatic --noinput   # DEBUG is off here: the admin needs its manifest
    .venv/bin/python bench/analytics.py --runs 9

Requests go through Django's test client in this process: URL routing, the
middleware, authentication as the first admin (a bearer token for the API,
a session for the admin), the view,
serialization and rendering, but no HTTP server or network; DEBUG is off. *Cold* means a
cache miss (the report version is bumped before each run), not cold
PostgreSQL buffers: the first run warms those and the median is printed.
*Cached* is the same request answered from Redis. Queries are counted for
the request (session and user included on admin pages) and for the
summary alone. The machine is shared: the load average is printed before and
after, and the CPU this process spent per request beside the wall time.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TARGETS = {  # the targets, in milliseconds and queries
    "summary cold": 300,
    "summary cached": 10,
    "dashboard cold": 500,
}


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tixxety.settings")
    # Production settings (DEBUG off) in this process, over plain HTTP.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def timed(client, path: str, *, cold: bool, runs: int) -> tuple[list[float], list[float], int]:
    """Wall and CPU milliseconds of each of ``runs`` requests, then the queries of one more (not timed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.cache import bump_report_version

    def get():
        if cold:
            bump_report_version()
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        elapsed = ((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.content[:200]!r}")
        return elapsed

    if not cold:
        get()  # fill the cache
    wall, cpu = zip(*(get() for _ in range(runs)), strict=True)
    with CaptureQueriesContext(connection) as context:
        get()
    return list(wall), list(cpu), len(context.captured_queries)


def report_queries() -> int:
    """Queries of computing the summary alone (no request, no cache)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.reports import compute_summary

    with CaptureQueriesContext(connection) as context:
        compute_summary({})
    return len(context.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be between 1 and 100")
    setup_django()

    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from events.models import Event
    from orders.models import Order
    from tickets.models import Ticket

    admin = User.objects.filter(role=User.Role.ADMIN).order_by("id").first()
    if admin is None:
        raise SystemExit("no admin: run seed_demo first")
    # The API as apps call it (a bearer token; the user row comes from the cache), the admin by session.
    api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(admin)}")
    site = Client(HTTP_HOST="localhost")
    site.force_login(admin)
    print(
        f"data: {Event.objects.count()} events, {User.objects.count()} users, "
        f"{Order.objects.count()} orders, {Ticket.objects.count()} tickets; "
        f"{args.runs} runs, median (min-max)"
    )
    print(f"summary report alone: {report_queries()} queries; load average {_load()}")
    cases = [
        ("summary cold", "/api/analytics/summary", True),
        ("summary cached", "/api/analytics/summary", False),
        ("dashboard cold", "/admin/", True),
        ("dashboard cached", "/admin/", False),
        ("sales 30 days cold", "/api/analytics/sales", True),
        (
            "sales 366 days by week cold",
            "/api/analytics/sales?from=2025-12-01&to=2026-12-01&interval=week",
            True,
        ),
        ("revenue (2,030 rows) cold", "/api/analytics/revenue", True),
        ("users 30 days cold", "/api/analytics/users", True),
        ("tickets (2,030 rows) cold", "/api/analytics/tickets", True),
        ("homepage stats cold", "/api/stats/homepage", True),
    ]
    failed = False
    for label, path, cold in cases:
        client = site if path.startswith("/admin/") else api
        times, cpu, queries = timed(client, path, cold=cold, runs=args.runs)
        median = statistics.median(times)
        target = TARGETS.get(label)
        verdict = ""
        if target is not None:
            verdict = f"  target < {target} ms: {'OK' if median < target else 'MISSED'}"
            failed |= median >= target
        print(
            f"{label:30} {median:8.1f} ms ({min(times):.1f}-{max(times):.1f}), "
            f"CPU here {statistics.median(cpu):6.1f} ms, {queries:2d} queries in the request{verdict}"
        )
    print(f"load average {_load()} (2 cores)")
    return 1 if failed else 0


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
