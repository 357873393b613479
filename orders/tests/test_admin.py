import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Seat
from events.services import seats_generate
from orders.exports import PAYMENT_COLUMNS
from orders.models import Order, Payment
from orders.services import order_pay, order_refund, order_reserve
from orders.tests.factories import on_sale_event
from tickets.models import Ticket
from tixxety.exceptions import PaymentDeclined

pytestmark = pytest.mark.usefixtures("invariants")

ORDERS = "/admin/orders/order/"
PAYMENTS = "/admin/orders/payment/"
PAYMENTS_EXPORT = "/admin/orders/payment/export/"
TICKETS = "/admin/tickets/ticket/"
ORDER_ACTIONS = {"mark_paid", "cancel_orders", "refund_orders"}


def reserve(user, ticket_type, quantity=1) -> Order:
    return order_reserve(user=user, event_id=ticket_type.event_id, items=[(ticket_type.pk, quantity)])


def paid(user, ticket_type, quantity=1) -> Order:
    order = reserve(user, ticket_type, quantity)
    return order_pay(order_id=order.pk, by=user, provider="test", token="tok_visa")


def refunded(user, ticket_type, quantity=1) -> Order:
    order = paid(user, ticket_type, quantity)
    return order_refund(order_id=order.pk, by=user)


def run_action(client, action, orders):
    return client.post(
        ORDERS,
        {"action": action, "_selected_action": [order.pk for order in orders], "index": 0},
        follow=True,
    )


def messages_of(response):
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


def results(client, path, params=None):
    response = client.get(path, params or {})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def counters(ticket_type):
    ticket_type.refresh_from_db()
    return ticket_type.reserved_count, ticket_type.sold_count


# --- who gets in ------------------------------------------------------------


@pytest.mark.parametrize("path", [ORDERS, PAYMENTS, TICKETS, PAYMENTS_EXPORT])
def test_customers_cannot_reach_orders_payments_or_tickets(client, customer, path):
    client.force_login(customer)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_list_orders_with_filters_and_search(client, staff, customer):
    # given orders of two customers in several states
    jazz, jazz_types = on_sale_event(Regular=10)
    jazz.title = "Jazz Night"
    jazz.save()
    rock, rock_types = on_sale_event(Regular=10)
    rock.title = "Rock Gala"
    rock.save()
    reserved = reserve(customer, jazz_types["Regular"])
    sold = paid(UserFactory(), rock_types["Regular"], 2)
    client.force_login(staff)

    def codes(params=None):
        return sorted(order.code for order in results(client, ORDERS, params))

    # when staff filter and search the order list, then each view lists exactly the matching orders
    both = sorted([reserved.code, sold.code])
    assert codes() == both
    assert codes({"status__exact": "paid"}) == [sold.code]
    assert codes({"source__exact": "direct"}) == both
    assert codes({"event__id__exact": jazz.pk}) == [reserved.code]
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = {"created_at__gte": str(midnight), "created_at__lt": str(midnight + timedelta(days=1))}
    assert codes(today) == both
    assert codes({"q": reserved.code}) == [reserved.code]
    assert codes({"q": customer.email}) == [reserved.code]
    assert codes({"q": "rock gala"}) == [sold.code]
    page = client.get(ORDERS)
    assert customer.email in page.text and "Jazz Night" in page.text


