from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event, TicketType
from orders.models import Order, Payment
from orders.services import order_cancel, order_reserve, orders_expire_overdue
from tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("invariants")


@pytest.fixture
def reserved(sale, customer):
    event, regular = sale
    return order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 2)])


def _untouched(order) -> tuple:
    """What a refused request must leave as it was: status, tickets, counters and payments of the order."""
    order.refresh_from_db()
    counters = TicketType.objects.filter(pk__in=order.lines.values("ticket_type")).order_by("pk")
    return (
        order.status,
        sorted(order.tickets.values_list("status", flat=True)),
        list(counters.values_list("reserved_count", "sold_count")),
        list(order.payments.order_by("pk").values_list("kind", "status")),
    )


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
    assert reserved.status == Order.Status.RESERVED
    assert Payment.objects.get(order=reserved).status == Payment.Status.FAILED
    assert _pay(customer_api, reserved).status_code == 200  # a second card works


def test_paying_twice_is_409_and_charges_once(customer_api, reserved):
    # given a paid order
    _pay(customer_api, reserved)
    paid = _untouched(reserved)

    # when it is paid again
    response = _pay(customer_api, reserved)

    # then a conflict, and still one charge, the tickets valid and the counters as they were
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert _untouched(reserved) == paid
    assert paid == (
        Order.Status.PAID,
        [Ticket.Status.VALID] * 2,
        [(0, 2)],
        [(Payment.Kind.CHARGE, Payment.Status.SUCCEEDED)],
    )


def test_paying_an_expired_reservation_is_409_and_stock_is_back(customer_api, reserved, sale):
    Order.objects.filter(pk=reserved.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _pay(customer_api, reserved)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The reservation has expired; its tickets are back on sale.",
        "code": "order_expired",
    }
    assert not Payment.objects.exists()
    assert _untouched(reserved)[0] != Order.Status.PAID
    orders_expire_overdue()  # what the sweep does within a minute, if the expiry message has not yet
    assert _untouched(reserved) == (Order.Status.EXPIRED, [Ticket.Status.VOID] * 2, [(0, 0)], [])


def test_manual_payments_are_for_staff(customer_api, staff_api, reserved):
    refused = _pay(customer_api, reserved, provider="manual", token="cash")
    assert _untouched(reserved) == (Order.Status.RESERVED, [Ticket.Status.RESERVED] * 2, [(2, 0)], [])
    accepted = _pay(staff_api, reserved, provider="manual", token="receipt 42")

    assert refused.status_code == 400 and refused.json()["code"] == "provider_not_allowed"
    assert accepted.status_code == 200
    assert Payment.objects.get(order=reserved, status=Payment.Status.SUCCEEDED).reference == "receipt 42"


@pytest.mark.parametrize("body", [{"provider": "bitcoin"}, {"provider": "test", "token": "x" * 101}, [1]])
def test_bad_payment_input_is_400(customer_api, reserved, body):
    response = customer_api.post(f"/api/orders/{reserved.pk}/pay", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "invalid_choice", "max_length"}
    assert response.json()["errors"]
    assert _untouched(reserved) == (Order.Status.RESERVED, [Ticket.Status.RESERVED] * 2, [(2, 0)], [])


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
    # given a paid order
    _pay(customer_api, reserved)
    paid = _untouched(reserved)

    # when its owner tries to cancel it
    response = customer_api.post(f"/api/orders/{reserved.pk}/cancel")

    # then a conflict, and the order, its tickets and the counters are as they were
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert _untouched(reserved) == paid


def test_owner_refunds_before_the_event(customer_api, reserved, sale):
    _pay(customer_api, reserved)

    response = customer_api.post(f"/api/orders/{reserved.pk}/refund")

    assert response.status_code == 200
    assert response.json()["status"] == "refunded"
    kinds = [(p["kind"], p["status"], p["amount"]) for p in response.json()["payments"]]
    assert kinds == [("charge", "succeeded", "50.00"), ("refund", "succeeded", "50.00")]
    assert TicketType.objects.get(pk=sale[1].pk).sold_count == 0
    assert not Ticket.objects.filter(order=reserved).exclude(status=Ticket.Status.VOID).exists()


