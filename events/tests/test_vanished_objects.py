"""An object deleted while a request waited for its row lock is a 404, not a 500."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.models import User
from accounts.tests.factories import UserFactory
from events.models import TicketType
from events.tests.factories import TicketTypeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wait_until_blocked_on_a_lock(request: threading.Thread, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and request.is_alive():
        with connection.cursor() as cursor:
            # Activity is read from a snapshot kept for the whole transaction unless it is cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the DELETE did not wait for the row lock")


def test_deleting_a_ticket_type_another_request_just_deleted_is_404(client_for):
    # Given an admin's DELETE that has read the ticket type and waits for its row lock
    ticket_type = TicketTypeFactory()
    admin_api = client_for(UserFactory(role=User.Role.ADMIN))
    responses = []

    def delete():
        try:
            responses.append(admin_api.delete(f"/api/ticket-types/{ticket_type.pk}/"))
        finally:
            connection.close()

    with transaction.atomic():
        TicketType.objects.select_for_update().get(pk=ticket_type.pk)
        request = threading.Thread(target=delete)
        request.start()
        _wait_until_blocked_on_a_lock(request)
        # When another request deletes it first
        TicketType.objects.filter(pk=ticket_type.pk).delete()
    request.join(timeout=10)

    # Then the waiting request answers 404 in the error shape
    assert [r.status_code for r in responses] == [404]
    assert responses[0].json()["code"] == "not_found"
