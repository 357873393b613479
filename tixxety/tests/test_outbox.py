"""The outbox: written with the transaction, delivered once on commit or by the drain, never twice at once."""

from datetime import timedelta

import dramatiq
import pytest
from django.core import mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from dramatiq_crontab import scheduler
from prometheus_client import REGISTRY

from tixxety.models import OutboxMessage
from tixxety.outbox import GRACE, LEASE, outbox_deliver, outbox_drain, outbox_purge, outbox_send
from tixxety.tasks import deliver_outbox_message, drain_outbox


@dramatiq.actor(actor_name="tixxety_test_note", max_retries=0)
def note(number: int) -> None:
    """A notification as the real ones are: one e-mail per call."""
    mail.send_mail(f"note {number}", "body", None, ["ops@example.com"])


def _subjects() -> list[str]:
    return sorted(message.subject for message in mail.outbox)


def _grace_passes() -> None:
    OutboxMessage.objects.update(available_at=F("available_at") - GRACE)


def _queued(broker) -> int:
    queue = broker.queues.get(deliver_outbox_message.queue_name)
    return queue.qsize() if queue else 0


def test_the_drain_runs_every_minute_and_the_purge_nightly():
    jobs = {job.name: str(job.trigger) for job in scheduler.get_jobs()}

    assert "minute='*'" in jobs["drain_outbox"] and "hour='*'" in jobs["drain_outbox"]
    assert "hour='4'" in jobs["purge_sent_outbox_messages"]


