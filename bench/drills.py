"""Fault drills: the production processes, and what an unlucky operator does to them.

The script starts its own production layout on this machine (deploy/serve.py,
granian with 2 workers, a Dramatiq worker, the scheduler) against a database it
creates and a Redis database it empties, then runs five drills, each bounded
in time and ending with ``manage.py check_inventory`` and a check for partial
orders (an order without its lines or tickets, a total that differs from its
lines, an oversold ticket type):

1. broker unreachable at commit: a second web process whose broker (a Redis
   on a port of its own) is stopped; a booking retried twice with one
   Idempotency-Key must give one order;
2. scheduler lock deleted: the lock key vanishes; the scheduler must take it
   back and the sweep must expire an overdue order within 2 minutes;
3. worker killed with ``kill -9`` while reservations expire: after a restart
   every order must expire;
4. database connections terminated (``pg_terminate_backend``) during 200
   concurrent bookings: only 201, 409 and 503 answers, no partial order;
5. one web worker killed with ``kill -9`` during bookings (a failed
   request is retried once with its Idempotency-Key): no partial order, no
   buyer with two orders.

It prints one line per drill with its figures and OK or FAILED, and exits 1
if any failed. It needs PostgreSQL and Redis (and ``redis-server`` for the
first drill); it runs for about five minutes:

    .venv/bin/python bench/drills.py --port 8100 \\
        --database-url postgres://postgres@127.0.0.1:5432/tixxety_drills --redis-url redis://127.0.0.1:6379/15

Use a database and a Redis database of their own: the database is dropped
and created again (its name must contain "drill"), the Redis database is
flushed. ``--port`` is the web server's; the broker-less web process and its Redis
use the next two ports. Every process it started is stopped at the end.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = [PYTHON, str(ROOT / "manage.py")]
HOLD_SECONDS = 3600  # nothing expires by itself during a drill unless the drill says so
SCHEDULER_LOCK = "dramatiq-scheduler"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stack = Stack(args)
    try:
        stack.prepare()
        stack.start()
        chosen = [DRILLS[number - 1] for number in args.only] if args.only else DRILLS
        results = [drill(stack) for drill in chosen]
    finally:
        stack.stop()
    print("all drills OK" if all(results) else "some drills FAILED")
    return 0 if all(results) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8100, help="the web server's port; the next two too")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/tixxety_drills", help="dropped first"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15", help="flushed first")
    parser.add_argument(
        "--only",
        type=lambda text: [int(number) for number in text.split(",")],
        help="run only these drills, by number (e.g. 4,5)",
    )
    args = parser.parse_args(argv)
    name = urlsplit(args.database_url).path.lstrip("/")
    if "drill" not in name:
        parser.error(f"the database is dropped: its name must contain 'drill' (got {name!r})")
    for url in (args.database_url, args.redis_url):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error(f"drills run on this machine only: {url}")
    return args


# --- the processes ----------------------------------------------------------------------


class Stack:
    """The production processes on this machine, and the Django setup the drills use in-process."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.port = args.port
        self.workdir = Path(tempfile.mkdtemp(prefix="tixxety-drills-"))
        self.env = {
            **os.environ,
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "DRAMATIQ_BROKER_URL": "",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(self.workdir / "static"),
            "RESERVATION_HOLD_SECONDS": str(HOLD_SECONDS),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def prepare(self) -> None:
        """A fresh database and Redis database, migrated, static files collected, Django set up here."""
        import psycopg
        import redis

        parts = urlsplit(self.args.database_url)
        name = parts.path.lstrip("/")
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(self.args.redis_url).flushdb()
        for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([*MANAGE, *command], env=self.env, cwd=ROOT, check=True)  # noqa: S603
        os.environ.update(self.env)
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tixxety.settings")
        import django

        django.setup()
        self.redis = redis.Redis.from_url(self.args.redis_url)

    def start(self) -> None:
        self.start_web("web", self.port, self.env)
        self.start_worker()
        self.start_scheduler()

    def start_web(self, name: str, port: int, env: dict) -> None:
        self.spawn(
            name,
            [
                PYTHON,
                str(ROOT / "deploy" / "serve.py"),
                "--workers",
                "2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env,
        )
        wait_for(
            lambda: http_status(port, "GET", "/healthz") is not None, timeout=30, what=f"{name} to answer"
        )

    def start_worker(self) -> None:
        before = self.redis.zcard("dramatiq:__heartbeats__")
        self.spawn("worker", [*MANAGE, "rundramatiq", "--processes", "1", "--threads", "4"], self.env)
        wait_for(
            lambda: self.redis.zcard("dramatiq:__heartbeats__") > before,
            timeout=30,
            what="the worker to start",
        )

    def start_scheduler(self) -> None:
        self.spawn("scheduler", [*MANAGE, "crontab"], self.env)
        wait_for(lambda: self.redis.exists(SCHEDULER_LOCK), timeout=30, what="the scheduler to take its lock")

    def spawn(self, name: str, command: list[str], env: dict) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115  (closed with the process)
        self.processes[name] = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Signal the whole process group (the web server's and rundramatiq's children too), then reap it."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name)
        print(f"(process logs in {self.workdir})")


# --- what the drills share -------------------------------------------------------------


def wait_for(condition, *, timeout: float, what: str, every: float = 0.1):
    """The first truthy ``condition()`` within ``timeout`` s; raises TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise TimeoutError(f"waited {timeout:g} s for {what}")


def http_status(port: int, method: str, path: str, **kwargs) -> int | None:
    try:
        return request(port, method, path, **kwargs)[0]
    except OSError:
        return None


def request(port: int, method: str, path: str, *, token=None, body=None, key=None, timeout=30):
    """One HTTP request on its own connection: (status, parsed JSON body or None)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, None


def new_sale(tag: str, *, capacity: int, buyers: int):
    """A published event with one ticket type, and ``buyers`` new users with an access token each."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from events.models import Event
    from events.services import event_create, venue_create

    venue = venue_create(name=f"Drill venue {tag}", latitude=0, longitude=0)
    starts_at = timezone.now() + timedelta(days=30)
    event = event_create(
        title=f"Drill {tag}",
        venue=venue,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        status=Event.Status.PUBLISHED,
        sale_mode=Event.SaleMode.DIRECT,
        ticket_types=[{"name": "General", "price": Decimal("25.00"), "capacity": capacity}],
    )
    password = make_password(secrets.token_urlsafe(16))
    users = User.objects.bulk_create(
        User(email=f"drill-{tag}-{n}@drills.local", name=f"Drill buyer {n}", password=password)
        for n in range(buyers)
    )
    tokens = [str(AccessToken.for_user(user)) for user in users]
    return event, event.ticket_types.get(), users, tokens


def book(port: int, event, ticket_type, token: str, key: str | None = None, timeout: float = 30):
    return request(
        port,
        "POST",
        f"/api/events/{event.pk}/book",
        token=token,
        key=key,
        body={"ticket_type": ticket_type.pk, "quantity": 1},
        timeout=timeout,
    )


def integrity() -> list[str]:
    """Partial orders and broken invariants, then ``manage.py check_inventory``'s verdict."""
    from django.db import connections
    from django.db.models import Count, DecimalField, F, OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    from events.models import TicketType
    from orders.models import Order, OrderLine
    from tickets.models import Ticket

    connections.close_all()  # a drill may have terminated this process's connection too
    quantity = OrderLine.objects.filter(order=OuterRef("pk")).values("order").annotate(n=Sum("quantity"))
    tickets = Ticket.objects.filter(order=OuterRef("pk")).values("order").annotate(n=Count("id"))
    orders = Order.objects.annotate(
        quantity=Coalesce(Subquery(quantity.values("n")), 0),
        ticket_count=Coalesce(Subquery(tickets.values("n")), 0),
        lines_total=Coalesce(
            Subquery(
                OrderLine.objects.filter(order=OuterRef("pk"))
                .values("order")
                .annotate(total=Sum(F("unit_price") * F("quantity"), output_field=DecimalField()))
                .values("total")
            ),
            0,
            output_field=DecimalField(),
        ),
    )
    problems = []
    if count := orders.filter(quantity=0).count():
        problems.append(f"{count} orders without lines")
    if count := orders.exclude(ticket_count=F("quantity")).count():
        problems.append(f"{count} orders whose tickets differ from their lines")
    if count := orders.exclude(total=F("lines_total")).count():
        problems.append(f"{count} orders whose total differs from their lines")
    if count := TicketType.objects.filter(capacity__lt=F("reserved_count") + F("sold_count")).count():
        problems.append(f"{count} ticket types oversold")
    result = subprocess.run(  # noqa: S603
        [*MANAGE, "check_inventory"], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True
    )
    if result.returncode != 0:
        problems.append("check_inventory: drift")
    return problems


@dataclass
class Line:
    """One drill's printed line: its figures, then OK or FAILED with the reasons."""

    name: str
    figures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def emit(self) -> bool:
        checks = integrity()
        self.problems.extend(checks)
        verdict = "OK" if not self.problems else "FAILED: " + "; ".join(self.problems)
        inventory = (
            "check_inventory: drift" if "check_inventory: drift" in checks else "check_inventory: no drift"
        )
        print(f"{self.name}: {', '.join([*self.figures, inventory])} -> {verdict}", flush=True)
        return not self.problems


def guarded(name: str):
    """Run a drill; an exception (a timeout, a process that would not start) fails only that drill."""

    def decorator(function):
        def run(stack: Stack) -> bool:
            line = Line(name)
            try:
                function(stack, line)
            except Exception as error:
                line.problems.append(f"{type(error).__name__}: {error}")
            return line.emit()

        return run

    return decorator


# --- the drills ------------------------------------------------------------------------


@guarded("broker unreachable at commit")
def drill_broker_down(stack: Stack, line: Line) -> None:
    from orders.models import Order

    broker_port, web_port = stack.port + 2, stack.port + 1
    redis_server = shutil.which("redis-server") or "redis-server"
    subprocess.run(  # noqa: S603
        [redis_server, "--port", str(broker_port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "yes"],
        check=True,
        capture_output=True,
    )
    broker_url = f"redis://127.0.0.1:{broker_port}/0"
    try:
        stack.start_web("web-own-broker", web_port, {**stack.env, "DRAMATIQ_BROKER_URL": broker_url})
        event, ticket_type, (user,), (token,) = new_sale("broker", capacity=10, buyers=1)
        warm, _ = book(web_port, event, ticket_type, token, key="warm-up")
        line.figures.append(f"booking with the broker up {warm}")
        stop_redis(broker_port)
        statuses, order_ids = [], set()
        for _ in range(3):
            status, body = book(web_port, event, ticket_type, token, key="retried-key")
            statuses.append(status)
            if isinstance(body, dict) and "id" in body:
                order_ids.add(body["id"])
        orders = Order.objects.filter(user=user).count() - (1 if warm == 201 else 0)
        line.figures += [f"broker down: 3 tries with one key -> {statuses}", f"{orders} order(s) made"]
        if warm != 201:
            line.problems.append(f"booking with the broker up answered {warm}")
        if statuses != [201, 201, 201] or len(order_ids) != 1:
            line.problems.append("the retries did not all replay the one order")
        if orders != 1:
            line.problems.append(f"{orders} orders for one Idempotency-Key")
    finally:
        stack.kill("web-own-broker")
        stop_redis(broker_port)  # gone already, unless the drill stopped early


@guarded("scheduler lock deleted")
def drill_scheduler_lock(stack: Stack, line: Line) -> None:
    from django.utils import timezone

    from orders.models import Order
    from orders.services import order_reserve

    event, ticket_type, (user,), _ = new_sale("scheduler", capacity=5, buyers=1)
    token = stack.redis.get(SCHEDULER_LOCK)
    stack.redis.delete(SCHEDULER_LOCK)
    deleted = time.monotonic()
    wait_for(
        lambda: stack.redis.get(SCHEDULER_LOCK) not in (None, token),
        timeout=30,
        what="the lock to be taken back",
    )
    line.figures.append(f"lock taken back after {time.monotonic() - deleted:.1f} s")
    # An order whose delayed expiry message is an hour away: only the sweep can expire it now.
    order = order_reserve(user=user, event_id=event.pk, items=[(ticket_type.pk, 2)])
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    overdue = time.monotonic()
    wait_for(
        lambda: Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED,
        timeout=120,
        what="the sweep to expire the overdue order",
        every=1,
    )
    line.figures.append(f"overdue order expired by the sweep after {time.monotonic() - overdue:.0f} s")
    if stack.processes["scheduler"].poll() is not None:
        line.problems.append(f"the scheduler exited with status {stack.processes['scheduler'].returncode}")
    status, body = request(stack.port, "GET", "/healthz")
    line.figures.append(f"/healthz sweep {body['checks']['sweep'] if body else status}")


@guarded("worker killed with kill -9 mid-expiry")
def drill_worker_killed(stack: Stack, line: Line) -> None:
    from django.test import override_settings

    from orders.models import Order
    from orders.services import order_reserve

    count = 600
    event, ticket_type, users, _ = new_sale("worker", capacity=count, buyers=count)
    started = time.monotonic()
    with override_settings(RESERVATION_HOLD_SECONDS=20):
        orders = [order_reserve(user=user, event_id=event.pk, items=[(ticket_type.pk, 1)]) for user in users]
    line.figures.append(f"{count} orders reserved in {time.monotonic() - started:.0f} s with a 20 s hold")
    ids = [order.pk for order in orders]

    def expired() -> int:
        return Order.objects.filter(pk__in=ids, status=Order.Status.EXPIRED).count()

    wait_for(lambda: expired() >= count // 20, timeout=60, what="expiries to begin", every=0.05)
    stack.kill("worker", signal.SIGKILL)
    killed = time.monotonic()
    at_kill = expired()
    time.sleep(2)
    line.figures.append(f"worker killed with {at_kill} expired")
    stack.start_worker()
    wait_for(lambda: expired() == count, timeout=150, what="every order to expire", every=1)
    line.figures.append(f"all {count} expired {time.monotonic() - killed:.0f} s after the kill")


def answer(port: int, event, ticket_type, token: str, key: str, timeout: float = 30) -> str:
    """One booking's answer as "201", "409 sold_out", "503 database_unavailable" or the socket error."""
    try:
        status, body = book(port, event, ticket_type, token, key=key, timeout=timeout)
    except OSError as error:
        return type(error).__name__
    code = body.get("code") if isinstance(body, dict) and status != 201 else None
    return f"{status} {code}" if code else str(status)


def failed(outcome: str) -> bool:
    """A server or connection failure, which a client retries with the same Idempotency-Key."""
    return not outcome[:1].isdigit() or outcome.startswith("5")


def tally(outcomes) -> str:
    return ", ".join(f"{outcome} x{n}" for outcome, n in sorted(Counter(outcomes).items()))


def check_orders_match_answers(line: Line, event, finals: list[str]) -> None:
    """After the retries, every order was answered 201 to its buyer, and no buyer has two."""
    from django.db import connections
    from django.db.models import Count

    from orders.models import Order

    connections.close_all()
    orders = Order.objects.filter(event=event)
    made, told = orders.count(), sum(1 for outcome in finals if outcome == "201")
    line.figures.append(f"{made} orders made, {told} buyers answered 201")
    if doubles := orders.values("user").annotate(n=Count("id")).filter(n__gt=1).count():
        line.problems.append(f"{doubles} buyers with two orders")
    if made != told:
        line.problems.append(f"{made - told} orders whose buyer was never answered 201, even on retry")


@guarded("database connections terminated during 200 concurrent bookings")
def drill_database_terminated(stack: Stack, line: Line) -> None:
    import psycopg

    buyers, capacity = 200, 150
    event, ticket_type, _, tokens = new_sale("terminate", capacity=capacity, buyers=buyers)
    database = urlsplit(stack.args.database_url).path.lstrip("/")
    start = threading.Barrier(buyers + 1)
    done = threading.Event()
    terminated = 0

    def buyer(n: int) -> str:
        start.wait()
        return answer(stack.port, event, ticket_type, tokens[n], key=f"terminate-{n}")

    def terminator() -> None:
        nonlocal terminated
        with psycopg.connect(stack.args.database_url, autocommit=True) as connection:
            start.wait()
            while not done.wait(0.25):
                terminated += connection.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                ).fetchone()[0]

    killer = threading.Thread(target=terminator)
    killer.start()
    with ThreadPoolExecutor(max_workers=buyers) as pool:
        firsts = list(pool.map(buyer, range(buyers)))
    done.set()
    killer.join()
    line.figures += [f"{terminated} connections terminated", f"answers {tally(firsts)}"]
    if terminated == 0:
        line.problems.append("no connection was terminated")
    if unexpected := {o for o in firsts if o.split()[0] not in ("201", "409", "503")}:
        line.problems.append(f"answers other than 201/409/503: {sorted(unexpected)}")
    # The database is back: each buyer who got a 503 retries once with the same key.
    finals = [
        answer(stack.port, event, ticket_type, tokens[n], key=f"terminate-{n}") if failed(first) else first
        for n, first in enumerate(firsts)
    ]
    retried = [final for first, final in zip(firsts, finals, strict=True) if failed(first)]
    line.figures.append(f"{len(retried)} retried with their key: {tally(retried) or 'none'}")
    check_orders_match_answers(line, event, finals)


@guarded("web worker killed during bookings")
def drill_web_worker_killed(stack: Stack, line: Line) -> None:
    buyers = 300
    event, ticket_type, _, tokens = new_sale("web-worker", capacity=buyers, buyers=buyers)
    finished = Counter()
    lock = threading.Lock()

    def buyer(n: int) -> tuple[str, ...]:
        outcome = [answer(stack.port, event, ticket_type, tokens[n], key=f"web-{n}", timeout=20)]
        if failed(outcome[0]):  # retried once, with the same key
            time.sleep(0.5)
            outcome.append(answer(stack.port, event, ticket_type, tokens[n], key=f"web-{n}", timeout=20))
        with lock:
            finished["buyers"] += 1
        return tuple(outcome)

    master = stack.processes["web"].pid
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(buyer, n) for n in range(buyers)]
        wait_for(lambda: finished["buyers"] >= buyers // 3, timeout=60, what="a third of the bookings")
        victim = web_workers(master)[0]
        os.kill(victim, signal.SIGKILL)
        outcomes = [future.result() for future in futures]
    retried = [outcome for outcome in outcomes if len(outcome) > 1]
    line.figures += [
        f"a worker killed after {buyers // 3} of {buyers} bookings",
        f"{len(retried)} retried with their key: {tally(' -> '.join(o) for o in retried) or 'none'}",
    ]
    check_orders_match_answers(line, event, [outcome[-1] for outcome in outcomes])
    if len(web_workers(master)) != 2:
        line.problems.append("the web server did not replace the killed worker")


def stop_redis(port: int) -> None:
    redis_cli = shutil.which("redis-cli") or "redis-cli"
    subprocess.run([redis_cli, "-p", str(port), "shutdown", "nosave"], capture_output=True)  # noqa: S603


def web_workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


DRILLS = [
    drill_broker_down,
    drill_scheduler_lock,
    drill_worker_killed,
    drill_database_terminated,
    drill_web_worker_killed,
]


if __name__ == "__main__":
    sys.exit(main())
