"""Waitlist promotion lag: from capacity freed to the waiting customers holding reserved orders.

Promotion runs inside the transaction that frees the tickets (DESIGN.md
flow 5), so the lag is the freeing call itself: when ``order_cancel``
returns, its transaction has committed with the waiting customers' orders in
it. Each run sells out a fresh ticket type of ``--freed`` tickets to one
order, puts ``--waiting`` customers on its waitlist (one ticket each; with
``--big-every K`` every K-th wants more than can ever free, so promotion must
pass over entries that keep their place), then times ``order_cancel`` of
that order and checks that ``--freed`` entries were offered reserved orders.
It prints p50/p99/max over ``--runs`` runs, and exits 1 when a run served the
wrong entries.

It calls the services directly, against the database and broker of the
environment (each offer also queues an expiry message and an outbox mail, as
in production), so use a database and Redis database of their own:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_bench REDIS_URL=redis://127.0.0.1:6379/5
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/waitlist_lag.py --waiting 1000 --freed 10 --runs 30

Its rows are deleted at the end (``redis-cli -n 5 flushdb`` for the queued messages).
"""

import argparse
import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMAIL_DOMAIN = "waitlist-bench.local"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tixxety.settings")
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    return 0 if measure(args)["ok"] else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiting", type=int, default=1000, help="entries waiting when the tickets free")
    parser.add_argument("--freed", type=int, default=10, help="tickets the cancellation frees")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--big-every", type=int, default=0, help="every K-th entry wants more than can free")
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> dict:
    """``--runs`` runs, printing the summary; its figures (``bench/run.py`` tabulates them)."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from events.models import Event, TicketType, Venue
    from orders.models import Order, WaitlistEntry
    from orders.services import order_cancel, order_reserve
    from tixxety.models import OutboxMessage

    tag = secrets.token_hex(4)
    users = []
    for n in range(args.waiting + 1):
        user = User(email=f"wl-{tag}-{n}@{EMAIL_DOMAIN}", name=f"Waiting {n}")
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    holder, waiting = users[0], users[1:]
    venue = Venue.objects.create(name=f"Waitlist bench {tag}", latitude=0, longitude=0)
    now = timezone.now()
    event = Event.objects.create(
        title=f"Waitlist bench {tag}",
        slug=f"waitlist-bench-{tag}",
        venue=venue,
        starts_at=now + timedelta(days=30),
        ends_at=now + timedelta(days=30, hours=3),
        status=Event.Status.PUBLISHED,
        hold_minutes=24 * 60,
    )
    big = args.freed + 1
    lags, wrong = [], 0
    try:
        for run in range(args.runs):
            ticket_type = TicketType.objects.create(
                event=event, name=f"Run {run}", capacity=args.freed, max_per_order=max(big, 10)
            )
            order = order_reserve(user=holder, event_id=event.pk, items=[(ticket_type.pk, args.freed)])
            with transaction.atomic():
                WaitlistEntry.objects.bulk_create(
                    WaitlistEntry(
                        user=user,
                        ticket_type=ticket_type,
                        quantity=big if args.big_every and n % args.big_every == 0 else 1,
                    )
                    for n, user in enumerate(waiting)
                )
            expected = list(
                WaitlistEntry.objects.filter(ticket_type=ticket_type, quantity=1)
                .order_by("created_at", "id")
                .values_list("pk", flat=True)[: args.freed]
            )

            started = time.perf_counter()
            order_cancel(order_id=order.pk, by=holder)
            lags.append(time.perf_counter() - started)

            offered = WaitlistEntry.objects.filter(
                ticket_type=ticket_type,
                status=WaitlistEntry.Status.OFFERED,
                order__status=Order.Status.RESERVED,
            )
            if sorted(offered.values_list("pk", flat=True)) != sorted(expected):
                wrong += 1
    finally:
        orders = Order.objects.filter(event=event)
        OutboxMessage.objects.filter(
            actor_name="send_waitlist_offer_email", args__0__in=list(orders.values_list("pk", flat=True))
        ).delete()
        WaitlistEntry.objects.filter(ticket_type__event=event).delete()
        orders.delete()
        event.delete()
        venue.delete()
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}", email__startswith=f"wl-{tag}-").delete()

    ms = [lag * 1000 for lag in lags]
    print(
        f"waitlist promotion lag, {args.waiting} waiting, {args.freed} freed, {len(ms)} runs"
        f"{f', 1 in {args.big_every} entries too big' if args.big_every else ''}: "
        f"p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms"
    )
    print("served FIFO: OK" if not wrong else f"served FIFO: WRONG in {wrong} runs")
    return {"p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99), "ok": not wrong}


if __name__ == "__main__":
    sys.exit(main())
