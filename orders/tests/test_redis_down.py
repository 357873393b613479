"""Redis unreachable (broker and cache on a closed port): committed work answers as committed.

The transactions really commit here (``transaction=True``), so the on-commit
sends really run and really fail with "connection refused". Before the
after-commit helper such a failure turned a committed booking into a 500,
the 500 released the Idempotency-Key, and each retry booked again.
"""

import pytest
from django.db.models import F
from prometheus_client import REGISTRY

from orders.models import Cart, IdempotencyRecord, Order, Payment
from orders.services import order_pay, order_reserve
from orders.tests.factories import on_sale_event
from tixxety.models import OutboxMessage
from tixxety.outbox import GRACE
from tixxety.tasks import drain_outbox

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants", "broker_down", "cache_down"),
]


def _failures(what: str) -> float:
    return REGISTRY.get_sample_value("tixxety_after_commit_failures_total", {"what": what}) or 0.0


def test_book_retried_with_one_key_reserves_one_order(customer_api, customer):
    event, types = on_sale_event(Regular=10)
    body = {"ticket_type": types["Regular"].pk, "quantity": 2}
    failures_before = _failures("send expire_order")

    responses = [
        customer_api.post(f"/api/events/{event.pk}/book", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        for _ in range(3)
    ]

    assert [r.status_code for r in responses] == [201, 201, 201]
    assert [r.get("Idempotent-Replayed") for r in responses] == [None, "true", "true"]
    [order] = Order.objects.all()
    assert order.status == Order.Status.RESERVED and order.user == customer
    assert {r.json()["id"] for r in responses} == {order.pk}
    record = IdempotencyRecord.objects.get(user=customer, key="k-1")
    assert record.response_status == 201 and record.response_body["id"] == order.pk
    assert _failures("send expire_order") == failures_before + 1


def test_pay_answers_200_and_charges_once(customer_api, customer):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    body = {"provider": "test", "token": "tok_visa"}

    first = customer_api.post(f"/api/orders/{order.pk}/pay", body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    retry = customer_api.post(f"/api/orders/{order.pk}/pay", body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")

    assert (first.status_code, first.json()["status"]) == (200, "paid")
    assert (retry.status_code, retry["Idempotent-Replayed"]) == (200, "true")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).count() == 1
    assert IdempotencyRecord.objects.get(user=customer, key="p-1").response_status == 200
    [receipt] = OutboxMessage.objects.all()
    assert (receipt.actor_name, receipt.args, receipt.sent_at) == ("send_receipt_email", [order.pk], None)


def test_the_receipt_is_mailed_once_when_the_broker_is_back(
    customer, broker_down, broker, worker, mailoutbox
):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    assert OutboxMessage.objects.get().sent_at is None

    broker_down()  # the broker is back
    OutboxMessage.objects.update(available_at=F("available_at") - GRACE)
    for _ in range(2):
        drain_outbox.send()
        broker.join(drain_outbox.queue_name, fail_fast=True)
        worker.join()

    [receipt] = mailoutbox
    assert order.code in receipt.subject and receipt.to == [customer.email]
    assert OutboxMessage.objects.get().sent_at is not None


def test_checkout_answers_201_with_the_order_and_an_empty_cart(customer_api, customer):
    _event, types = on_sale_event(Regular=10)
    added = customer_api.post("/api/cart/items", {"ticket_type": types["Regular"].pk, "quantity": 3})
    assert added.status_code == 201

    response = customer_api.post("/api/cart/checkout", format="json", HTTP_IDEMPOTENCY_KEY="c-1")

    assert response.status_code == 201
    [order] = Order.objects.all()
    assert (response.json()["id"], order.source, order.status) == (order.pk, "cart", "reserved")
    assert not Cart.objects.get(user=customer).items.exists()
    assert IdempotencyRecord.objects.get(user=customer, key="c-1").response_status == 201


def test_signed_in_reads_with_redis_down(customer_api, customer):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 1)])

    orders = customer_api.get("/api/orders")
    detail = customer_api.get(f"/api/orders/{order.pk}")
    me = customer_api.get("/api/auth/me")

    assert orders.status_code == 200 and [o["id"] for o in orders.json()["results"]] == [order.pk]
    assert detail.status_code == 200 and detail.json()["code"] == order.code
    assert me.status_code == 200 and me.json()["email"] == customer.email
