"""Flash-sale benchmark: thousands of buyers race for one ticket type through the booking API.

It starts no server; it drives one that is already running, and talks to the
same database as that server through Django, so run it with the server's
environment (DATABASE_URL, SECRET_KEY, ...). Against the production setup on
PostgreSQL, from the project root:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_bench REDIS_URL=redis://127.0.0.1:6379/5 \
        DEBUG=0 SECRET_KEY=... SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1,localhost
    .venv/bin/python manage.py migrate
    .venv/bin/python deploy/serve.py --host 127.0.0.1 --port 8000 &
    .venv/bin/python bench/flash_sale.py --setup --buyers 6000 --capacity 5000
    .venv/bin/python bench/flash_sale.py --concurrency 32 --ceiling
    .venv/bin/python bench/flash_sale.py --cleanup

Modes:

``--setup``
    Creates N buyers (``bench-<run>-<n>@bench.local``, one shared password
    hash, bulk-inserted), a published direct-sale event with one ticket type
    of capacity C, and a second event whose ticket type never sells out
    (capacity 10,000,000) for the ``--ceiling`` run. Writes
    ``bench/results/run-<run>.json`` with the ids and one access token per
    buyer (valid two hours). Every setup is a fresh, unsold event.

run (the default)
    Reads the newest run file (or ``--file``). First every buyer signs in
    (``GET /api/auth/me``), as buyers do before a sale opens; ``--cold``
    skips that. Then every buyer books one ticket,
    ``--concurrency`` threads each keeping one HTTP connection open. Prints
    the status counts, reservations per second and latency percentiles, then
    checks in the database that the ticket type's ``reserved_count`` equals
    the capacity and the number of its reserved tickets: "INVARIANT OK", or
    "INVARIANT VIOLATED" and exit status 1. A run sells the event out, so
    set up again before the next run.

``--ceiling``
    After the run, runs ``pgbench`` with the reserve service's transaction,
    built from the service's own statements (SELECT the event's ticket types
    with the event and venue, then BEGIN, INSERT order, line and ticket, the
    conditional UPDATE of the ticket type last, COMMIT), on the ceiling
    ticket type at the same concurrency (``--ceiling-clients`` to
    change it; capped to the free connections under ``max_connections``):
    what PostgreSQL alone does on this machine. Prints its tps and the
    app/ceiling ratio, then deletes the rows it inserted. The app also
    parses and authenticates the request, answers with the order and queues
    an expiry message per booking, which pgbench does not.

``--cleanup``
    Deletes the buyers, events, orders and tickets of one run (``--run``,
    default the newest run file) or of every run (``--all``), and the run file.

Use a database and a Redis database of their own: each booking queues a
delayed expiry message (``redis-cli -n 5 flushdb`` afterwards), and holds are
set to a day so that no worker expires a reservation during the check.
"""

import argparse
import http.client
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
TITLE_PREFIX = "Flash sale bench"
EMAIL_DOMAIN = "bench.local"
CEILING_CAPACITY = 10_000_000
TOKEN_LIFETIME = timedelta(hours=2)
PGBENCH_CANDIDATES = ("/usr/lib/postgresql/15/bin/pgbench", "pgbench")
USAGE_EXAMPLE = """\
example (server already running on :8000, same environment):
  %(prog)s --setup --buyers 6000 --capacity 5000
  %(prog)s --concurrency 32 --ceiling
  %(prog)s --cleanup
A run sells the event out: --setup again before the next run."""

