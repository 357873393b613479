"""Registration races on PostgreSQL: the unique index has the last word."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_registrations_of_one_email_create_one_account(broker):
    contenders = 8
    barrier = threading.Barrier(contenders)
    statuses, bodies = [], []

    def register():
        try:
            barrier.wait()
            response = APIClient().post(
                "/api/auth/register",
                {"name": "Racer", "email": "race@example.com", "password": "Photo-Finish-2026"},
                format="json",
            )
            statuses.append(response.status_code)
            bodies.append(response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [400] * (contenders - 1)
    assert all(b["code"] == "email_taken" for b in bodies if "code" in b)
    assert User.objects.filter(email="race@example.com").count() == 1