def test_staff_see_an_order_with_its_lines_tickets_and_payments_but_no_secrets(client, staff, customer):
    # given a paid order
    event, types = on_sale_event(Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=3)
    seats = Seat.objects.filter(label__in=["A1", "A2"])
    order = order_reserve(user=customer, event_id=event.pk, seat_ids=[seat.pk for seat in seats])
    order = order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    charge = order.payments.get()
    client.force_login(staff)

    # when staff open it in the admin
    response = client.get(f"{ORDERS}{order.pk}/change/")

    # then its lines, tickets and payments show, and no ticket secret
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert order.code in response.text and customer.email in response.text
    assert "A1" in response.text and "A2" in response.text
    assert charge.reference in response.text
    for secret in order.tickets.values_list("secret", flat=True):
        assert secret not in response.text
    for inline in response.context["inline_admin_formsets"]:
        assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_nobody_adds_changes_or_deletes_orders_payments_or_tickets(client, customer, role, request):
    _, types = on_sale_event(Regular=10)
    order = paid(customer, types["Regular"])
    client.force_login(request.getfixturevalue(role))

    for path, pk in [
        (ORDERS, order.pk),
        (PAYMENTS, order.payments.get().pk),
        (TICKETS, order.tickets.get().pk),
    ]:
        assert client.get(f"{path}add/").status_code == 403
        assert client.post(f"{path}{pk}/delete/", {"post": "yes"}).status_code == 403
        change = client.get(f"{path}{pk}/change/")
        assert change.status_code == 200 and not change.context["has_change_permission"]
        assert client.post(f"{path}{pk}/change/", {}).status_code == 403
    assert Order.objects.filter(pk=order.pk, status=Order.Status.PAID).exists()


def test_staff_are_offered_the_order_actions_but_not_delete(client, staff):
    _, types = on_sale_event(Regular=10)
    reserve(staff, types["Regular"])
    client.force_login(staff)

    response = client.get(ORDERS)

    choices = {name for name, _ in response.context["action_form"].fields["action"].choices if name}
    assert choices == ORDER_ACTIONS


# --- order actions ----------------------------------------------------------


def test_mark_paid_records_a_manual_payment_by_staff(client, staff, customer):
    # given a reservation
    _, types = on_sale_event(Regular=10)
    order = reserve(customer, types["Regular"], 2)
    client.force_login(staff)

    # when staff mark it paid
    response = run_action(client, "mark_paid", [order])

    # then a manual payment by them is recorded and the tickets are valid
    assert messages_of(response) == [("success", "Marked 1 order paid.")]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_at
    payment = order.payments.get()
    assert (payment.kind, payment.status, payment.provider, payment.reference) == (
        Payment.Kind.CHARGE,
        Payment.Status.SUCCEEDED,
        "manual",
        "admin",
    )
    assert payment.amount == order.total and payment.created_by == staff
    assert counters(types["Regular"]) == (0, 2)
    assert set(order.tickets.values_list("status", flat=True)) == {Ticket.Status.VALID}


def test_mark_paid_refuses_an_expired_reservation_and_changes_nothing(client, staff, customer):
    _, types = on_sale_event(Regular=10)
    order = reserve(customer, types["Regular"], 2)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(staff)

    response = run_action(client, "mark_paid", [order])

    assert messages_of(response) == [
        ("error", f"{order.code}: The reservation has expired; its tickets are back on sale. (order_expired)")
    ]
    order.refresh_from_db()
    assert order.status == Order.Status.RESERVED
    assert not order.payments.exists()
    assert counters(types["Regular"]) == (2, 0)


def test_cancel_releases_a_reservation_and_repeating_it_does_nothing(client, staff, customer):
    _, types = on_sale_event(Regular=10)
    order = reserve(customer, types["Regular"], 3)
    client.force_login(staff)

    first = run_action(client, "cancel_orders", [order])
    again = run_action(client, "cancel_orders", [order])

    assert messages_of(first) == [("success", "Cancelled 1 order.")]
    assert messages_of(again) == [("info", f"Nothing to do for 1 order: {order.code} (cancelled).")]
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert counters(types["Regular"]) == (0, 0)
    assert set(order.tickets.values_list("status", flat=True)) == {Ticket.Status.VOID}


