"""Expiry lag: from a reservation's ``expires_at`` to its tickets being back on sale.

Like ``flash_sale.py`` it starts nothing: run a worker first, with the same
environment (a Redis broker), then this script. It reserves ``--orders``
orders through the real service with a short hold, so each sends its delayed
expiry message exactly as a booking does, waits, and reads back when each
order was expired (``Order.updated_at`` is written by the expiry):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_bench REDIS_URL=redis://127.0.0.1:6379/5
    .venv/bin/python manage.py rundramatiq --processes 2 --threads 4 &
    .venv/bin/python bench/expiry_lag.py --orders 500 --hold 5

The zero-setup mode (SQLite, the in-memory broker served inside ``manage.py
rundev``) has no broker another process could reach, so there the orders are
booked through the running server's API instead (``--base-url``), a few at a
time, while its in-process worker expires the earlier ones; the hold is the
server's, so start it with a short one:

    RESERVATION_HOLD_SECONDS=5 .venv/bin/python manage.py rundev 8000 &
    .venv/bin/python bench/expiry_lag.py --base-url http://127.0.0.1:8000 --orders 500

It prints p50/p95/p99/max lag, how many orders were still reserved, and
whether the ticket type's counters are back to zero (exit status 1 if not).
Its data is removed at the end.
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(hold_seconds: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tixxety.settings")
    os.environ["RESERVATION_HOLD_SECONDS"] = str(hold_seconds)
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django(args.hold)
    return 0 if measure(args)["ok"] else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=500, help="reservations to let expire")
    parser.add_argument("--hold", type=int, default=5, help="hold in seconds")
    parser.add_argument("--wait", type=int, default=20, help="seconds to wait after the last hold runs out")
    parser.add_argument("--base-url", help="book through this server's API (its hold applies)")
    parser.add_argument("--concurrency", type=int, default=4, help="parallel bookings with --base-url")
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> dict:
    """One run, printing as it goes; its figures (``bench/run.py`` tabulates them).

    The hold of the orders it reserves itself is ``RESERVATION_HOLD_SECONDS``
    as Django has it, which ``main`` sets from ``--hold`` before loading Django.
    """
    import dramatiq
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from dramatiq.brokers.stub import StubBroker

    from accounts.models import User
    from events.models import Event, Venue
    from events.services import event_create
    from orders.models import Order
    from orders.services import order_reserve

    if not args.base_url and isinstance(dramatiq.get_broker(), StubBroker):
        sys.exit("Set REDIS_URL, or use --base-url: the expiry messages must reach a running worker.")

    run = timezone.now().strftime("%H%M%S")
    venue = Venue.objects.create(name="Expiry bench hall", latitude=0, longitude=0)
    starts = timezone.now() + timedelta(days=30)
    event = event_create(
        title=f"Expiry bench {run}", venue=venue, starts_at=starts, ends_at=starts + timedelta(hours=2),
        status=Event.Status.PUBLISHED,
        ticket_types=[{"name": "Any", "price": "1.00", "capacity": args.orders}],
    )  # fmt: skip
    ticket_type = event.ticket_types.get()
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"expiry-{run}-{n}@bench.local", name=f"Buyer {n}", password=password)
        for n in range(args.orders)
    )
    try:
        started = time.monotonic()
        if args.base_url:
            book_through_api(args.base_url, users, ticket_type, args.concurrency)
        else:
            for user in users:
                order_reserve(user=user, event_id=event.pk, items=[(ticket_type.pk, 1)])
        orders = Order.objects.filter(event=event)
        created, last_expiry = orders.order_by("-expires_at").values_list("created_at", "expires_at")[0]
        hold = (last_expiry - created).total_seconds()
        print(f"reserved {orders.count()} orders in {time.monotonic() - started:.1f} s, hold {hold:.0f} s")

        deadline = time.monotonic() + max((last_expiry - timezone.now()).total_seconds(), 0) + args.wait
        while time.monotonic() < deadline and orders.filter(status=Order.Status.RESERVED).exists():
            time.sleep(0.5)

        expired = list(orders.filter(status=Order.Status.EXPIRED).values_list("expires_at", "updated_at"))
        lags = [(updated - expires).total_seconds() for expires, updated in expired]
        still_reserved = orders.filter(status=Order.Status.RESERVED).count()
        ticket_type.refresh_from_db()
        print(f"expired {len(lags)}/{args.orders}, still reserved {still_reserved}")
        if lags:
            print(
                f"lag p50 {percentile(lags, 0.50):.3f} s  p95 {percentile(lags, 0.95):.3f} s  "
                f"p99 {percentile(lags, 0.99):.3f} s  max {max(lags):.3f} s  "
                f"mean {statistics.mean(lags):.3f} s"
            )
        back_on_sale = ticket_type.reserved_count == 0 and ticket_type.available == args.orders
        print(
            "INVENTORY BACK ON SALE"
            if back_on_sale
            else f"INVENTORY NOT RELEASED: {ticket_type.reserved_count}"
        )
        return {
            "expired": len(lags),
            "p50_s": percentile(lags, 0.50) if lags else None,
            "p99_s": percentile(lags, 0.99) if lags else None,
            "ok": back_on_sale and not still_reserved,
        }
    finally:
        Order.objects.filter(event=event).delete()
        event.delete()
        venue.delete()
        User.objects.filter(pk__in=[u.pk for u in users]).delete()


def book_through_api(base_url: str, users, ticket_type, concurrency: int) -> None:
    """Book one ticket per user through ``POST /api/events/{id}/book``; any answer but 201 stops the run."""
    from rest_framework_simplejwt.tokens import AccessToken

    if not base_url.startswith(("http://", "https://")):
        sys.exit("--base-url must be an http:// or https:// URL")
    url = f"{base_url.rstrip('/')}/api/events/{ticket_type.event_id}/book"
    body = json.dumps({"ticket_type": ticket_type.pk, "quantity": 1}).encode()

    def book(user) -> None:
        headers = {
            "Authorization": f"Bearer {AccessToken.for_user(user)}",
            "Content-Type": "application/json",
        }
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310  (http(s) checked)
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            if response.status != 201:
                raise RuntimeError(f"booking answered {response.status}")

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(book, users))


if __name__ == "__main__":
    sys.exit(main())
