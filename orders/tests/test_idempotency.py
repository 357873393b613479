import contextlib
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import TicketType
from orders.models import IdempotencyRecord, Order, Payment
from orders.services import order_reserve
from orders.services.idempotency import STALE_CLAIM, idempotency_purge

pytestmark = pytest.mark.usefixtures("invariants")


def _book(api, event, body, key):
    return api.post(f"/api/events/{event.pk}/book", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_and_body_replays_the_first_response(customer_api, sale):
    event, regular = sale
    body = {"ticket_type": regular.pk, "quantity": 2}

    first = _book(customer_api, event, body, "order-123")
    second = _book(customer_api, event, body, "order-123")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_same_key_with_another_body_is_422(customer_api, sale):
    event, regular = sale
    _book(customer_api, event, {"ticket_type": regular.pk, "quantity": 2}, "order-123")

    response = _book(customer_api, event, {"ticket_type": regular.pk, "quantity": 3}, "order-123")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_mismatch"
    assert Order.objects.count() == 1


def test_keys_are_per_user(customer_api, staff_api, sale):
    event, regular = sale
    body = {"ticket_type": regular.pk, "quantity": 1}

    _book(customer_api, event, body, "shared-key")
    _book(staff_api, event, body, "shared-key")

    assert Order.objects.count() == 2


def test_error_responses_are_replayed_too(customer_api, sale):
    event, regular = sale
    body = {"ticket_type": regular.pk, "quantity": 11}

    first = _book(customer_api, event, body, "too-many")
    second = _book(customer_api, event, body, "too-many")

    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()
    assert first.json()["code"] == "max_per_order"
    assert second["Idempotent-Replayed"] == "true"
    assert not Order.objects.exists()


def test_pay_with_a_key_charges_once(customer_api, customer, sale):
    event, regular = sale
    order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    body = {"provider": "test", "token": "tok_visa"}

    responses = [
        customer_api.post(f"/api/orders/{order.pk}/pay", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
        for _ in range(3)
    ]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.get("Idempotent-Replayed") for r in responses] == [None, "true", "true"]
    assert Payment.objects.filter(order=order).count() == 1


@pytest.mark.parametrize("key", ["", "   ", "\t", "k" * 256, "k\x00k", "line\nbreak", "cl\u00e9"])
def test_unusable_keys_are_400(customer_api, sale, key):
    event, regular = sale

    response = _book(customer_api, event, {"ticket_type": regular.pk, "quantity": 1}, key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Order.objects.exists()


def test_whitespace_around_a_key_is_not_part_of_it(customer_api, sale):
    """As HTTP says and gunicorn does (it strips header values); the test client sends them as given."""
    event, regular = sale
    body = {"ticket_type": regular.pk, "quantity": 1}

    first = _book(customer_api, event, body, "order-7")
    padded = _book(customer_api, event, body, "  order-7\t")

    assert (first.status_code, padded.status_code) == (201, 201)
    assert padded["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_a_key_still_in_flight_is_409(customer_api, customer, sale):
    event, regular = sale
    body = {"ticket_type": regular.pk, "quantity": 1}
    _book(customer_api, event, body, "slow")
    IdempotencyRecord.objects.filter(key="slow").update(response_status=None, response_body=None)

    response = _book(customer_api, event, body, "slow")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_flight"
    assert Order.objects.count() == 1
    assert TicketType.objects.get(pk=regular.pk).reserved_count == 1


def test_a_claim_abandoned_by_a_dead_request_can_be_retried(customer_api, sale):
    event, regular = sale
    body = {"ticket_type": regular.pk, "quantity": 1}
    _book(customer_api, event, body, "crashed")
    IdempotencyRecord.objects.filter(key="crashed").update(
        response_status=None, created_at=timezone.now() - timedelta(minutes=10)
    )

    response = _book(customer_api, event, body, "crashed")

    assert response.status_code == 201
    assert Order.objects.count() == 2


def test_records_older_than_a_day_are_purged(customer_api, sale):
    event, regular = sale
    _book(customer_api, event, {"ticket_type": regular.pk, "quantity": 1}, "old")
    _book(customer_api, event, {"ticket_type": regular.pk, "quantity": 1}, "new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    assert idempotency_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def _lose_the_connection_before_storing_the_response(execute, sql, params, many, context):
    """Kill this session's PostgreSQL backend just before the decorator stores the response."""
    if sql.startswith("UPDATE") and IdempotencyRecord._meta.db_table in sql:
        # The server ends the session under this very statement, which then fails.
        with contextlib.suppress(Exception):
            context["cursor"].cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    return execute(sql, params, many, context)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_booking_whose_answer_is_lost_with_the_connection_is_booked_once(client_for, sale):
    # given a buyer whose database connection dies just before the booking's answer is stored
    event, regular = sale
    client = client_for(UserFactory())
    body = {"ticket_type": regular.pk, "quantity": 2}
    with connection.execute_wrapper(_lose_the_connection_before_storing_the_response):
        lost = _book(client, event, body, "lost-answer")

    # then the request failed as a whole: no order was committed without its answer
    assert lost.status_code == 503
    assert not Order.objects.exists()
    assert TicketType.objects.get(pk=regular.pk).reserved_count == 0

    # when the buyer retries with the key, at once and after the claim has gone stale
    at_once = _book(client, event, body, "lost-answer")
    IdempotencyRecord.objects.update(created_at=timezone.now() - STALE_CLAIM - timedelta(seconds=1))
    later = _book(client, event, body, "lost-answer")
    replayed = _book(client, event, body, "lost-answer")

    # then the key books exactly one order, and replays it from then on
    assert at_once.status_code == 409 and at_once.json()["code"] == "idempotency_in_flight"
    assert later.status_code == replayed.status_code == 201
    assert replayed["Idempotent-Replayed"] == "true" and replayed.json() == later.json()
    assert Order.objects.count() == 1
