import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from accounts.models import User
from events.geo import haversine_km
from events.models import Event, Seat, TicketType, Venue
from events.services import event_create
from orders.models import Order, TicketRequest, WaitlistEntry
from orders.services import order_refund
from orders.services.queue import ticket_requests_process

pytestmark = pytest.mark.django_db

NEW_YORK = (40.7128, -74.0060)
LONDON = (51.5074, -0.1278)


@pytest.fixture(autouse=True)
def development(settings):
    """Demo data is for development: pytest-django runs tests with DEBUG off."""
    settings.DEBUG = True


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts():
    models = (User, Venue, Event, TicketType, Seat, Order, WaitlistEntry, TicketRequest)
    return {model.__name__: model.objects.count() for model in models}


def published_within(km, lat, lng):
    return (
        Event.objects.filter(status=Event.Status.PUBLISHED)
        .annotate(distance=haversine_km(lat, lng, "venue__latitude", "venue__longitude"))
        .filter(distance__lte=km)
    )


def test_seed_demo_twice_creates_nothing_the_second_time(invariants):
    seed()
    first = counts()

    output = seed()

    assert counts() == first
    assert "created" not in output
    assert first["User"] == 3 + 6  # the demo accounts and the demo fans
    assert (first["Order"], first["WaitlistEntry"], first["TicketRequest"]) == (2, 3, 5)
    assert Event.objects.filter(status=Event.Status.PUBLISHED).count() >= 12


def test_seed_demo_creates_the_three_accounts_and_six_fans():
    seed()

    accounts = {user.email: user for user in User.objects.exclude(email__startswith="fan")}
    fans = User.objects.filter(email__startswith="fan")

    assert {email: user.role for email, user in accounts.items()} == {
        "demo@local.test": "customer",
        "staff@local.test": "staff",
        "admin@local.test": "admin",
    }
    assert all(user.check_password("Passw0rd!") for user in accounts.values())
    assert sorted(fans.values_list("email", flat=True)) == [f"fan{n}@local.test" for n in range(1, 7)]
    assert set(fans.values_list("role", flat=True)) == {User.Role.CUSTOMER}
    assert fans.get(email="fan6@local.test").check_password("Passw0rd!")


def test_demo_event_is_pk_1_with_vip_and_regular():
    seed()

    event = Event.objects.get(pk=1)
    types = {t.name: t for t in event.ticket_types.all()}

    assert event.title == "Demo Event"
    assert event.status == Event.Status.PUBLISHED
    assert set(types) == {"VIP", "Regular"}
    assert (types["VIP"].capacity, types["VIP"].priority) == (20, 10)
    assert (types["Regular"].capacity, types["Regular"].priority) == (80, 0)
    assert types["VIP"].price > types["Regular"].price


def test_seeded_catalogue_has_published_events_near_new_york_and_in_london():
    seed()

    assert published_within(50, *NEW_YORK).count() >= 2
    assert published_within(50, *LONDON).count() >= 2
    assert Event.objects.filter(venue__city="London", status=Event.Status.PUBLISHED).count() >= 2
    cities = set(Event.objects.filter(status=Event.Status.PUBLISHED).values_list("venue__city", flat=True))
    assert {"New York", "London", "Lagos", "Berlin", "Paris", "Tokyo", "Sydney", "Nairobi"} <= cities


def test_seeded_events_start_in_the_future_with_one_to_three_priced_types():
    seed()

    now = timezone.now()
    for event in Event.objects.prefetch_related("ticket_types"):
        types = list(event.ticket_types.all())
        assert event.starts_at > now, event.title
        assert 1 <= len(types) <= 3, event.title
        assert len({t.price for t in types}) == len(types), event.title


def test_seeded_catalogue_has_a_seated_event_a_queue_event_and_a_draft():
    seed()

    seated_types = TicketType.objects.filter(seats__isnull=False).distinct()
    assert seated_types.count() == 1
    stalls = seated_types.get()
    labels = set(stalls.seats.values_list("label", flat=True))
    assert len(labels) == stalls.capacity == 100
    assert {"A1", "A10", "J1", "J10"} <= labels
    assert Event.objects.filter(sale_mode=Event.SaleMode.QUEUE, status=Event.Status.PUBLISHED).exists()
    assert Event.objects.filter(status=Event.Status.DRAFT).exists()


def test_seed_demo_scale_creates_events_and_users_once():
    seed()
    before = counts()

    output = seed("--scale", "3")
    after = counts()
    seed("--scale", "3")

    assert after["Event"] - before["Event"] == 3
    assert after["TicketType"] - before["TicketType"] == 6
    assert after["User"] - before["User"] == 30
    assert counts() == after
    assert "100% events 3/3" in output and "100% users 30/30" in output
    scaled = Event.objects.filter(slug__startswith="scale-event-")
    assert sorted(scaled.values_list("slug", flat=True)) == [
        "scale-event-1",
        "scale-event-2",
        "scale-event-3",
    ]
    now = timezone.now()
    for event in scaled.prefetch_related("ticket_types"):
        assert now < event.starts_at < now + timedelta(days=367)
        assert event.ends_at > event.starts_at
        assert sorted(t.name for t in event.ticket_types.all()) == ["Regular", "VIP"]
    users = User.objects.filter(email__startswith="scale-user-")
    assert users.count() == 30
    assert set(users.values_list("role", flat=True)) == {User.Role.CUSTOMER}
    assert users.get(email="scale-user-30@local.test").check_password("Passw0rd!")


