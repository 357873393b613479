"""Bulk sales history for the analytics benchmark: orders, lines, tickets and payments.

Run it on a database of its own, after ``seed_demo --scale 1000`` (1,000
events, 10,000 customers); it refuses a database whose name lacks "bench":

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_l8_bench REDIS_URL=redis://127.0.0.1:6379/9
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --scale 1000
    .venv/bin/python bench/analytics_data.py --orders 50000

It writes rows with PostgreSQL's COPY (the services would take an hour for
50,000 orders) but keeps what the services keep true: every order's total
is the sum of its lines, one ticket per admission (reserved for a reserved
order, valid for a paid one, void otherwise), a succeeded charge for every
paid or refunded order, a refund for every refunded one, no ticket type sold
past its capacity, and the counters recounted from the tickets at the end.
Orders are spread over the last ``--days`` days: 70 % paid, 10 % refunded,
10 % expired, 5 % cancelled, 5 % still reserved. ``--today-events`` scale
events are moved to start an hour ago, and 40 % of their valid tickets are
checked in, so the dashboard's check-in chart has something to draw.

Generated orders have codes starting ``TB-``; ``--reset`` deletes them (and
their lines, tickets and payments) before generating, so a rerun replaces
them instead of adding more.
"""

import argparse
import os
import random
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUSES = [("paid", 70), ("refunded", 10), ("expired", 10), ("cancelled", 5), ("reserved", 5)]
CODE_PREFIX = "TB-"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tixxety.settings")
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=120, help="spread orders over this many past days")
    parser.add_argument("--today-events", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="delete earlier generated orders first")
    args = parser.parse_args()
    if not 0 < args.orders <= 500_000:
        parser.error("--orders must be between 1 and 500,000")
    setup_django()

    from django.db import connection, transaction

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in str(name):
        print(f"refusing to write bench data into {name!r}: use a PostgreSQL database named *bench*")
        return 2
    started = time.monotonic()
    with transaction.atomic():
        if args.reset:
            reset()
            recount()  # the capacity left is read from the counters
        generate(args)
        recount()
        reset_sequences()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as autovacuum would give them later
    print(f"done in {time.monotonic() - started:.1f}s")
    return 0


def reset() -> None:
    from django.db import connection

    pattern = [CODE_PREFIX + "%"]
    with connection.cursor() as cursor:
        orders = "SELECT id FROM orders_order WHERE code LIKE %s"
        for table in ("tickets_ticket", "orders_payment", "orders_orderline"):
            cursor.execute(f"DELETE FROM {table} WHERE order_id IN ({orders})", pattern)  # noqa: S608 (constants)
        cursor.execute(orders.replace("SELECT id", "DELETE"), pattern)
        print(f"reset    {cursor.rowcount} generated orders deleted")