def test_owner_cannot_refund_once_the_event_started_but_staff_can(customer_api, staff_api, reserved, sale):
    _pay(customer_api, reserved)
    Event.objects.filter(pk=sale[0].pk).update(starts_at=timezone.now() - timedelta(minutes=5))

    paid = _untouched(reserved)

    by_owner = customer_api.post(f"/api/orders/{reserved.pk}/refund")
    after_owner = _untouched(reserved)
    by_staff = staff_api.post(f"/api/orders/{reserved.pk}/refund")

    assert by_owner.status_code == 409 and by_owner.json()["code"] == "refund_window_closed"
    assert after_owner == paid
    assert by_staff.status_code == 200 and by_staff.json()["status"] == "refunded"


def test_reserved_order_cannot_be_refunded(customer_api, reserved):
    response = customer_api.post(f"/api/orders/{reserved.pk}/refund")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a paid order can be refunded; this one is reserved.",
        "code": "invalid_transition",
    }
    assert _untouched(reserved) == (Order.Status.RESERVED, [Ticket.Status.RESERVED] * 2, [(2, 0)], [])


# --- who sees what -------------------------------------------------------------


def test_nobody_touches_another_users_order(client_for, reserved):
    # given someone else's reservation
    intruder = client_for(UserFactory())
    order_path = f"/api/orders/{reserved.pk}"
    before = _untouched(reserved)

    # when an intruder reads, pays, cancels and refunds it
    responses = [
        intruder.get(order_path),
        _pay(intruder, reserved),
        intruder.post(f"{order_path}/cancel"),
        intruder.post(f"{order_path}/refund"),
    ]

    # then each is a 404 like a missing order, and nothing changed
    assert [r.status_code for r in responses] == [404] * 4
    assert {r.json()["code"] for r in responses} == {"not_found"}
    assert _untouched(reserved) == before
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


def test_a_ticket_secret_is_shown_only_to_its_owner(customer_api, staff_api, staff, reserved, sale):
    """Staff see every order, but a ticket's secret is the admission itself: it is its owner's alone."""
    paid = _pay(customer_api, reserved).json()
    own = order_reserve(user=staff, event_id=sale[0].pk, items=[(sale[1].pk, 1)])
    secret_of = dict(Ticket.objects.values_list("pk", "secret"))
    customer_secrets = set(reserved.tickets.values_list("secret", flat=True))

    by_owner = customer_api.get(f"/api/orders/{reserved.pk}").json()
    staff_responses = [
        staff_api.get(f"/api/orders/{reserved.pk}"),
        staff_api.get("/api/orders"),
        staff_api.get("/api/orders", {"user": reserved.user_id}),
        staff_api.post(f"/api/orders/{reserved.pk}/refund"),
    ]
    staff_list = {o["id"]: o for o in staff_responses[1].json()["results"]}

    for shown in (paid, by_owner):
        assert [t["secret"] for t in shown["tickets"]] == [secret_of[t["id"]] for t in shown["tickets"]]
    assert [t["secret"] for t in staff_responses[0].json()["tickets"]] == [None, None]
    assert [t["secret"] for t in staff_list[own.pk]["tickets"]] == [own.tickets.get().secret]
    for response in staff_responses:
        assert response.status_code == 200
        assert not any(secret in response.content.decode() for secret in customer_secrets)


def test_the_booking_response_shows_the_buyer_their_secrets(customer_api, customer, sale):
    response = customer_api.post(
        f"/api/events/{sale[0].pk}/book", {"ticket_type": sale[1].pk, "quantity": 2}, format="json"
    )

    assert response.status_code == 201
    order = Order.objects.get(user=customer)
    assert sorted(t["secret"] for t in response.json()["tickets"]) == sorted(
        order.tickets.values_list("secret", flat=True)
    )


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
    responses = [customer_api.get("/api/orders/abc"), customer_api.post("/api/orders/abc/pay", {})]

    assert [(r.status_code, r.json()["code"]) for r in responses] == [(404, "not_found")] * 2


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


def test_csv_export_is_for_staff(customer_api, reserved):
    response = customer_api.get("/api/payments/export")

    assert response.status_code == 403
    assert response.json() == {"detail": "Staff access required.", "code": "permission_denied"}
