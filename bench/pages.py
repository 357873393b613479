"""Main-page figures on ``seed_demo --scale 1000`` data: SQL queries, response time, static bytes.

It starts no server; it drives one that is already running (the production
server, gunicorn with DEBUG=0) and reads the same database through Django, so
run it with the server's environment, on a database of its own:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_bench_pages \
        REDIS_URL=redis://127.0.0.1:6379/14 DEBUG=0 SECRET_KEY=... SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 \
        ALLOWED_HOSTS=127.0.0.1,localhost
    .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py seed_demo --scale 1000
    .venv/bin/python manage.py collectstatic --noinput
    .venv/bin/python deploy/serve.py --host 127.0.0.1 --port 9500 &
    .venv/bin/python bench/pages.py --setup
    flock /tmp/tixxety-bench.lock .venv/bin/python bench/pages.py --url http://127.0.0.1:9500

``--setup`` gives the first scale customer a history (``ops/tests/page_data.py``,
the rows the query-budget test uses) and writes ``bench/results/pages.json``
with the pages' URLs. A run signs that customer in through the sign-in form,
then for each page counts the SQL queries of one request in this process
(Django's test client on the same database), sends ``--requests`` GETs one
after the other to the server (after two to warm up) and prints the median
time to the whole answer over loopback, and the bytes of the ``/static/``
files the page's HTML links to, fetched uncompressed from the server.
"""

import argparse
import http.client
import http.cookiejar
import json
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

from flash_sale import RESULTS_DIR, setup_django

STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SETUP_FILE = RESULTS_DIR / "pages.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--setup", action="store_true", help="create the shopper's history and the URL list")
    parser.add_argument("--url", default="http://127.0.0.1:9500", help="the running server")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    args = parser.parse_args(argv)
    setup_django()
    if args.setup:
        return setup()
    return run(args)


def setup() -> int:
    from django.db import transaction

    from ops.tests.page_data import SHOPPER_EMAIL, shopper_with_history

    with transaction.atomic():
        _, pages = shopper_with_history()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    SETUP_FILE.write_text(json.dumps({"email": SHOPPER_EMAIL, **pages._asdict()}, indent=2))
    print(f"wrote {SETUP_FILE}")
    return 0


def run(args) -> int:
    setup_file = json.loads(SETUP_FILE.read_text())
    anonymous = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    signed_in = _signed_in_opener(args.url, setup_file["email"])
    rows = []
    for who, opener, pages in (
        ("anonymous", anonymous, setup_file["anonymous"]),
        ("signed in", signed_in, setup_file["signed_in"]),
    ):
        for name, path in pages.items():
            html = _get(opener, args.url + path)
            for _ in range(2):
                _get(opener, args.url + path)
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                _get(opener, args.url + path)
                times.append((time.perf_counter() - started) * 1000)
            rows.append(
                (
                    who,
                    name,
                    _query_count(path, setup_file["email"] if who == "signed in" else None),
                    statistics.median(times),
                    _static_bytes(args.url, html),
                )
            )
    print(f"{'who':<10} {'page':<18} {'queries':>7} {'median ms':>9} {'static bytes':>12}")
    for who, name, queries, median, static in rows:
        print(f"{who:<10} {name:<18} {queries:>7} {median:>9.1f} {static:>12}")
    with open("/proc/loadavg") as loadavg:
        print(f"load average: {loadavg.read().strip()}")
    return 0


def _signed_in_opener(base: str, email: str):
    from ops.management.commands.seed_demo import DEMO_PASSWORD

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = _get(opener, f"{base}/accounts/login/")
    token = CSRF_FIELD.search(form).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": email, "password": DEMO_PASSWORD}
    )
    request = urllib.request.Request(  # noqa: S310  (the server the operator gave with --url)
        f"{base}/accounts/login/", data=body.encode(), headers={"Referer": f"{base}/accounts/login/"}
    )
    with opener.open(request) as response:
        if response.url.rstrip("/") != base:
            sys.exit(f"sign-in failed: ended on {response.url}")
    return opener


def _get(opener, url: str) -> str:
    with opener.open(url) as response:
        if response.status != http.client.OK:
            sys.exit(f"{url}: HTTP {response.status}")
        return response.read().decode()


def _query_count(path: str, email: str | None) -> int:
    """The SQL queries of one GET, in this process against the server's database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(SERVER_NAME="127.0.0.1")
    if email:
        client.force_login(User.objects.get(email=email))
    client.get(path)  # warm: the first request also loads templates and ContentTypes
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return len(queries)


def _static_bytes(base: str, html: str) -> int:
    total = 0
    for path in sorted(set(STATIC_LINK.findall(html))):
        # No Accept-Encoding: the bytes are uncompressed.
        with urllib.request.urlopen(base + path) as response:  # noqa: S310  (the --url server)
            total += len(response.read())
    return total


if __name__ == "__main__":
    sys.exit(main())
