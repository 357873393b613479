"""Check-in benchmark: door scanners check distinct tickets in through the API, all at once.

Like ``flash_sale.py`` it starts no server: it drives a running one and
reads the same database through Django, so run it with the server's
environment, on a database of its own:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_bench_checkin \
        REDIS_URL=redis://127.0.0.1:6379/14 DEBUG=0 SECRET_KEY=... SECURE_SSL_REDIRECT=0 \
        ALLOWED_HOSTS=127.0.0.1,localhost
    .venv/bin/python manage.py migrate
    .venv/bin/python deploy/serve.py --host 127.0.0.1 --port 9400 &
    .venv/bin/python bench/checkin.py --setup --tickets 5000
    .venv/bin/python bench/checkin.py --url http://127.0.0.1:9400 --concurrency 32
    .venv/bin/python bench/checkin.py --url http://127.0.0.1:9400 --concurrency 32 --duplicates 4
    .venv/bin/python bench/checkin.py --cleanup

``--setup`` writes a published event with N valid (paid) tickets in one order
and a staff account, and ``bench/results/checkin-<run>.json`` with the secrets
and a staff access token (two hours). A run POSTs
``/api/tickets/checkin/<secret>?event=<id>`` once per ticket from
``--concurrency`` threads, each keeping one connection, and prints the status
counts, requests per second and latency percentiles; then it checks in the
database that exactly the tickets answered 200 are checked in ("CHECK OK",
or "CHECK FAILED" and exit status 1). ``--duplicates K`` scans every ticket K
times, the copies sent together from different threads (as when two doors see the
same code), so exactly one scan per ticket is a 200 and the rest are 409
``already_checked_in``. ``--rate R`` paces each scanner at R scans a second
(a door scans a code every second or two) instead of sending the next scan as
soon as the answer comes, and counts latency from the scheduled moment;
``--limit N`` scans only the first N tickets. Each run checks the tickets in: set up again before the
next one (or use ``--reset`` to clear the run's check-ins first).
"""

import argparse
import http.client
import json
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from flash_sale import EMAIL_DOMAIN, RESULTS_DIR, Outcome, mint_token, percentile, send, setup_django

TITLE_PREFIX = "Check-in bench"
PRICE = Decimal("25.00")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    if args.setup:
        return setup(args)
    if args.cleanup:
        return cleanup(args)
    return run(args)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--setup", action="store_true", help="create the event, tickets and staff account")
    mode.add_argument("--cleanup", action="store_true", help="delete the newest run's rows and file")
    parser.add_argument("--tickets", type=int, default=5000, help="tickets to create (--setup)")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duplicates", type=int, default=1, help="scans per ticket (1: distinct only)")
    parser.add_argument(
        "--rate",
        type=float,
        help="scans per second per scanner, paced (default: each scanner sends as soon as it has an answer)",
    )
    parser.add_argument("--limit", type=int, help="scan only the first N tickets of the run")
    parser.add_argument("--no-scope", action="store_true", help="omit ?event= (no wrong-event check)")
    parser.add_argument("--reset", action="store_true", help="clear the run's check-ins before the run")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--file", type=Path, help="run file (default: the newest checkin-*.json)")
    return parser.parse_args(argv)


# --- setup ------------------------------------------------------------------


