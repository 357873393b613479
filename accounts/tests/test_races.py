"""Registration races on PostgreSQL: the unique index has the last word."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_registrations_of_one_email_create_one_account(broker, race, rate_limits):
    # given eight sign-ups of one e-mail address, more than its rate limit would let through
    rate_limits(register_account="100/h")
    contenders = 8
    body = {"name": "Racer", "email": "race@example.com", "password": "Photo-Finish-2026"}

    # when they arrive at once
    responses = race(*[lambda: APIClient().post("/api/auth/register", body, format="json")] * contenders)

    # then one account is made and the others are told the address is taken
    assert sorted(r.status_code for r in responses) == [201] + [400] * (contenders - 1)
    assert [r.json()["code"] for r in responses if r.status_code == 400] == ["email_taken"] * (contenders - 1)
    assert User.objects.filter(email="race@example.com").count() == 1