# What pgbench writes for one booking, column by column, into the reserve service's own
# INSERT statements (see pgbench_script). The order code is unique and at most 16
# characters; "PB-" marks rows pgbench wrote.
PGBENCH_VALUES = {
    "orders_order": {
        "code": "'PB-' || substr(md5(random()::text), 1, 13)",
        "user_id": ":uid",
        "event_id": ":ev",
        "status": "'{order_reserved}'",
        "source": "'{order_direct}'",
        "total": "25.00",
        "currency": "'USD'",
        "expires_at": "now() + interval '1 day'",
        "created_at": "now()",
        "updated_at": "now()",
        "paid_at": "NULL",
    },
    "orders_orderline": {
        "order_id": ":order_id",
        "ticket_type_id": ":tt",
        "quantity": "1",
        "unit_price": "25.00",
    },
    "tickets_ticket": {
        "order_id": ":order_id",
        "ticket_type_id": ":tt",
        "seat_id": "NULL",
        "holder_name": "'pgbench'",
        "secret": "md5(random()::text) || md5(random()::text)",
        "status": "'{ticket_reserved}'",
        "checked_in_at": "NULL",
        "checked_in_by_id": "NULL",
        "refund_pending": "false",
        "created_at": "now()",
    },
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    if args.setup:
        return setup(args)
    if args.cleanup:
        return cleanup(args)
    return run(args)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Flash-sale benchmark of POST /api/events/{id}/book against a running server.\n"
        "Run it with the server's environment (DATABASE_URL, SECRET_KEY, ...).",
        epilog=USAGE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--setup", action="store_true", help="create buyers, the event and the run file")
    mode.add_argument("--cleanup", action="store_true", help="delete the data of a run (or --all runs)")

    group = parser.add_argument_group("setup")
    group.add_argument(
        "--buyers", type=int, metavar="N", default=6000, help="buyers to create (default 6000)"
    )
    group.add_argument(
        "--capacity", type=int, metavar="C", default=5000, help="tickets on sale (default 5000)"
    )
    group.add_argument("--run", metavar="ID", help="run id (setup: default a timestamp; cleanup: which run)")

    parser.add_argument(
        "--file",
        type=Path,
        metavar="PATH",
        help="run file to write (setup) or read (default: bench/results/run-<run>.json, the newest to read)",
    )

    group = parser.add_argument_group("run")
    group.add_argument("--url", default="http://127.0.0.1:8000", help="server (default %(default)s)")
    group.add_argument(
        "--concurrency", type=int, metavar="N", default=32, help="buyers in flight (default 32)"
    )
    group.add_argument(
        "--timeout", type=float, metavar="S", default=60, help="seconds per request (default 60)"
    )
    group.add_argument(
        "--cold", action="store_true", help="skip the sign-in before the sale: every booking is first contact"
    )
    group.add_argument("--ceiling", action="store_true", help="also measure PostgreSQL alone with pgbench")
    group.add_argument(
        "--ceiling-seconds", type=int, metavar="S", default=20, help="pgbench duration (default 20)"
    )
    group.add_argument(
        "--ceiling-clients",
        type=int,
        metavar="N",
        help="pgbench clients (default --concurrency; max_connections caps it)",
    )

    group = parser.add_argument_group("cleanup")
    group.add_argument("--all", action="store_true", help="delete the data of every bench run")
    args = parser.parse_args(argv)
    if args.buyers < 1 or args.capacity < 1 or args.concurrency < 1:
        parser.error("--buyers, --capacity and --concurrency must be positive")
    return args


def setup_django() -> None:
    """Load the project's settings, so the database is the server's (DATABASE_URL)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tixxety.settings")
    import django

    django.setup()
    if "DATABASE_URL" not in os.environ:
        print(
            "warning: DATABASE_URL is not set: using SQLite, which is not the server's database unless it is"
        )


# --- setup ------------------------------------------------------------------


def setup(args: argparse.Namespace) -> int:
    run_id = args.run or time.strftime("%Y%m%d-%H%M%S")
    if args.buyers <= args.capacity:
        print("warning: no more buyers than tickets: the event will not sell out and the check will fail")
    started = time.perf_counter()
    buyers = create_buyers(run_id, args.buyers)
    sale, ceiling = create_events(run_id, args.capacity)
    data = {
        "run": run_id,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "capacity": args.capacity,
        "event_id": sale.pk,
        "ticket_type_id": sale.ticket_types.get().pk,
        "ceiling": {
            "event_id": ceiling.pk,
            "ticket_type_id": ceiling.ticket_types.get().pk,
            "user_id": buyers[0].pk,
        },
        "tokens": [mint_token(user) for user in buyers],
    }
    path = args.file or RESULTS_DIR / f"run-{run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    print(f"run {run_id}: {len(buyers)} buyers, event {sale.pk}, ticket type {data['ticket_type_id']}")
    print(f"capacity {args.capacity}; ceiling ticket type {data['ceiling']['ticket_type_id']}")
    print(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    return 0


def create_buyers(run_id: str, count: int) -> list:
    """Bulk-insert the buyers with one precomputed hash (hashing 6,000 passwords takes minutes)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    password = make_password(secrets.token_urlsafe(16))
    users = (
        User(email=f"bench-{run_id}-{n}@{EMAIL_DOMAIN}", name=f"Bench buyer {n}", password=password)
        for n in range(1, count + 1)
    )
    return User.objects.bulk_create(users, batch_size=1000)


def create_events(run_id: str, capacity: int) -> tuple:
    """The flash-sale event and the never-sold-out event pgbench uses, through the event service."""
    from django.utils import timezone

    from events.models import Event
    from events.services import event_create, venue_create

    venue = venue_create(name=f"{TITLE_PREFIX} venue {run_id}", latitude=0, longitude=0)
    starts_at = timezone.now() + timedelta(days=30)
    common = {
        "venue": venue,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "status": Event.Status.PUBLISHED,
        "sale_mode": Event.SaleMode.DIRECT,
        "hold_minutes": 24 * 60,
    }
    sale = event_create(
        title=f"{TITLE_PREFIX} {run_id}",
        ticket_types=[{"name": "General admission", "price": Decimal("25.00"), "capacity": capacity}],
        **common,
    )
    ceiling = event_create(
        title=f"{TITLE_PREFIX} {run_id} ceiling",
        ticket_types=[{"name": "pgbench", "price": Decimal("25.00"), "capacity": CEILING_CAPACITY}],
        **common,
    )
    return sale, ceiling


def mint_token(user) -> str:
    """An access token as the server would issue it, long enough for the whole run."""
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=TOKEN_LIFETIME)
    return str(token)


