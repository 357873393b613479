"""Redis unreachable: sign-up, sign-in and the profile keep working, and sign-in stays limited.

The cache and the broker are real Redis clients on a closed port
(``cache_down``, ``broker_down``): every call is refused at once.
"""

import pytest
from django.db.models import F

from accounts.models import User
from accounts.tests.factories import PASSWORD
from tixxety.models import OutboxMessage
from tixxety.outbox import GRACE
from tixxety.tasks import drain_outbox
from tixxety.tests.rate_limits import assert_rate_limited

REGISTER = "/api/auth/register"
TOKEN = "/api/auth/token"
ME = "/api/auth/me"

NEW_USER = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "Analytical-Engine-1843"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cache_down")
def test_registration_answers_201_with_redis_down_and_welcomes_later(
    api_client, broker_down, broker, worker, mailoutbox
):
    response = api_client.post(REGISTER, NEW_USER)

    assert response.status_code == 201
    user = User.objects.get(email="ada@example.com")
    assert user.pk == response.json()["id"]
    assert api_client.post(REGISTER, NEW_USER).json()["code"] == "email_taken"
    [welcome] = OutboxMessage.objects.all()
    assert (welcome.actor_name, welcome.args, welcome.sent_at) == ("send_welcome_email", [user.pk], None)

    broker_down()  # the broker is back
    OutboxMessage.objects.update(available_at=F("available_at") - GRACE)
    drain_outbox.send()
    broker.join(drain_outbox.queue_name, fail_fast=True)
    worker.join()

    [mail] = mailoutbox
    assert mail.to == ["ada@example.com"] and mail.subject == "Welcome to Tixxety"


@pytest.mark.django_db
@pytest.mark.usefixtures("cache_down")
def test_sign_in_with_the_cache_down_is_still_limited_per_process(api_client, customer, caplog):
    assert api_client.post(TOKEN, {"email": customer.email, "password": PASSWORD}).status_code == 200
    for _ in range(9):
        assert api_client.post(TOKEN, {"email": customer.email, "password": "wrong"}).status_code == 401

    response = api_client.post(TOKEN, {"email": customer.email, "password": PASSWORD})

    assert_rate_limited(response, period_seconds=600)  # the default: 10 per account in 10 minutes
    # One warning when Redis fails, then the process counts alone without asking it again for a while.
    [fallback] = [r for r in caplog.records if "Rate-limit store unavailable" in r.getMessage()]
    assert fallback.levelname == "WARNING" and fallback.exc_info is None


@pytest.mark.django_db
@pytest.mark.usefixtures("cache_down")
def test_profile_reads_and_changes_with_the_cache_down(customer_api, customer):
    assert customer_api.get(ME).json()["email"] == customer.email

    response = customer_api.patch(ME, {"name": "Renamed"})

    assert response.status_code == 200
    assert User.objects.get(pk=customer.pk).name == "Renamed"
    assert customer_api.get(ME).json()["name"] == "Renamed"
