from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from dramatiq_crontab import scheduler

from tixxety.jobs import import_task_modules, uses_inprocess_broker
from tixxety.tasks import clear_expired_sessions


def test_suite_runs_on_the_in_memory_broker():
    assert uses_inprocess_broker()


def test_every_app_with_actors_is_discovered_and_scheduled():
    loaded = import_task_modules()

    assert {"tixxety", "accounts"} <= set(loaded)
    assert "clear_expired_sessions" in {job.name for job in scheduler.get_jobs()}


# The expiry sweep's actor name: what the scheduler enqueues and the worker looks up. It stays
# the same when the Python function is renamed (actor_name=), so messages already queued still run.
EXPIRY_SWEEP = "expire_overdue_orders"


def test_expiry_sweep_is_scheduled_every_minute():
    # given every app's task modules loaded, as the scheduler process loads them
    import_task_modules()

    # when the scheduler's registry is read
    [job] = [job for job in scheduler.get_jobs() if job.name == EXPIRY_SWEEP]

    # then firing the job enqueues the sweep actor that workers run, and it fires every minute
    sweep = dramatiq.get_broker().get_actor(EXPIRY_SWEEP)
    assert job.func == sweep.send
    assert sweep.fn.__module__ == "orders.tasks"
    noon = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)
    first = job.trigger.get_next_fire_time(None, noon)
    second = job.trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
    assert (first, second - first) == (datetime(2026, 12, 1, 12, 1, tzinfo=UTC), timedelta(minutes=1))


@pytest.mark.django_db
def test_clear_expired_sessions_keeps_live_ones():
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(days=1))

    clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
