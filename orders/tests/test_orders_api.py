from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event, TicketType
from orders.models import Order, Payment
from orders.services import order_cancel, order_reserve
from orders.tests.factories import on_sale_event
from tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("invariants")


@pytest.fixture
def sale():
    event, types = on_sale_event(Regular=10)
    return event, types["Regular"]


@pytest.fixture
def reserved(sale, customer):
    event, regular = sale
    return order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 2)])


def _pay(api, order, token="tok_visa", provider="test", **headers):
    return api.post(
        f"/api/orders/{order.pk}/pay", {"provider": provider, "token": token}, format="json", **headers
    )


# --- pay ---------------------------------------------------------------------


def test_pay_turns_tickets_valid_and_moves_counts(
    customer_api, reserved, sale, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _pay(customer_api, reserved)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "paid" and body["paid_at"]
    assert {t["status"] for t in body["tickets"]} == {"valid"}
    [payment] = body["payments"]
    assert (payment["kind"], payment["status"], payment["amount"]) == ("charge", "succeeded", "50.00")
    regular = TicketType.objects.get(pk=sale[1].pk)
    assert (regular.reserved_count, regular.sold_count) == (0, 2)


def test_declined_payment_is_402_logged_and_order_stays_reserved(customer_api, reserved):
    response = _pay(customer_api, reserved, token="tok_declined")

    assert response.status_code == 402
    assert response.json() == {"detail": "Your card was declined.", "code": "payment_declined"}
    reserved.refresh_from_db()
    assert reserved.status == "reserved"
    assert Payment.objects.get(order=reserved).status == "failed"
    assert _pay(customer_api, reserved).status_code == 200  # a second card works


def test_paying_twice_is_409_and_charges_once(customer_api, reserved):
    _pay(customer_api, reserved)

    response = _pay(customer_api, reserved)

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert Payment.objects.filter(order=reserved, status="succeeded").count() == 1


def test_paying_an_expired_reservation_is_409_and_stock_is_back(customer_api, reserved, sale):
    Order.objects.filter(pk=reserved.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _pay(customer_api, reserved)

    assert response.status_code == 409
    assert response.json()["code"] == "order_expired"
    assert not Payment.objects.exists()


def test_manual_payments_are_for_staff(customer_api, staff_api, reserved):
    refused = _pay(customer_api, reserved, provider="manual", token="cash")
    accepted = _pay(staff_api, reserved, provider="manual", token="receipt 42")

    assert refused.status_code == 400 and refused.json()["code"] == "provider_not_allowed"
    assert accepted.status_code == 200
    assert Payment.objects.get(order=reserved, status="succeeded").reference == "receipt 42"


@pytest.mark.parametrize("body", [{"provider": "bitcoin"}, {"provider": "test", "token": "x" * 101}, [1]])
def test_bad_payment_input_is_400(customer_api, reserved, body):
    response = customer_api.post(f"/api/orders/{reserved.pk}/pay", body, format="json")

    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_receipt_email_is_sent_after_payment(
    customer_api, reserved, mailoutbox, django_capture_on_commit_callbacks
):
    from orders.tasks import order_receipt_send_task

    _pay(customer_api, reserved)
    order_receipt_send_task(reserved.pk)

    [mail] = mailoutbox
    assert reserved.code in mail.subject
    assert "2 x Regular" in mail.body and "Total paid: 50.00 USD" in mail.body


# --- cancel and refund ---------------------------------------------------------


def test_owner_cancels_a_reservation(customer_api, reserved, sale):
    response = customer_api.post(f"/api/orders/{reserved.pk}/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert {t["status"] for t in response.json()["tickets"]} == {"void"}
    assert TicketType.objects.get(pk=sale[1].pk).reserved_count == 0
    assert customer_api.post(f"/api/orders/{reserved.pk}/cancel").status_code == 200  # no-op


def test_paid_order_cannot_be_cancelled(customer_api, reserved):
    _pay(customer_api, reserved)

    response = customer_api.post(f"/api/orders/{reserved.pk}/cancel")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_owner_refunds_before_the_event(customer_api, reserved, sale):
    _pay(customer_api, reserved)

    response = customer_api.post(f"/api/orders/{reserved.pk}/refund")

    assert response.status_code == 200
    assert response.json()["status"] == "refunded"
    kinds = [(p["kind"], p["status"], p["amount"]) for p in response.json()["payments"]]
    assert kinds == [("charge", "succeeded", "50.00"), ("refund", "succeeded", "50.00")]
    assert TicketType.objects.get(pk=sale[1].pk).sold_count == 0
    assert not Ticket.objects.filter(order=reserved).exclude(status="void").exists()


def test_owner_cannot_refund_once_the_event_started_but_staff_can(customer_api, staff_api, reserved, sale):
    _pay(customer_api, reserved)
    Event.objects.filter(pk=sale[0].pk).update(starts_at=timezone.now() - timedelta(minutes=5))

    by_owner = customer_api.post(f"/api/orders/{reserved.pk}/refund")
    by_staff = staff_api.post(f"/api/orders/{reserved.pk}/refund")

    assert by_owner.status_code == 409 and by_owner.json()["code"] == "refund_window_closed"
    assert by_staff.status_code == 200 and by_staff.json()["status"] == "refunded"


def test_reserved_order_cannot_be_refunded(customer_api, reserved):
    assert customer_api.post(f"/api/orders/{reserved.pk}/refund").status_code == 409


# --- who sees what -------------------------------------------------------------


def test_nobody_touches_another_users_order(client_for, reserved):
    intruder = client_for(UserFactory())
    order_path = f"/api/orders/{reserved.pk}"

    responses = [
        intruder.get(order_path),
        _pay(intruder, reserved),
        intruder.post(f"{order_path}/cancel"),
        intruder.post(f"{order_path}/refund"),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    reserved.refresh_from_db()
    assert reserved.status == "reserved"
    assert not Payment.objects.exists()
    assert intruder.get("/api/orders").json()["count"] == 0
    assert intruder.get("/api/payments").json()["count"] == 0


def test_orders_list_is_the_owners(customer_api, reserved):
    order_reserve(
        user=UserFactory(), event_id=reserved.event_id, items=[(reserved.lines.get().ticket_type_id, 1)]
    )

    body = customer_api.get("/api/orders").json()

    assert [o["code"] for o in body["results"]] == [reserved.code]


def test_staff_see_and_filter_all_orders(staff_api, staff, reserved, sale):
    other = order_reserve(user=UserFactory(), event_id=sale[0].pk, items=[(sale[1].pk, 1)])
    order_reserve(user=UserFactory(), event_id=sale[0].pk, items=[(sale[1].pk, 1)])
    order_cancel(order_id=other.pk, by=staff)

    assert staff_api.get("/api/orders").json()["count"] == 3
    assert [o["code"] for o in staff_api.get("/api/orders", {"status": "cancelled"}).json()["results"]] == [
        other.code
    ]
    assert staff_api.get("/api/orders", {"user": reserved.user_id}).json()["count"] == 1
    assert staff_api.get("/api/orders", {"event": sale[0].pk}).json()["count"] == 3
    assert staff_api.get("/api/orders", {"status": "bogus"}).status_code == 400


def test_customer_user_filter_is_ignored(customer_api, reserved):
    other = order_reserve(
        user=UserFactory(), event_id=reserved.event_id, items=[(reserved.lines.get().ticket_type_id, 1)]
    )

    body = customer_api.get("/api/orders", {"user": other.user_id}).json()

    assert [o["code"] for o in body["results"]] == [reserved.code]


def test_orders_list_query_count_does_not_grow(customer_api, customer, sale, django_assert_max_num_queries):
    for _ in range(8):
        order_reserve(user=customer, event_id=sale[0].pk, items=[(sale[1].pk, 1)])

    with django_assert_max_num_queries(7):
        response = customer_api.get("/api/orders")

    assert response.json()["count"] == 8


def test_non_numeric_order_id_is_404(customer_api):
    assert customer_api.get("/api/orders/abc").status_code == 404
    assert customer_api.post("/api/orders/abc/pay", {}).status_code == 404


# --- transaction log -------------------------------------------------------------


def test_payments_log_and_csv_export(customer_api, staff_api, reserved):
    _pay(customer_api, reserved, token="tok_declined")
    _pay(customer_api, reserved)

    log = customer_api.get("/api/payments").json()
    export = staff_api.get("/api/payments/export")

    assert [p["status"] for p in log["results"]] == ["succeeded", "failed"]
    assert export.status_code == 200
    assert export["Content-Type"] == "text/csv"
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("created_at,order,user,event,kind,status,amount")
    assert len(lines) == 3 and all(reserved.code in line for line in lines[1:])


def test_csv_export_is_for_staff(customer_api):
    assert customer_api.get("/api/payments/export").status_code == 403
