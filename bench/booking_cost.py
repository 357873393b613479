"""Booking cost: CPU instructions of one booking in-process, the figure that does not drift.

The flash sale's reservations per second move by a third with the load
other processes put on the machine; the instructions a booking executes do
not. This script books ``--bookings`` tickets in-process, through the API
view (``POST /api/events/{id}/book`` with a bearer token, as a client sends
it) or with ``--service`` through ``order_reserve`` alone, after a warm-up,
and counts the instructions under Valgrind's callgrind, which it switches on
for the measured bookings only:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_bench DRAMATIQ_BROKER_URL=stub:// \\
        PYTHONHASHSEED=0 ALLOWED_HOSTS=testserver
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/booking_cost.py --bookings 50

It prints the instructions per booking (two runs agree within about 0.5 %).
Without Valgrind it prints the CPU time per booking instead, which is
noisier. The stub broker keeps Redis out of the count; the event, its
orders and the buyer are deleted at the end.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bookings", type=int, default=50, metavar="N", help="bookings measured (default 50)"
    )
    parser.add_argument("--service", action="store_true", help="call order_reserve instead of the API view")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tixxety.settings")
    # One buyer books thousands of times: keep the per-user limit's check in the cost, not its refusals.
    os.environ.setdefault("RATELIMIT_BOOKING", "1000000/m")
    import django

    django.setup()
    book, cleanup = prepare(service=args.service)
    try:
        for _ in range(WARM_UP):  # caches, compiled statements, imports
            book()
        measure(book, args.bookings, "order_reserve" if args.service else "POST /api/events/{id}/book")
    finally:
        cleanup()
    return 0


def prepare(*, service: bool):
    """A buyer and a published event that never sells out; the booking callable and its cleanup."""
    from django.utils import timezone
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from events.models import Event
    from events.services import event_create, venue_create
    from orders.models import Order
    from orders.services import order_reserve

    run = f"{os.getpid()}-{time.time_ns()}"
    user = User.objects.create(email=f"cost-{run}@bench.local", name="Booking cost")
    venue = venue_create(name=f"Booking cost venue {run}", latitude=0, longitude=0)
    starts_at = timezone.now() + timedelta(days=30)
    event = event_create(
        title=f"Booking cost {run}", venue=venue, starts_at=starts_at, ends_at=starts_at + timedelta(hours=3),
        status=Event.Status.PUBLISHED, sale_mode=Event.SaleMode.DIRECT, hold_minutes=24 * 60,
        ticket_types=[{"name": "General admission", "price": Decimal("25.00"), "capacity": 10_000_000}],
    )  # fmt: skip
    ticket_type_id = event.ticket_types.get().pk

    if service:

        def book() -> None:
            order_reserve(user=user, event_id=event.pk, items=[(ticket_type_id, 1)])

    else:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        path, body = f"/api/events/{event.pk}/book", {"ticket_type": ticket_type_id, "quantity": 1}

        def book() -> None:
            response = client.post(path, body, format="json")
            if response.status_code != 201:
                sys.exit(f"booking answered {response.status_code}: {response.content[:300]!r}")

    def cleanup() -> None:
        Order.objects.filter(event=event).delete()
        event.delete()
        venue.delete()
        user.delete()

    return book, cleanup


def measure(book, count: int, what: str) -> None:
    if not under_callgrind():
        started = time.process_time()
        for _ in range(count):
            book()
        per_booking = (time.process_time() - started) / count * 1000
        print(f"{what}: {per_booking:.2f} ms of CPU per booking over {count} (not under callgrind)")
        return
    callgrind("--instr=on")
    callgrind("--zero")
    for _ in range(count):
        book()
    counters = callgrind("-e", "Ir")  # read while on: callgrind reports nothing once switched off
    callgrind("--instr=off")
    instructions = sum(int(n.replace(",", "")) for n in re.findall(r"^\s*Th \d+\s+([\d,]+)", counters, re.M))
    print(f"{what}: {instructions / count / 1e6:.3f} M instructions per booking over {count}")


def under_callgrind() -> bool:
    return "vgpreload" in os.environ.get("LD_PRELOAD", "")


def callgrind(*options: str) -> str:
    command = ["callgrind_control", *options, str(os.getpid())]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