# --- run --------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One booking request: HTTP status (or the exception's name), latency, when it finished."""

    status: int | str
    seconds: float
    finished: float
    body: bytes


def run(args: argparse.Namespace) -> int:
    return 0 if measure(args)["ok"] else 1


def measure(args: argparse.Namespace) -> dict:
    """One run as the CLI does it, printing as it goes; its figures (``bench/run.py`` tabulates them)."""
    path = args.file or newest_run_file()
    data = json.loads(path.read_text())
    print(f"run file {path}: {len(data['tokens'])} buyers, capacity {data['capacity']}")
    warn_if_not_fresh(data)
    if not args.cold:
        sign_in(args.url, data["tokens"], args.concurrency, args.timeout)
    print(f"load before: {load_average()}")
    client_cpu = time.process_time()
    outcomes, elapsed = drive(
        args.url, data["event_id"], data["ticket_type_id"], data["tokens"], args.concurrency, args.timeout
    )
    client_cpu = time.process_time() - client_cpu
    print(f"load after: {load_average()}")
    print(
        f"this client used {client_cpu:.2f} s of CPU ({client_cpu / len(outcomes) * 1000:.2f} ms a request), "
        "on the same machine as the server"
    )
    rate = report(outcomes, elapsed, args.concurrency)
    ok = check_invariant(data["ticket_type_id"], data["capacity"], outcomes)
    latencies = sorted(o.seconds * 1000 for o in outcomes)
    figures = {"rate": rate, "p99_ms": percentile(latencies, 99), "ok": ok, "ceiling_tps": None}
    if args.ceiling:
        clients = args.ceiling_clients or args.concurrency
        tps = measure_ceiling(data["ceiling"], clients, args.ceiling_seconds)
        if tps:
            print(f"app/ceiling: {rate:,.0f} / {tps:,.0f} = {rate / tps:.0%}")
        figures["ceiling_tps"] = tps
    return figures


def newest_run_file() -> Path:
    files = sorted(RESULTS_DIR.glob("run-*.json"), key=lambda p: p.stat().st_mtime)
    if not files:
        sys.exit(f"no run file in {RESULTS_DIR}: run --setup first")
    return files[-1]


def warn_if_not_fresh(data: dict) -> None:
    from events.models import TicketType

    ticket_type = TicketType.objects.get(pk=data["ticket_type_id"])
    if ticket_type.reserved_count or ticket_type.sold_count:
        print(
            f"warning: {ticket_type.reserved_count} already reserved: this run file was used; --setup again"
        )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} CPUs)"


