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
    return {model.__name__: model.objects.count() for model in (User, Venue, Event, TicketType, Seat)}


def published_within(km, lat, lng):
    return (
        Event.objects.filter(status=Event.Status.PUBLISHED)
        .annotate(distance=haversine_km(lat, lng, "venue__latitude", "venue__longitude"))
        .filter(distance__lte=km)
    )


def test_seed_demo_twice_creates_nothing_the_second_time():
    seed()
    first = counts()

    output = seed()

    assert counts() == first
    assert "created" not in output
    assert first["User"] == 3
    assert Event.objects.filter(status=Event.Status.PUBLISHED).count() >= 12


def test_seed_demo_creates_the_three_accounts():
    seed()

    accounts = {user.email: user for user in User.objects.all()}

    assert {email: user.role for email, user in accounts.items()} == {
        "demo@local.test": "customer",
        "staff@local.test": "staff",
        "admin@local.test": "admin",
    }
    assert all(user.check_password("Passw0rd!") for user in accounts.values())


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
    assert counts() == {"User": 0, "Venue": 0, "Event": 0, "TicketType": 0, "Seat": 0}


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