def generate(args) -> None:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from events.models import Event, TicketType

    rng = random.Random(args.seed)  # noqa: S311 (bench data)
    now = timezone.now()
    customers = list(User.objects.filter(role=User.Role.CUSTOMER).values_list("pk", flat=True))
    # Seated types sell seats, which this generator does not pick; queue-mode events sell through requests.
    types = list(
        TicketType.objects.filter(seats__isnull=True, event__status=Event.Status.PUBLISHED)
        .values("pk", "event_id", "price", "currency", "capacity", "reserved_count", "sold_count")
        .distinct()
    )
    if not customers or not types:
        raise SystemExit("no customers or ticket types: run seed_demo --scale 1000 first")
    left = {t["pk"]: t["capacity"] - t["reserved_count"] - t["sold_count"] for t in types}
    statuses, weights = zip(*STATUSES, strict=True)
    ids = {
        table: _next_id(table)
        for table in ("orders_order", "orders_orderline", "tickets_ticket", "orders_payment")
    }
    orders, lines, tickets, payments = [], [], [], []
    for n in range(args.orders):
        kind = rng.choices(statuses, weights)[0]
        ticket_type = rng.choice(types)
        holds = kind in ("paid", "reserved")  # only these keep their tickets active
        quantity = rng.randint(1, 4)
        if holds:
            quantity = min(quantity, left[ticket_type["pk"]])
            if quantity == 0:
                kind, quantity, holds = "expired", 1, False
            left[ticket_type["pk"]] -= quantity if holds else 0
        created = now - timedelta(days=args.days * rng.random())
        total = ticket_type["price"] * quantity
        order_id = ids["orders_order"] + n
        paid_at = created + timedelta(minutes=rng.randint(1, 9)) if kind in ("paid", "refunded") else None
        expires_at = now + timedelta(minutes=10) if kind == "reserved" else created + timedelta(minutes=10)
        orders.append(
            (
                order_id,
                f"{CODE_PREFIX}{n:08d}",
                rng.choice(customers),
                ticket_type["event_id"],
                kind,
                "direct",
                total,
                ticket_type["currency"],
                expires_at,
                created,
                paid_at or created,
                paid_at,
            )
        )
        lines.append(
            (ids["orders_orderline"] + n, order_id, ticket_type["pk"], quantity, ticket_type["price"])
        )
        ticket_status = {"paid": "valid", "reserved": "reserved"}.get(kind, "void")
        for _ in range(quantity):
            tickets.append(
                (
                    ids["tickets_ticket"] + len(tickets),
                    order_id,
                    ticket_type["pk"],
                    "",
                    secrets.token_urlsafe(24),
                    ticket_status,
                    created,
                )
            )
        if paid_at:
            payments.append(_payment(ids, payments, order_id, "charge", total, ticket_type, paid_at))
        if kind == "refunded":
            refunded_at = paid_at + timedelta(days=rng.randint(0, 10))
            payments.append(
                _payment(ids, payments, order_id, "refund", total, ticket_type, min(refunded_at, now))
            )
    raw = connection.connection
    _copy(
        raw,
        "orders_order (id, code, user_id, event_id, status, source, total, currency, expires_at, "
        "created_at, updated_at, paid_at)",
        orders,
    )
    _copy(raw, "orders_orderline (id, order_id, ticket_type_id, quantity, unit_price)", lines)
    _copy(
        raw, "tickets_ticket (id, order_id, ticket_type_id, holder_name, secret, status, created_at)", tickets
    )
    _copy(
        raw,
        "orders_payment (id, order_id, kind, amount, currency, status, provider, reference, failure_reason, "
        "created_at)",
        payments,
    )
    print(
        f"inserted {len(orders)} orders, {len(lines)} lines, {len(tickets)} tickets, {len(payments)} payments"
    )
    _check_in_today(args, rng, now)


def _payment(ids, payments, order_id, kind, amount, ticket_type, at):
    payment_id = ids["orders_payment"] + len(payments)
    return (
        payment_id,
        order_id,
        kind,
        amount,
        ticket_type["currency"],
        "succeeded",
        "test",
        f"bench_{payment_id}",
        "",
        at,
    )


def _next_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 (constant names)
        return cursor.fetchone()[0]


def _copy(raw, target: str, rows: list[tuple]) -> None:
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _check_in_today(args, rng, now) -> None:
    """Move ``--today-events`` scale events to an hour ago and check in 40 % of their valid tickets."""
    from events.models import Event
    from tickets.models import Ticket

    events = list(
        Event.objects.filter(slug__startswith="scale-event-", sale_mode=Event.SaleMode.DIRECT)
        .order_by("id")
        .values_list("pk", flat=True)[: args.today_events]
    )
    Event.objects.filter(pk__in=events).update(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )
    valid = list(
        Ticket.objects.filter(ticket_type__event_id__in=events, status=Ticket.Status.VALID).values_list(
            "pk", flat=True
        )
    )
    chosen = rng.sample(valid, k=len(valid) * 2 // 5)
    Ticket.objects.filter(pk__in=chosen).update(checked_in_at=now - timedelta(minutes=rng.randint(1, 50)))
    print(
        f"today    {len(events)} events started an hour ago, "
        f"{len(chosen)} of their {len(valid)} valid tickets checked in"
    )


def recount() -> None:
    """Set every ticket type's counters from its tickets (what ``check_inventory --fix`` does)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE events_tickettype AS tt
               SET reserved_count = COALESCE(c.reserved, 0), sold_count = COALESCE(c.valid, 0)
              FROM events_tickettype AS t
              LEFT JOIN (
                    SELECT ticket_type_id,
                           COUNT(*) FILTER (WHERE status = 'reserved') AS reserved,
                           COUNT(*) FILTER (WHERE status = 'valid') AS valid
                      FROM tickets_ticket GROUP BY ticket_type_id
                   ) AS c ON c.ticket_type_id = t.id
             WHERE tt.id = t.id
            """
        )


def reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from orders.models import Order, OrderLine, Payment
    from tickets.models import Ticket

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Order, OrderLine, Payment, Ticket]):
            cursor.execute(sql)


if __name__ == "__main__":
    sys.exit(main())
