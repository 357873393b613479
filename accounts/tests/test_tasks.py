"""The welcome e-mail: how the suite runs actors.

Three levels: the actor called as a function; the message sent only once the
transaction commits; and the whole path through the API, the stub broker and
a real worker thread.
"""

import pytest
from django.db import transaction

from accounts import services
from accounts.tasks import user_welcome_send_task
from accounts.tests.factories import UserFactory

NEW_USER = {"name": "Grace", "email": "grace@example.com", "password": "Compiler-Pioneer-1952"}


def _queued(broker) -> int:
    queue = broker.queues.get(user_welcome_send_task.queue_name)
    return queue.qsize() if queue else 0


@pytest.mark.django_db
def test_welcome_email_actor_as_a_function(mailoutbox):
    user = UserFactory(name="Grace", email="grace@example.com")

    user_welcome_send_task(user.pk)

    [mail] = mailoutbox
    assert mail.to == ["grace@example.com"]
    assert mail.subject == "Welcome to Tixxety"
    assert "Hello Grace" in mail.body


@pytest.mark.django_db
def test_welcome_email_actor_skips_missing_user(mailoutbox):
    user_welcome_send_task(987654)

    assert mailoutbox == []


@pytest.mark.django_db
def test_welcome_email_is_queued_only_after_commit(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.user_register(**NEW_USER)
        assert _queued(broker) == 0

    for callback in callbacks:
        callback()
    assert _queued(broker) == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_registration_sends_nothing(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.user_register(**NEW_USER)
        raise RuntimeError("something later in the same transaction failed")

    assert _queued(broker) == 0


@pytest.mark.django_db(transaction=True)
def test_registration_sends_welcome_email_through_a_real_worker(api_client, broker, worker, mailoutbox):
    response = api_client.post("/api/auth/register", NEW_USER)
    assert response.status_code == 201

    broker.join(user_welcome_send_task.queue_name, fail_fast=True)
    worker.join()

    [mail] = mailoutbox
    assert mail.to == ["grace@example.com"]