def test_cancel_refuses_a_paid_order_but_cancels_the_others(client, staff, customer):
    # given a paid and a reserved order
    _, types = on_sale_event(Regular=10, VIP=5)
    sold = paid(customer, types["VIP"], 2)
    reserved = reserve(customer, types["Regular"], 1)
    client.force_login(staff)

    # when staff cancel both
    response = run_action(client, "cancel_orders", [sold, reserved])

    # then the reserved one is cancelled and the paid one refused
    assert messages_of(response) == [
        (
            "error",
            f"{sold.code}: A paid order cannot be cancelled; a paid order is refunded. (invalid_transition)",
        ),
        ("success", "Cancelled 1 order."),
    ]
    sold.refresh_from_db()
    reserved.refresh_from_db()
    assert (sold.status, reserved.status) == (Order.Status.PAID, Order.Status.CANCELLED)
    assert counters(types["VIP"]) == (0, 2)
    assert counters(types["Regular"]) == (0, 0)
    assert sold.payments.count() == 1


def test_refund_refunds_a_paid_order_and_refuses_a_reserved_one(client, admin, customer):
    # given a paid and a reserved order
    _, types = on_sale_event(Regular=10)
    sold = paid(customer, types["Regular"], 2)
    reserved = reserve(customer, types["Regular"], 1)
    client.force_login(admin)

    # when an admin refunds both
    response = run_action(client, "refund_orders", [sold, reserved])

    # then the paid one is refunded and the reserved one refused
    assert messages_of(response) == [
        (
            "error",
            f"{reserved.code}: Only a paid order can be refunded; this one is reserved. (invalid_transition)",
        ),
        ("success", "Refunded 1 order."),
    ]
    sold.refresh_from_db()
    assert sold.status == Order.Status.REFUNDED
    refund = sold.payments.get(kind=Payment.Kind.REFUND)
    assert (refund.amount, refund.status, refund.created_by) == (sold.total, Payment.Status.SUCCEEDED, admin)
    assert counters(types["Regular"]) == (1, 0)
    assert Order.objects.get(pk=reserved.pk).status == Order.Status.RESERVED


# --- the changelists cost the same for 3 rows or 30 -------------------------


def _changelist_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


@pytest.mark.parametrize(("path", "rows_per_order"), [(ORDERS, 1), (PAYMENTS, 1), (TICKETS, 2)])
def test_changelist_query_count_does_not_grow_with_rows(client, staff, path, rows_per_order):
    def make_orders(count):
        for _ in range(count):
            _, types = on_sale_event(Regular=10)
            paid(UserFactory(), types["Regular"], 2)

    client.force_login(staff)
    make_orders(3)
    few_queries, few_rows = _changelist_queries(client, path)
    make_orders(12)

    many_queries, many_rows = _changelist_queries(client, path)

    assert (few_rows, many_rows) == (3 * rows_per_order, 15 * rows_per_order)
    assert many_queries == few_queries
    assert few_queries <= 10


# --- the transaction log ----------------------------------------------------


def _payment_log(customer):
    """A charge, a charge and its refund, and a declined attempt."""
    _, types = on_sale_event(Regular=10)
    kept = paid(customer, types["Regular"])
    returned = refunded(customer, types["Regular"])
    declined = reserve(customer, types["Regular"])
    with pytest.raises(PaymentDeclined):
        order_pay(order_id=declined.pk, by=customer, provider="test", token="tok_declined")
    return kept, returned, declined


def test_staff_list_payments_with_filters_and_search(client, staff, customer):
    # given charges and refunds of several orders
    kept, returned, declined = _payment_log(customer)
    manual = reserve(UserFactory(email="boxoffice@example.com"), kept.lines.get().ticket_type)
    order_pay(order_id=manual.pk, by=staff, provider="manual", token="receipt-0042")
    client.force_login(staff)

    def orders(params=None):
        return sorted(payment.order.code for payment in results(client, PAYMENTS, params))

    # when staff filter and search the transaction log, then each view lists exactly the matching payments
    assert len(orders()) == 5
    assert orders({"kind__exact": "refund"}) == [returned.code]
    assert orders({"status__exact": "failed"}) == [declined.code]
    assert orders({"provider": "manual"}) == [manual.code]
    assert orders({"q": returned.code}) == [returned.code, returned.code]
    assert orders({"q": "receipt-0042"}) == [manual.code]
    assert orders({"q": "boxoffice@"}) == [manual.code]
    page = client.get(PAYMENTS)
    assert "receipt-0042" in page.text and customer.email in page.text
    assert f'href="{PAYMENTS_EXPORT}?' in page.text
    payment = kept.payments.get()
    assert client.get(f"{PAYMENTS}{payment.pk}/change/").status_code == 200