@pytest.mark.django_db(transaction=True)
def test_a_message_is_delivered_once_through_a_real_worker(broker, worker, mailoutbox):
    with transaction.atomic():
        message = outbox_send(note, 1)

    broker.join(deliver_outbox_message.queue_name, fail_fast=True)
    worker.join()

    assert _subjects() == ["note 1"]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1 and message.last_error == ""

    # Long after its claim lapsed, the drain runs, then a duplicate delivery message arrives: one
    # after the other, as SQLite's shared-cache test database refuses a second writer at once
    # ("database table is locked"); drains and deliveries race below, on PostgreSQL.
    OutboxMessage.objects.update(available_at=F("available_at") - LEASE)
    drain_outbox.send()
    broker.join(drain_outbox.queue_name, fail_fast=True)
    deliver_outbox_message.send(message.pk)
    broker.join(deliver_outbox_message.queue_name, fail_fast=True)
    worker.join()
    assert _subjects() == ["note 1"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_message_is_never_written_nor_queued(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_send(note, 1)
        raise RuntimeError("the change that caused it failed")

    assert not OutboxMessage.objects.exists()
    assert _queued(broker) == 0


@pytest.mark.django_db(transaction=True)
def test_broker_down_at_commit_leaves_the_message_for_the_drain(broker_down, broker, worker, mailoutbox):
    def failures():
        labels = {"what": "send deliver_outbox_message"}
        return REGISTRY.get_sample_value("tixxety_after_commit_failures_total", labels) or 0.0

    before = failures()
    with transaction.atomic():
        message = outbox_send(note, 7)

    assert failures() == before + 1
    message.refresh_from_db()
    assert (message.sent_at, message.attempts) == (None, 0)
    assert outbox_drain() == 0, "the drain waits for the grace period"

    broker_down()  # the broker is back
    _grace_passes()
    drain_outbox.send()
    broker.join(drain_outbox.queue_name, fail_fast=True)
    worker.join()

    assert _subjects() == ["note 7"]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert outbox_drain() == 0 and outbox_deliver(message_id=message.pk) is False
    assert _subjects() == ["note 7"]


@pytest.mark.django_db
def test_a_failed_attempt_is_recorded_and_retried_after_its_back_off(settings, mailoutbox):
    message = outbox_send(note, 3)
    # The mail server is an external system: a real SMTP client against a closed port.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1

    assert outbox_deliver(message_id=message.pk) is True

    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1
    assert message.last_error.startswith("ConnectionRefusedError")
    assert timedelta(seconds=50) < message.available_at - timezone.now() <= timedelta(minutes=1)
    assert outbox_drain() == 0 and outbox_deliver(message_id=message.pk) is False

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.update(available_at=timezone.now())
    assert outbox_drain() == 1

    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2 and message.last_error == ""
    assert _subjects() == ["note 3"]


@pytest.mark.django_db
def test_a_claimed_message_waits_for_its_lease(mailoutbox):
    message = outbox_send(note, 4)
    # A worker claimed it and died before marking it sent.
    OutboxMessage.objects.update(attempts=1, available_at=timezone.now() + LEASE)

    assert outbox_drain() == 0 and outbox_deliver(message_id=message.pk) is False

    OutboxMessage.objects.update(available_at=F("available_at") - LEASE)
    assert outbox_drain() == 1
    assert _subjects() == ["note 4"]


@pytest.mark.django_db
def test_the_drain_works_in_batches_oldest_first(mailoutbox):
    for number in range(5):
        outbox_send(note, number)
    _grace_passes()

    assert outbox_drain(batch_size=2) == 5
    assert [m.subject for m in mailoutbox] == [f"note {n}" for n in range(5)]


@pytest.mark.django_db
def test_purge_forgets_old_sent_messages_only():
    now = timezone.now()
    old_sent, old_pending, recent_sent = (outbox_send(note, n) for n in range(3))
    OutboxMessage.objects.filter(pk=old_sent.pk).update(sent_at=now - timedelta(days=8))
    OutboxMessage.objects.filter(pk=old_pending.pk).update(created_at=now - timedelta(days=30))
    OutboxMessage.objects.filter(pk=recent_sent.pk).update(sent_at=now - timedelta(days=1))

    assert outbox_purge() == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {old_pending.pk, recent_sent.pk}


# --- concurrency on PostgreSQL -------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_drain_skips_the_rows_another_drain_is_claiming(mailoutbox, race):
    messages = [outbox_send(note, n) for n in range(6)]
    _grace_passes()
    held = [m.pk for m in messages[:3]]

    with transaction.atomic():
        # Another drain's claim in progress: its rows are locked.
        list(OutboxMessage.objects.select_for_update().filter(pk__in=held))
        [ran] = race(outbox_drain)

    assert ran == 3
    assert _subjects() == ["note 3", "note 4", "note 5"]
    assert outbox_drain() == 3
    assert _subjects() == [f"note {n}" for n in range(6)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_and_deliveries_never_send_one_message_twice(mailoutbox, race):
    messages = [outbox_send(note, n) for n in range(60)]
    _grace_passes()
    ids = [m.pk for m in messages]

    def deliver_all():
        return sum(outbox_deliver(message_id=pk) for pk in reversed(ids))

    results = race(lambda: outbox_drain(batch_size=5), lambda: outbox_drain(batch_size=5), deliver_all)

    assert sum(results) == 60
    assert _subjects() == sorted(f"note {n}" for n in range(60))
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert not OutboxMessage.objects.filter(sent_at=None).exists()


@pytest.mark.django_db
def test_staff_see_pending_messages_and_their_errors_in_the_admin(client, staff):
    pending = outbox_send(note, 1)
    OutboxMessage.objects.filter(pk=pending.pk).update(attempts=2, last_error="SMTPServerDisconnected: gone")
    sent = outbox_send(note, 2)
    OutboxMessage.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    client.force_login(staff)

    page = client.get("/admin/tixxety/outboxmessage/", {"sent_at__isempty": "1"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [pending]
    assert "SMTPServerDisconnected: gone" in page.text
    assert client.get(f"/admin/tixxety/outboxmessage/{pending.pk}/change/").status_code == 200
    assert client.get("/admin/tixxety/outboxmessage/add/").status_code == 403
