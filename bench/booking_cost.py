"""Request cost: CPU instructions of one booking, ticket request or check-in in-process.

The flash sale's reservations per second move by a third with the load
other processes put on the machine; the instructions a request executes do
not. This script books ``--bookings`` tickets in-process, through the API
view (``POST /api/events/{id}/book`` with a bearer token, as a client sends
it) or with ``--service`` through ``order_reserve`` alone, after a warm-up,
and counts the instructions under Valgrind's callgrind, which it switches on
for the measured bookings only. ``--endpoint ticket-request`` sends queue
requests instead (``POST /api/events/{id}/ticket-requests``, one buyer each,
behind ``--queued`` requests already waiting), ``--endpoint checkin`` scans
valid tickets in as staff (``POST /api/tickets/checkin/{secret}?event=``),
``--endpoint checkin-refused`` scans tickets checked in already (the 409
``already_checked_in`` of a second scan):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        DRAMATIQ_BROKER_URL=stub:// DEBUG=0 SECRET_KEY=<long random> SECURE_SSL_REDIRECT=0 \\
        PYTHONHASHSEED=0 ALLOWED_HOSTS=testserver
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/booking_cost.py --bookings 50

Measure with the settings production runs: ``DEBUG=0`` (with ``DEBUG`` on a
booking costs about 0.5 M instructions more) and ``REDIS_URL`` (without it
the user cache and the rate-limit counts are local memory, about 1 M fewer
than production's Redis round trips). It prints the instructions per request
(two runs agree within about 0.5 %)
and the CPU time the PostgreSQL backend serving this process spent on them
(its ``/proc`` counters: 10 ms ticks, so measure a few hundred requests).
Without Valgrind it prints the Python process's CPU time per request
instead, which is noisier. The stub broker keeps the message queue out of the count;
the run's events, orders, requests and users are deleted at the end.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 20
ENDPOINTS = ("book", "ticket-request", "checkin", "checkin-refused")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bookings", type=int, default=50, metavar="N", help="requests measured (default 50)"
    )
    parser.add_argument("--endpoint", choices=ENDPOINTS, default="book", help="what to send (default book)")
    parser.add_argument("--service", action="store_true", help="book through order_reserve, not the API")
    parser.add_argument(
        "--queued", type=int, default=5000, metavar="N",
        help="ticket-request: requests already queued ahead (default 5000)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tixxety.settings")
    # One buyer books thousands of times: keep the per-user limit's check in the cost, not its refusals.
    os.environ.setdefault("RATELIMIT_BOOKING", "1000000/m")
    import django

    django.setup()
    run = f"{os.getpid()}-{time.time_ns()}"
    count = WARM_UP + args.bookings
    if args.endpoint == "ticket-request":
        send, cleanup, what = prepare_ticket_requests(run, count, args.queued)
    elif args.endpoint in ("checkin", "checkin-refused"):
        send, cleanup, what = prepare_checkins(run, count, refused=args.endpoint == "checkin-refused")
    else:
        send, cleanup, what = prepare_bookings(run, service=args.service)
    try:
        for _ in range(WARM_UP):  # caches, compiled statements, imports
            send()
        measure(send, args.bookings, what)
    finally:
        cleanup()
    return 0


def _event(run: str, title: str, **fields):
    from django.utils import timezone

    from events.models import Event
    from events.services import event_create, venue_create

    venue = venue_create(name=f"{title} venue {run}", latitude=0, longitude=0)
    starts_at = timezone.now() + timedelta(days=30)
    return event_create(
        title=f"{title} {run}", venue=venue, starts_at=starts_at, ends_at=starts_at + timedelta(hours=3),
        status=Event.Status.PUBLISHED, hold_minutes=24 * 60, **fields,
    )  # fmt: skip


def _client(user):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def _expect(response, status: int) -> None:
    if response.status_code != status:
        sys.exit(f"answered {response.status_code}, not {status}: {response.content[:300]!r}")


def _users(run: str, count: int, **fields):
    from accounts.models import User

    return User.objects.bulk_create(
        User(email=f"cost-{run}-{n}@bench.local", name=f"Cost {n}", **fields) for n in range(count)
    )


def _delete_run(run: str, event) -> None:
    from accounts.models import User
    from orders.models import Order, TicketRequest

    TicketRequest.objects.filter(event=event).delete()
    Order.objects.filter(event=event).delete()
    venue = event.venue
    event.delete()
    venue.delete()
    User.objects.filter(email__startswith=f"cost-{run}-").delete()


def prepare_bookings(run: str, *, service: bool):
    """A buyer and a published event that never sells out; the booking callable, cleanup, label."""
    from events.models import Event
    from orders.services import order_reserve

    (user,) = _users(run, 1)
    event = _event(
        run, "Booking cost", sale_mode=Event.SaleMode.DIRECT,
        ticket_types=[{"name": "General admission", "price": Decimal("25.00"), "capacity": 10_000_000}],
    )  # fmt: skip
    ticket_type_id = event.ticket_types.get().pk

    if service:

        def book() -> None:
            order_reserve(user=user, event_id=event.pk, items=[(ticket_type_id, 1)])

        return book, lambda: _delete_run(run, event), "order_reserve"
    client = _client(user)
    path, body = f"/api/events/{event.pk}/book", {"ticket_type": ticket_type_id, "quantity": 1}

    def book() -> None:
        _expect(client.post(path, body, format="json"), 201)

    return book, lambda: _delete_run(run, event), "POST /api/events/{id}/book"


def prepare_ticket_requests(run: str, count: int, queued: int):
    """A queue-mode event with ``queued`` requests waiting, and ``count`` buyers who each send one."""
    from accounts.authentication import cached_user
    from events.models import Event
    from orders.models import TicketRequest

    event = _event(
        run, "Intake cost", sale_mode=Event.SaleMode.QUEUE,
        ticket_types=[{"name": "Regular", "price": Decimal("25.00"), "capacity": 10_000_000}],
    )  # fmt: skip
    ticket_type_id = event.ticket_types.get().pk
    items = [{"ticket_type": ticket_type_id, "quantity": 1}]
    TicketRequest.objects.bulk_create(
        (
            TicketRequest(user=user, event=event, items=items, priority=0)
            for user in _users(run + "-ahead", queued)
        ),
        batch_size=2000,
    )
    buyers = _users(run, count)
    for buyer in buyers:  # signed in already, as bench/queue_sale.py's buyers are: the user cache is warm
        cached_user(buyer.pk)
    clients = iter([_client(user) for user in buyers])
    path, body = f"/api/events/{event.pk}/ticket-requests", {"ticket_type": ticket_type_id, "quantity": 1}

    def send() -> None:
        _expect(next(clients).post(path, body, format="json"), 202)

    def cleanup() -> None:
        _delete_run(run, event)
        from accounts.models import User

        User.objects.filter(email__startswith=f"cost-{run}-ahead-").delete()

    return send, cleanup, f"POST /api/events/{{id}}/ticket-requests ({queued} queued ahead)"


def prepare_checkins(run: str, count: int, *, refused: bool):
    """``count`` valid tickets in one paid order (as bench/checkin.py makes them) and a staff user.

    ``refused``: the tickets are checked in already, by that staff user, so every scan is a 409.
    """
    from django.utils import timezone

    from accounts.models import User
    from events.models import Event
    from orders.models import Order, OrderLine
    from tickets.models import Ticket

    event = _event(
        run, "Check-in cost", sale_mode=Event.SaleMode.DIRECT,
        ticket_types=[{"name": "General admission", "price": Decimal("25.00"), "capacity": count}],
    )  # fmt: skip
    ticket_type = event.ticket_types.get()
    staff, buyer = _users(run, 2)
    User.objects.filter(pk=staff.pk).update(role=User.Role.STAFF)
    order = Order.objects.create(
        user=buyer, event=event, status=Order.Status.PAID, total=ticket_type.price * count,
        currency=ticket_type.currency, paid_at=timezone.now(),
    )  # fmt: skip
    OrderLine.objects.create(
        order=order, ticket_type=ticket_type, quantity=count, unit_price=ticket_type.price
    )
    tickets = Ticket.objects.bulk_create(
        Ticket(order=order, ticket_type=ticket_type, status=Ticket.Status.VALID, holder_name=f"Guest {n}")
        for n in range(count)
    )
    ticket_type.sold_count = count
    ticket_type.save(update_fields=["sold_count"])
    if refused:
        Ticket.objects.filter(order=order).update(checked_in_at=timezone.now(), checked_in_by=staff)
    client = _client(staff)
    paths = iter([f"/api/tickets/checkin/{ticket.secret}?event={event.pk}" for ticket in tickets])
    status, what = (409, " (checked in already)") if refused else (200, "")

    def send() -> None:
        _expect(client.post(next(paths)), status)

    return send, lambda: _delete_run(run, event), "POST /api/tickets/checkin/{secret}?event=" + what


def measure(send, count: int, what: str) -> None:
    backend = _backend_cpu_seconds()
    if not under_callgrind():
        started = time.process_time()
        for _ in range(count):
            send()
        per_request = (time.process_time() - started) / count * 1000
        database = (_backend_cpu_seconds() - backend) / count * 1000
        print(
            f"{what}: {per_request:.2f} ms of CPU per request over {count} (not under callgrind); "
            f"PostgreSQL backend {database:.2f} ms"
        )
        return
    callgrind("--instr=on")
    callgrind("--zero")
    backend = _backend_cpu_seconds()
    for _ in range(count):
        send()
    counters = callgrind("-e", "Ir")  # read while on: callgrind reports nothing once switched off
    database = (_backend_cpu_seconds() - backend) / count * 1000
    callgrind("--instr=off")
    instructions = sum(int(n.replace(",", "")) for n in re.findall(r"^\s*Th \d+\s+([\d,]+)", counters, re.M))
    print(
        f"{what}: {instructions / count / 1e6:.3f} M instructions per request over {count}; "
        f"PostgreSQL backend {database:.2f} ms of CPU per request"
    )


def _backend_cpu_seconds() -> float:
    """User + system CPU time of the PostgreSQL backend serving this process's connection (local server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def under_callgrind() -> bool:
    return "vgpreload" in os.environ.get("LD_PRELOAD", "")


def callgrind(*options: str) -> str:
    command = ["callgrind_control", *options, str(os.getpid())]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