def test_seed_demo_scale_fills_only_the_missing_numbers():
    seed("--scale", "2")

    seed("--scale", "4")

    assert Event.objects.filter(slug__startswith="scale-event-").count() == 4
    assert User.objects.filter(email__startswith="scale-user-").count() == 40


def test_an_event_created_after_seeding_does_not_collide_with_pk_1():
    if connection.vendor == "postgresql":
        # Start the sequence at 1, as on a fresh database; other tests moved it.
        sql = connection.ops.sequence_reset_by_name_sql(
            no_style(), [{"table": "events_event", "column": "id"}]
        )
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)
    seed()
    venue = Venue.objects.first()
    starts_at = timezone.now() + timedelta(days=10)

    event = event_create(
        title="After Seeding", venue=venue, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2)
    )

    assert event.pk > 1
    assert Event.objects.get(pk=1).title == "Demo Event"


def test_seed_demo_refuses_with_debug_off_and_creates_nothing(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="refuses to run with DEBUG=0") as refused:
        seed()

    assert "createsuperuser" in str(refused.value) and "--force-in-production" in str(refused.value)
    assert set(counts().values()) == {0}


def test_seed_demo_with_debug_off_runs_when_forced(settings):
    settings.DEBUG = False

    seed("--force-in-production")

    assert User.objects.get(email="admin@local.test").role == User.Role.ADMIN
    assert Event.objects.get(pk=1).title == "Demo Event"


def test_seed_demo_command_line_with_debug_off_exits_1_before_opening_the_database(tmp_path, settings):
    database = tmp_path / "untouched.sqlite3"
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "a-production-like-secret-key-that-is-long-enough-for-the-settings-check",
        "DATABASE_URL": f"sqlite:///{database}",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "seed_demo refuses to run with DEBUG=0" in result.stderr
    assert not database.exists()


def waiting(ticket_type):
    entries = WaitlistEntry.objects.filter(ticket_type=ticket_type).order_by("created_at", "id")
    return [(entry.user.email, entry.quantity, entry.status) for entry in entries]


def test_seed_demo_sells_out_an_event_and_fans_wait_fifo(invariants):
    seed()

    event = Event.objects.get(slug="sold-out-acoustic-session")
    ticket_type = event.ticket_types.get()
    assert (ticket_type.capacity, ticket_type.sold_count, ticket_type.available) == (4, 4, 0)
    paid = Order.objects.filter(event=event, status=Order.Status.PAID)
    assert sorted(paid.values_list("user__email", flat=True)) == ["demo@local.test", "fan1@local.test"]
    assert waiting(ticket_type) == [
        ("fan2@local.test", 1, "waiting"),
        ("fan3@local.test", 2, "waiting"),
        ("fan4@local.test", 1, "waiting"),
    ]


def test_seeded_waitlist_is_served_when_the_demo_customer_refunds_and_a_rerun_adds_nothing(invariants):
    # given the seeded sold-out event
    seed()
    event = Event.objects.get(slug="sold-out-acoustic-session")
    demo = User.objects.get(email="demo@local.test")
    order = Order.objects.get(event=event, user=demo)

    # when the demo customer refunds their 2 tickets, and the seed runs again
    order_refund(order_id=order.pk, by=demo)
    before = counts()
    output = seed()

    # then fan2 (1) is offered one, fan3 (2) does not fit the one left and keeps its place, fan4 (1) gets it
    assert waiting(event.ticket_types.get()) == [
        ("fan2@local.test", 1, "offered"),
        ("fan3@local.test", 2, "waiting"),
        ("fan4@local.test", 1, "offered"),
    ]
    assert counts() == before and "created" not in output


def test_seed_demo_leaves_queued_requests_that_are_fulfilled_vip_first(invariants):
    # given the seeded queue-mode event, its Regular requests sent before the VIP ones
    seed()
    event = Event.objects.get(slug="courtside-legends-showcase")
    requests = list(TicketRequest.objects.filter(event=event).order_by("id"))
    assert [r.status for r in requests] == ["queued"] * 5
    names = dict(event.ticket_types.values_list("pk", "name"))
    sent = [names[r.items[0]["ticket_type"]] for r in requests]
    assert sent == ["Regular", "Regular", "VIP", "Regular", "VIP"]

    # when the worker (or the tick) processes the queue
    decided = ticket_requests_process(event_id=event.pk)

    # then all are fulfilled, the VIP ones allocated first
    assert (decided.fulfilled, decided.rejected) == (5, 0)
    allocated = TicketRequest.objects.filter(event=event).order_by("order_id")
    assert [names[r.items[0]["ticket_type"]] for r in allocated] == [
        "VIP",
        "VIP",
        "Regular",
        "Regular",
        "Regular",
    ]
    assert [r.user.email for r in allocated][:2] == ["fan5@local.test", "fan6@local.test"]