def sign_in(url: str, tokens: list[str], concurrency: int, timeout: float) -> None:
    """Every buyer loads their account before the sale, as a signed-in app does at start.

    It is what a real sale looks like (buyers sign in and wait for the
    opening), and it puts each account in the server's user cache, so the
    run measures booking, not first contact. ``--cold`` skips it.
    """
    path = f"{urlsplit(url).path.rstrip('/')}/api/auth/me"
    outcomes, elapsed = fan_out(url, tokens, concurrency, timeout, lambda token: ("GET", path, b""))
    statuses = Counter(o.status for o in outcomes)
    print(f"signed in {statuses[200]} of {len(tokens)} buyers in {elapsed:.1f} s (GET /api/auth/me each)")
    if statuses[200] != len(tokens):
        print(f"warning: sign-in statuses {dict(statuses)}")


def drive(url: str, event_id: int, ticket_type_id: int, tokens: list[str], concurrency: int, timeout: float):
    """Book one ticket per token from ``concurrency`` threads; return the outcomes and elapsed seconds."""
    path = f"{urlsplit(url).path.rstrip('/')}/api/events/{event_id}/book"
    body = json.dumps({"ticket_type": ticket_type_id, "quantity": 1}).encode()
    return fan_out(url, tokens, concurrency, timeout, lambda token: ("POST", path, body))