def setup(args: argparse.Namespace) -> int:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from events.models import Event
    from events.services import event_create, venue_create
    from orders.models import Order, OrderLine
    from tickets.models import Ticket

    run_id = time.strftime("%Y%m%d-%H%M%S")
    started = time.perf_counter()
    password = make_password(None)  # unusable: the bench signs in with a minted token
    with transaction.atomic():
        staff = User.objects.create(
            email=f"checkin-{run_id}-staff@{EMAIL_DOMAIN}",
            name="Bench door",
            role=User.Role.STAFF,
            password=password,
        )
        buyer = User.objects.create(
            email=f"checkin-{run_id}-buyer@{EMAIL_DOMAIN}", name="Bench buyer", password=password
        )
        venue = venue_create(name=f"{TITLE_PREFIX} venue {run_id}", latitude=0, longitude=0)
        starts_at = timezone.now() + timedelta(hours=1)
        event = event_create(
            title=f"{TITLE_PREFIX} {run_id}",
            venue=venue,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            status=Event.Status.PUBLISHED,
            ticket_types=[{"name": "General admission", "price": PRICE, "capacity": args.tickets}],
        )
        ticket_type = event.ticket_types.get()
        order = Order.objects.create(
            user=buyer, event=event, status=Order.Status.PAID, total=PRICE * args.tickets,
            currency=ticket_type.currency, paid_at=timezone.now(),
        )  # fmt: skip
        OrderLine.objects.create(
            order=order, ticket_type=ticket_type, quantity=args.tickets, unit_price=PRICE
        )
        tickets = Ticket.objects.bulk_create(
            (
                Ticket(
                    order=order, ticket_type=ticket_type, status=Ticket.Status.VALID, holder_name=f"Guest {n}"
                )
                for n in range(args.tickets)
            ),
            batch_size=1000,
        )
        ticket_type.sold_count = args.tickets
        ticket_type.save(update_fields=["sold_count"])
    data = {
        "run": run_id,
        "event_id": event.pk,
        "order_id": order.pk,
        "user_ids": [staff.pk, buyer.pk],
        "venue_id": venue.pk,
        "token": mint_token(staff),
        "secrets": [ticket.secret for ticket in tickets],
    }
    path = RESULTS_DIR / f"checkin-{run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    print(f"run {run_id}: event {event.pk}, {args.tickets} valid tickets; wrote {path}")
    print(f"in {time.perf_counter() - started:.1f} s")
    return 0


# --- run --------------------------------------------------------------------


def run_file(args: argparse.Namespace) -> Path:
    if args.file:
        return args.file
    files = sorted(RESULTS_DIR.glob("checkin-*.json"))
    if not files:
        sys.exit("no run file: --setup first")
    return files[-1]


def run(args: argparse.Namespace) -> int:
    return 0 if measure(args)["ok"] else 1


def measure(args: argparse.Namespace) -> dict:
    """One run as the CLI does it, printing as it goes; its figures (``bench/run.py`` tabulates them)."""
    from tickets.models import Ticket

    data = json.loads(run_file(args).read_text())
    data["secrets"] = data["secrets"][: args.limit]
    tickets = Ticket.objects.filter(order_id=data["order_id"])
    if args.reset:
        tickets.update(checked_in_at=None, checked_in_by=None)
    elif tickets.exclude(checked_in_at=None).exists():
        sys.exit("this run's tickets are already checked in: --setup again, or --reset")
    query = "" if args.no_scope else f"?event={data['event_id']}"
    # The copies of a code are next to each other in the queue: different threads send them at once.
    scans = [secret for secret in data["secrets"] for _ in range(args.duplicates)]
    paths = [f"/api/tickets/checkin/{secret}{query}" for secret in scans]
    outcomes, elapsed = fan_out(args.url, data["token"], paths, args.concurrency, args.timeout, args.rate)
    report(outcomes, elapsed, args)
    ok = check(tickets, outcomes, len(data["secrets"]), args.duplicates)
    latencies = sorted(o.seconds * 1000 for _, o in outcomes)
    return {"rate": len(outcomes) / elapsed, "p99_ms": percentile(latencies, 99), "ok": ok}


