"""Priority-queue benchmark: intake against direct booking in the same run, then allocation.

Like ``flash_sale.py`` (whose setup and HTTP helpers it uses) it drives a
running server and reads its database through Django, so run it with the
server's environment:

    .venv/bin/python deploy/serve.py --host 127.0.0.1 --port 9300 &
    .venv/bin/python bench/queue_sale.py --url http://127.0.0.1:9300 --buyers 6000 --vip 1000 --regular 4000

One run, on fresh data it creates (buyers, a direct-sale event of VIP +
Regular capacity, a queue-mode event with a VIP type of priority 10 and a
Regular type of priority 0) and deletes afterwards:

1. every buyer signs in (``GET /api/auth/me``), as in ``flash_sale.py``;
2. **direct**: every buyer books one ticket of the direct event
   (``POST /api/events/{id}/book``) at ``--concurrency``: 201s per second;
3. **intake**: every buyer sends one ticket request to the queue event
   (``POST /api/events/{id}/ticket-requests``; the first ``--vip-share`` of
   them VIP, the rest Regular), answered 202: 202s per second and p99. No
   worker should run meanwhile, so intake has the machine to itself (the
   debounced enqueue messages wait in the broker);
4. **allocation**: this process decides the whole queue with
   ``ticket_requests_process(batch=--batch)``, one worker process, timed;
   then checks that exactly the capacity was reserved, the rest rejected,
   each priority served first come first served, orders made in queue order
   (VIP first), and the counters equal the tickets.

Prints the figures and the intake/direct ratio. Exit status 1 when a check fails.
"""

import argparse
import json
import sys
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import flash_sale