def fan_out(url: str, tokens: list[str], concurrency: int, timeout: float, request_for):
    """One request per token (``request_for(token)`` gives method, path, body) from ``concurrency``
    threads, each keeping one HTTP connection; return the outcomes and elapsed seconds."""
    parts = urlsplit(url)
    pending = iter(tokens)
    lock = threading.Lock()
    outcomes: list[Outcome] = []
    # Everyone connects first, then all start at once: a sale opening.
    start = threading.Barrier(concurrency + 1)

    def next_token() -> str | None:
        with lock:
            return next(pending, None)

    def buyer() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        try:
            connection.connect()
        except OSError as exc:
            print(f"cannot connect to {url}: {exc}")
        start.wait()
        while (token := next_token()) is not None:
            outcomes.append(send(connection, token, *request_for(token)))  # list.append is atomic
        connection.close()

    threads = [threading.Thread(target=buyer, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return [shift(o, began) for o in outcomes], elapsed


def send(connection: http.client.HTTPConnection, token: str, method: str, path: str, body: bytes) -> Outcome:
    """One request; a closed connection is reopened by http.client on the next request."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        status, payload = response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        status, payload = type(exc).__name__, str(exc).encode()
    finished = time.perf_counter()
    return Outcome(status, finished - started, finished, payload)


def shift(outcome: Outcome, began: float) -> Outcome:
    """Make ``finished`` relative to the start of the run."""
    return Outcome(outcome.status, outcome.seconds, outcome.finished - began, outcome.body)


def report(outcomes: list[Outcome], elapsed: float, concurrency: int) -> float:
    """Print the figures of a run; return successful reservations per second."""
    statuses = Counter(o.status for o in outcomes)
    created = statuses[201]
    rate = created / elapsed if elapsed else 0.0
    total = len(outcomes)
    print(
        f"concurrency {concurrency}: {total} requests in {elapsed:.2f} s ({total / elapsed:,.0f} requests/s)"
    )
    print(f"201 created: {created}")
    print(f"409 conflict: {statuses[409]}")
    for status, count in sorted(statuses.items(), key=str):
        if status not in (201, 409):
            example = next(o.body for o in outcomes if o.status == status)
            print(f"other {status}: {count}, e.g. {example[:300]!r}")
    print(f"reservations/s: {rate:,.1f} (201s / elapsed)")
    if created:
        sold_out_at = max(o.finished for o in outcomes if o.status == 201)
        print(f"sold out after {sold_out_at:.2f} s: {created / sold_out_at:,.1f} reservations/s until then")
    latencies = sorted(o.seconds * 1000 for o in outcomes)
    quantiles = ", ".join(f"p{p} {percentile(latencies, p):.1f}" for p in (50, 95, 99))
    print(f"latency ms: {quantiles}, max {latencies[-1]:.1f}" if latencies else "no requests")
    for status in (201, 409):
        subset = sorted(o.seconds * 1000 for o in outcomes if o.status == status)
        if subset:
            quantiles = ", ".join(f"p{p} {percentile(subset, p):.1f}" for p in (50, 95, 99))
            print(f"  {status} latency ms: {quantiles}")
    return rate


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def check_invariant(ticket_type_id: int, capacity: int, outcomes: list[Outcome]) -> bool:
    """Sold out exactly: reserved_count == capacity == reserved tickets of the type."""
    from events.models import TicketType
    from tickets.models import Ticket

    ticket_type = TicketType.objects.get(pk=ticket_type_id)
    tickets = Ticket.objects.filter(ticket_type_id=ticket_type_id, status=Ticket.Status.RESERVED).count()
    created = sum(o.status == 201 for o in outcomes)
    print(
        f"capacity {capacity}, reserved_count {ticket_type.reserved_count}, "
        f"sold_count {ticket_type.sold_count}, reserved tickets {tickets}, 201 responses {created}"
    )
    if created != ticket_type.reserved_count:
        print("note: 201 responses differ from reserved_count (requests lost to errors or a reused run file)")
    ok = ticket_type.reserved_count == capacity == tickets
    print("INVARIANT OK" if ok else "INVARIANT VIOLATED")
    return ok


# --- ceiling ----------------------------------------------------------------


def measure_ceiling(ceiling: dict, clients: int, seconds: int) -> float | None:
    """Run pgbench on the ceiling ticket type, print and return its tps, then delete what it wrote."""
    clients = cap_clients(clients)
    print(f"pgbench: {clients} clients, {seconds} s, the reserve transaction; load {load_average()}")
    try:
        output = run_pgbench(ceiling, clients, seconds)
    finally:
        deleted = delete_ceiling_rows(ceiling)
        print(f"deleted the {deleted} orders pgbench inserted")
    print(f"load after pgbench: {load_average()}")
    if output is None:
        return None
    tps = re.search(r"^tps = ([\d.]+)", output, re.MULTILINE)
    for line in output.splitlines():
        if line.startswith(("number of transactions actually", "number of failed", "latency average")):
            print(f"  {line}")
    if not tps:
        print(output)
        return None
    print(f"pgbench ceiling: {float(tps.group(1)):,.0f} tps")
    return float(tps.group(1))


def cap_clients(clients: int) -> int:
    """Leave a few connections free: pgbench cannot start more clients than the server accepts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
        free = cursor.fetchone()[0] - 5
    if clients > free:
        print(f"pgbench: only {free} connections free (max_connections): {free} clients instead of {clients}")
    return max(1, min(clients, free))


def pgbench_script() -> str:
    """The reserve service's transaction for one ticket, built from its own statements.

    The sale read and the claim are ``orders.services.reservation_sql``'s
    SQL, the inserts the fast-insert helper's, with pgbench variables and
    ``PGBENCH_VALUES`` in place of the parameters, so the ceiling follows
    the service when either changes.
    """
    from orders.models import Order, OrderLine
    from orders.services import reservation_sql
    from tickets.models import Ticket
    from tixxety.fast_insert import insert_sql

    statuses = {
        "order_reserved": Order.Status.RESERVED,
        "order_direct": Order.Source.DIRECT,
        "ticket_reserved": Ticket.Status.RESERVED,
    }

    def insert(model, returning: str = ";") -> str:
        sql, fields = insert_sql(model, 1)
        values = PGBENCH_VALUES[model._meta.db_table]
        if missing := {f.attname for f in fields} - set(values):
            sys.exit(f"bench/flash_sale.py: PGBENCH_VALUES lacks {model._meta.db_table} {sorted(missing)}")
        return bind(sql, [values[f.attname].format(**statuses) for f in fields]) + returning

    return "\n".join([
        bind(reservation_sql.select_sql(), [":ev"]) + ";",
        "BEGIN;",
        insert(Order, returning=" \\gset order_"),  # pgbench keeps the new id as :order_id
        insert(OrderLine),
        insert(Ticket),
        bind(reservation_sql.claim_sql(), ["1", ":tt", "1"]) + ";",
        "COMMIT;",
        "",
    ])  # fmt: skip


def bind(sql: str, values: list[str]) -> str:
    """Put ``values`` (SQL text) in place of the statement's ``%s`` parameters, in order."""
    parts = sql.split("%s")
    if len(parts) != len(values) + 1:
        raise ValueError(f"{len(values)} values for {len(parts) - 1} parameters: {sql}")
    return "".join(part + value for part, value in zip(parts, [*values, ""], strict=True))


def run_pgbench(ceiling: dict, clients: int, seconds: int) -> str | None:
    """pgbench's stdout, or None (its error printed) when it failed."""
    program = next((p for p in map(shutil.which, PGBENCH_CANDIDATES) if p), None)
    if program is None:
        print("pgbench not found (apt-get install postgresql-client)")
        return None
    connection, env = pgbench_connection()
    variables = {"ev": ceiling["event_id"], "tt": ceiling["ticket_type_id"], "uid": ceiling["user_id"]}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "reserve.sql"
        script.write_text(pgbench_script())
        command = [
            program, "-n", "-c", str(clients), "-j", str(min(2, clients)), "-T", str(seconds),
            "-f", str(script), *(f"-D{k}={v}" for k, v in variables.items()), *connection,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        print(f"pgbench failed ({result.returncode}):\n{result.stderr[-2000:]}")
        return None
    return result.stdout


def pgbench_connection() -> tuple[list[str], dict]:
    """Host, port, user and database name from DATABASE_URL; the password through the environment."""
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("--ceiling needs PostgreSQL: set DATABASE_URL to the server's postgres:// URL")
    url = urlsplit(os.environ["DATABASE_URL"])
    args = ["-h", url.hostname or "localhost", "-p", str(url.port or 5432)]
    if url.username:
        args += ["-U", unquote(url.username)]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = unquote(url.password)
    return [*args, unquote(url.path.lstrip("/"))], env


def delete_ceiling_rows(ceiling: dict) -> int:
    """Delete pgbench's orders, lines and tickets and reset the counter, so they pollute nothing.

    Plain SQL: pgbench writes tens of thousands of rows, and they have no
    payments or other rows that Django's delete collector would need to visit.
    """
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM tickets_ticket WHERE ticket_type_id = %s", [ceiling["ticket_type_id"]])
        cursor.execute("DELETE FROM orders_orderline WHERE ticket_type_id = %s", [ceiling["ticket_type_id"]])
        cursor.execute("DELETE FROM orders_order WHERE event_id = %s", [ceiling["event_id"]])
        deleted = cursor.rowcount
        cursor.execute(
            "UPDATE events_tickettype SET reserved_count = 0 WHERE id = %s", [ceiling["ticket_type_id"]]
        )
    return deleted


# --- cleanup ----------------------------------------------------------------


def cleanup(args: argparse.Namespace) -> int:
    from django.db import transaction
    from django.db.models import Q

    from accounts.models import User
    from events.models import Event, Venue
    from orders.models import Order

    if args.all:
        events = Event.objects.filter(title__startswith=f"{TITLE_PREFIX} ")
        venues = Venue.objects.filter(name__startswith=f"{TITLE_PREFIX} venue ")
        users = User.objects.filter(email__startswith="bench-", email__endswith=f"@{EMAIL_DOMAIN}")
        files = list(RESULTS_DIR.glob("run-*.json"))
    else:
        file = args.file or (RESULTS_DIR / f"run-{args.run}.json" if args.run else newest_run_file())
        run_id = args.run or json.loads(file.read_text())["run"]
        title = f"{TITLE_PREFIX} {run_id}"
        events = Event.objects.filter(Q(title=title) | Q(title=f"{title} ceiling"))
        venues = Venue.objects.filter(name=f"{TITLE_PREFIX} venue {run_id}")
        users = User.objects.filter(email__startswith=f"bench-{run_id}-", email__endswith=f"@{EMAIL_DOMAIN}")
        files = [file] if file.exists() else []
    deleted = Counter()
    with transaction.atomic():
        # Orders protect their users and events, so they go first.
        for queryset in (Order.objects.filter(event__in=events), events, venues, users):
            deleted.update(queryset.delete()[1])
    for file in files:
        file.unlink()
    print("deleted: " + (", ".join(f"{n} {label}" for label, n in sorted(deleted.items()) if n) or "nothing"))
    print(f"removed {len(files)} run file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
