from datetime import timedelta

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


@pytest.mark.django_db
def test_clear_expired_sessions_keeps_live_ones():
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(days=1))

    clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