TITLE_PREFIX = f"{flash_sale.TITLE_PREFIX} queue"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--buyers", type=int, default=6000)
    parser.add_argument("--vip", type=int, default=1000, help="VIP capacity (default 1000)")
    parser.add_argument("--regular", type=int, default=4000, help="Regular capacity (default 4000)")
    parser.add_argument(
        "--vip-share", type=float, default=0.2, help="share of buyers asking for VIP (default 0.2)"
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--batch", type=int, help="allocation batch size (default the service's)")
    parser.add_argument("--keep", action="store_true", help="keep the run's data")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    flash_sale.setup_django()
    return 0 if measure_run(args)["ok"] else 1


def measure_run(args) -> dict:
    """One run on fresh data (deleted after unless ``--keep``); its figures, for ``bench/run.py``."""
    run_id = "q" + time.strftime("%Y%m%d-%H%M%S")
    buyers = flash_sale.create_buyers(run_id, args.buyers)
    tokens = [flash_sale.mint_token(user) for user in buyers]
    direct, queue = create_events(run_id, args.vip, args.regular)
    try:
        return measure(args, tokens, direct, queue)
    finally:
        if not args.keep:
            cleanup(run_id)


def measure(args, tokens, direct, queue) -> dict:
    flash_sale.sign_in(args.url, tokens, args.concurrency, args.timeout)
    print(f"load before: {flash_sale.load_average()}")

    direct_types = {t.name: t.pk for t in direct.ticket_types.all()}
    body = json.dumps({"ticket_type": direct_types["Regular"], "quantity": 1}).encode()
    path = f"{urlsplit(args.url).path.rstrip('/')}/api/events/{direct.pk}/book"
    outcomes, elapsed = flash_sale.fan_out(
        args.url, tokens, args.concurrency, args.timeout, lambda token: ("POST", path, body)
    )
    direct_rate = summarize("direct booking", outcomes, elapsed, 201)

    queue_types = {t.name: t.pk for t in queue.ticket_types.all()}
    vip_tokens = set(tokens[: round(len(tokens) * args.vip_share)])
    bodies = {
        name: json.dumps({"ticket_type": pk, "quantity": 1}).encode() for name, pk in queue_types.items()
    }
    path = f"{urlsplit(args.url).path.rstrip('/')}/api/events/{queue.pk}/ticket-requests"
    outcomes, elapsed = flash_sale.fan_out(
        args.url,
        tokens,
        args.concurrency,
        args.timeout,
        lambda token: ("POST", path, bodies["VIP" if token in vip_tokens else "Regular"]),
    )
    intake_rate = summarize("queue intake", outcomes, elapsed, 202)
    intake_p99 = flash_sale.percentile(sorted(o.seconds * 1000 for o in outcomes), 99)
    if direct_rate:
        print(f"intake/direct: {intake_rate:,.0f} / {direct_rate:,.0f} = {intake_rate / direct_rate:.2f}x")
    print(f"load after: {flash_sale.load_average()}")
    figures = {"direct_rate": direct_rate, "intake_rate": intake_rate, "intake_p99_ms": intake_p99}
    return figures | allocate(args, queue)


def summarize(label: str, outcomes, elapsed: float, success: int) -> float:
    statuses = Counter(o.status for o in outcomes)
    rate = statuses[success] / elapsed if elapsed else 0.0
    latencies = sorted(o.seconds * 1000 for o in outcomes)
    quantiles = ", ".join(f"p{p} {flash_sale.percentile(latencies, p):.1f}" for p in (50, 95, 99))
    print(f"{label}: {dict(statuses)} in {elapsed:.2f} s: {rate:,.1f} {success}s/s; latency ms {quantiles}")
    for status in statuses:
        if status not in (success, 409):
            print(f"  e.g. {status}: {next(o.body for o in outcomes if o.status == status)[:300]!r}")
    return rate


def allocate(args, queue) -> dict:
    from django.db import connection

    from orders.models import TicketRequest
    from orders.services.queue import DEFAULT_BATCH, ticket_requests_process

    batch = args.batch or DEFAULT_BATCH
    queued = TicketRequest.objects.filter(event=queue, status="queued").count()
    started = time.perf_counter()
    decided = ticket_requests_process(event_id=queue.pk, batch=batch)
    seconds = time.perf_counter() - started
    connection.close()
    print(
        f"allocation (batch {batch}): {queued} requests decided in {seconds:.2f} s: "
        f"{decided.fulfilled} fulfilled, {decided.rejected} rejected; "
        f"{decided.fulfilled / seconds:,.0f} tickets/s"
    )
    ok = check(queue, args.vip + args.regular)
    return {"allocation_rate": decided.fulfilled / seconds, "allocation_seconds": seconds, "ok": ok}


def check(queue, capacity: int) -> bool:
    from conftest import check_inventory_invariants
    from orders.models import TicketRequest

    requests = list(
        TicketRequest.objects.filter(event=queue)
        .order_by("-priority", "id")
        .values_list("priority", "status", "order_id")
    )
    problems = []
    statuses = Counter(status for _, status, _ in requests)
    if statuses["fulfilled"] != capacity or statuses["queued"]:
        problems.append(f"statuses {dict(statuses)}, capacity {capacity}")
    for priority in sorted({p for p, _, _ in requests}, reverse=True):
        outcome = [status for p, status, _ in requests if p == priority]
        if outcome != sorted(outcome):  # "fulfilled" < "rejected": a fulfilled prefix, then rejections
            problems.append(f"priority {priority}: not first come, first served")
    order_ids = [order_id for _, status, order_id in requests if status == "fulfilled"]
    if order_ids != sorted(order_ids):
        problems.append("orders not made in queue order (VIP first, then arrival)")
    try:
        check_inventory_invariants()
    except AssertionError as error:
        problems.append(str(error))
    print("CHECK OK: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) if not problems else "")
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    return not problems


def create_events(run_id: str, vip: int, regular: int):
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
        "hold_minutes": 24 * 60,
    }
    types = [
        {"name": "VIP", "price": Decimal("80.00"), "capacity": vip, "priority": 10},
        {"name": "Regular", "price": Decimal("25.00"), "capacity": regular, "priority": 0},
    ]
    direct = event_create(
        title=f"{TITLE_PREFIX} {run_id} direct",
        sale_mode=Event.SaleMode.DIRECT,
        ticket_types=[{**types[1], "capacity": vip + regular}],
        **common,
    )
    queue = event_create(
        title=f"{TITLE_PREFIX} {run_id}", sale_mode=Event.SaleMode.QUEUE, ticket_types=types, **common
    )
    return direct, queue


def cleanup(run_id: str) -> None:
    from django.db import transaction

    from accounts.models import User
    from events.models import Event, Venue
    from orders.models import Order, TicketRequest

    events = Event.objects.filter(title__startswith=f"{TITLE_PREFIX} {run_id}")
    with transaction.atomic():
        TicketRequest.objects.filter(event__in=events).delete()
        Order.objects.filter(event__in=events).delete()
        events.delete()
        Venue.objects.filter(name=f"{TITLE_PREFIX} venue {run_id}").delete()
        User.objects.filter(email__startswith=f"bench-{run_id}-").delete()
    print(f"deleted the data of run {run_id}")


if __name__ == "__main__":
    sys.exit(main())