def test_export_action_writes_a_header_and_one_row_per_selected_payment(client, staff, customer):
    # given some payments
    kept, returned, _ = _payment_log(customer)
    selected = [kept.payments.get(), *returned.payments.order_by("created_at", "id")]
    client.force_login(staff)

    # when staff export a selection of them
    response = client.post(
        PAYMENTS,
        {"action": "export_csv", "_selected_action": [payment.pk for payment in selected], "index": 0},
    )

    # then the CSV has the header and one row per selected payment
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response.content)
    assert header == list(PAYMENT_COLUMNS)
    assert [(row[1], row[4], row[5]) for row in rows] == [
        (kept.code, "charge", "succeeded"),
        (returned.code, "charge", "succeeded"),
        (returned.code, "refund", "succeeded"),
    ]
    assert rows[0][2] == customer.email and rows[0][6] == str(kept.total)
    assert rows[0][9] == selected[0].reference


def test_export_button_streams_the_log_as_filtered(client, staff, customer):
    _, returned, declined = _payment_log(customer)
    client.force_login(staff)

    def export(params=None):
        response = client.get(PAYMENTS_EXPORT, params or {})
        assert response.status_code == 200 and response.streaming
        header, *rows = csv_rows(b"".join(response.streaming_content))
        assert header == list(PAYMENT_COLUMNS)
        return [(row[1], row[4], row[5]) for row in rows]

    assert len(export()) == Payment.objects.count() == 4
    assert export({"kind__exact": "refund"}) == [(returned.code, "refund", "succeeded")]
    assert export({"q": declined.code}) == [(declined.code, "charge", "failed")]


def test_export_neutralises_cells_a_spreadsheet_would_run(client, staff):
    event, types = on_sale_event(Regular=10)
    event.title = "=HYPERLINK(1)"
    event.save()
    paid(UserFactory(), types["Regular"])
    client.force_login(staff)

    response = client.get(PAYMENTS_EXPORT)

    _, row = csv_rows(b"".join(response.streaming_content))
    assert row[3] == "'=HYPERLINK(1)"


# --- tickets ----------------------------------------------------------------


def test_staff_list_tickets_with_filters_and_search_never_showing_secrets(client, staff):
    # given tickets of several orders
    jazz, jazz_types = on_sale_event(Regular=10)
    _, rock_types = on_sale_event(Regular=10)
    ada = paid(UserFactory(name="Ada Lovelace"), jazz_types["Regular"], 2)
    bob = reserve(UserFactory(name="Bob Dylan"), rock_types["Regular"], 1)
    secret = bob.tickets.get().secret
    client.force_login(staff)

    def ticket_ids(params=None):
        return sorted(ticket.pk for ticket in results(client, TICKETS, params))

    # when staff filter and search the ticket list, then each view lists the matching tickets, never a secret
    ada_ids = sorted(ada.tickets.values_list("pk", flat=True))
    bob_ids = [bob.tickets.get().pk]
    assert ticket_ids() == sorted(ada_ids + bob_ids)
    assert ticket_ids({"status__exact": "valid"}) == ada_ids
    assert ticket_ids({"ticket_type__event__id__exact": jazz.pk}) == ada_ids
    assert ticket_ids({"q": ada.code}) == ada_ids
    assert ticket_ids({"q": "lovelace"}) == ada_ids
    assert ticket_ids({"q": secret}) == bob_ids
    assert ticket_ids({"q": secret[:12]}) == []
    page = client.get(TICKETS)
    ticket = ada.tickets.first()
    detail = client.get(f"{TICKETS}{ticket.pk}/change/")
    assert detail.status_code == 200 and "Ada Lovelace" in detail.text
    for text in (page.text, detail.text):
        for secret in Ticket.objects.values_list("secret", flat=True):
            assert secret not in text