def fan_out(url: str, token: str, paths: list[str], concurrency: int, timeout: float, rate: float | None):
    """POST each path once from ``concurrency`` threads, each keeping one connection; outcomes and seconds.

    With ``rate``, each scanner sends on a schedule (``rate`` a second, the
    scanners' phases spread evenly) whatever the answers take, and latency
    counts from the scheduled moment, so a slow answer that delays the next
    scan is counted in full (no coordinated omission).
    """
    parts = urlsplit(url)
    pending = iter(paths)
    lock = threading.Lock()
    outcomes: list[tuple[str, Outcome]] = []
    start = threading.Barrier(concurrency + 1)
    began = 0.0

    def next_path() -> str | None:
        with lock:
            return next(pending, None)

    def scanner(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        start.wait()
        sent = 0
        while (path := next_path()) is not None:
            scheduled = None
            if rate:
                scheduled = began + (index / concurrency + sent) / rate
                time.sleep(max(0.0, scheduled - time.perf_counter()))
            outcome = send(connection, token, "POST", path, b"")
            if scheduled is not None:
                outcome = Outcome(
                    outcome.status, outcome.finished - scheduled, outcome.finished, outcome.body
                )
            outcomes.append((path, outcome))
            sent += 1
        connection.close()

    threads = [threading.Thread(target=scanner, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    return outcomes, time.perf_counter() - began


def report(outcomes: list[tuple[str, Outcome]], elapsed: float, args: argparse.Namespace) -> None:
    statuses = Counter(o.status for _, o in outcomes)
    total = len(outcomes)
    scope = "without ?event=" if args.no_scope else "with ?event="
    pace = f"{args.rate:g} scans/s per scanner" if args.rate else "closed loop (next scan on each answer)"
    print(f"{args.concurrency} scanners, {pace}, {args.duplicates} scan(s) per ticket, {scope}")
    print(f"{total} requests in {elapsed:.2f} s: {total / elapsed:,.0f} requests/s")
    for status, count in sorted(statuses.items(), key=str):
        print(f"  {status}: {count}")
    for status in statuses:
        if status not in (200, 409):
            example = next(o.body for _, o in outcomes if o.status == status)
            print(f"  e.g. {status}: {example[:300]!r}")
    latencies = sorted(o.seconds * 1000 for _, o in outcomes)
    print(
        "latency ms: "
        + ", ".join(f"p{p} {percentile(latencies, p):.1f}" for p in (50, 95, 99))
        + f", max {latencies[-1]:.1f}"
    )
    for status in (200, 409):
        subset = sorted(o.seconds * 1000 for _, o in outcomes if o.status == status)
        if subset:
            print(f"  {status} ms: " + ", ".join(f"p{p} {percentile(subset, p):.1f}" for p in (50, 95, 99)))


def check(tickets, outcomes: list[tuple[str, Outcome]], distinct: int, duplicates: int) -> bool:
    """Exactly one 200 per ticket, every other scan a 409 already_checked_in, and the rows agree."""
    admitted = Counter(path for path, o in outcomes if o.status == 200)
    refused = [o for _, o in outcomes if o.status == 409]
    checked_in = tickets.exclude(checked_in_at=None).count()
    problems = []
    if len(admitted) != distinct or any(n != 1 for n in admitted.values()):
        problems.append(f"{sum(admitted.values())} admitted for {distinct} tickets")
    if len(refused) != distinct * (duplicates - 1):
        problems.append(f"{len(refused)} refused, expected {distinct * (duplicates - 1)}")
    if any(json.loads(o.body)["code"] != "already_checked_in" for o in refused):
        problems.append("a refusal other than already_checked_in")
    if checked_in != distinct:
        problems.append(f"{checked_in} tickets checked in in the database, expected {distinct}")
    print("CHECK OK: one check-in per ticket" if not problems else "CHECK FAILED: " + "; ".join(problems))
    return not problems


# --- cleanup ----------------------------------------------------------------


def cleanup(args: argparse.Namespace) -> int:
    from django.db import transaction

    from accounts.models import User
    from events.models import Event, Venue
    from orders.models import Order

    path = run_file(args)
    data = json.loads(path.read_text())
    with transaction.atomic():
        Order.objects.filter(pk=data["order_id"]).delete()  # lines and tickets cascade
        Event.objects.filter(pk=data["event_id"]).delete()
        Venue.objects.filter(pk=data["venue_id"]).delete()
        User.objects.filter(pk__in=data["user_ids"]).delete()
    path.unlink()
    print(f"deleted run {data['run']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
