"""Check-in at the door (tickets services and API): once per ticket, by staff, with the reason when refused.

The tickets come from real orders, so these tests live here (tickets may not import orders).
"""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from events.tests.factories import seated_event
from orders.models import Order
from orders.services import order_cancel, order_pay, order_refund, order_reserve
from orders.tests.factories import on_sale_event
from tickets.models import Ticket
from tickets.serializers import CheckInRefusedSerializer, CheckInResultSerializer
from tickets.services import CheckInRefused, ticket_check_in, ticket_verify
from tixxety.exceptions import NotFound

pytestmark = pytest.mark.django_db


def paid_tickets(user, event, ticket_type, quantity=1) -> list[Ticket]:
    order = order_reserve(user=user, event_id=event.pk, items=[(ticket_type.pk, quantity)])
    order_pay(order_id=order.pk, by=user, provider="test", token="tok_visa")
    return list(Ticket.objects.filter(order=order))


@pytest.fixture
def door(customer):
    """A paid ticket of an event on sale, and the event."""
    event, types = on_sale_event(Regular=10)
    (ticket,) = paid_tickets(customer, event, types["Regular"])
    return ticket, event, types["Regular"]


def checkin_url(ticket, event=None) -> str:
    return f"/api/tickets/checkin/{ticket.secret}" + (f"?event={event.pk}" if event else "")


def verify_url(ticket, event=None) -> str:
    return f"/api/tickets/verify/{ticket.secret}" + (f"?event={event.pk}" if event else "")


# --- services ------------------------------------------------------------------


def test_valid_ticket_checks_in_once_recording_when_and_who(door, staff, invariants):
    ticket, event, _ = door

    checked = ticket_check_in(secret=ticket.secret, by=staff, event_id=event.pk)

    ticket.refresh_from_db()
    assert checked.checked_in_at == ticket.checked_in_at is not None
    assert ticket.checked_in_by == staff and ticket.status == Ticket.Status.VALID
    with pytest.raises(CheckInRefused) as second:
        ticket_check_in(secret=ticket.secret, by=UserFactory(role="staff", name="Bob Door"))
    assert second.value.code == "already_checked_in"
    assert staff.name in second.value.detail and "Already checked in at" in second.value.detail
    assert Ticket.objects.get(pk=ticket.pk).checked_in_by == staff  # the first check-in stays


def test_reserved_and_void_tickets_are_refused_with_the_reason(customer, staff, invariants):
    event, types = on_sale_event(Regular=10)
    reserved_order = order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 1)])
    reserved = reserved_order.tickets.get()
    cancelled = order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 1)])
    order_cancel(order_id=cancelled.pk, by=customer)
    void = cancelled.tickets.get()

    with pytest.raises(CheckInRefused) as unpaid:
        ticket_check_in(secret=reserved.secret, by=staff)
    with pytest.raises(CheckInRefused) as voided:
        ticket_check_in(secret=void.secret, by=staff)

    assert unpaid.value.code == voided.value.code == "ticket_not_valid"
    assert "not paid" in unpaid.value.detail and "void" in voided.value.detail
    assert not Ticket.objects.exclude(checked_in_at=None).exists()


def test_unknown_secret_is_not_found(staff):
    with pytest.raises(NotFound):
        ticket_check_in(secret="no-such-ticket", by=staff)
    with pytest.raises(NotFound):
        ticket_verify(secret="no-such-ticket")


def test_ticket_of_another_event_is_refused_naming_its_event(door, staff, invariants):
    ticket, event, _ = door
    other, _ = on_sale_event(Regular=1)

    with pytest.raises(CheckInRefused) as refused:
        ticket_check_in(secret=ticket.secret, by=staff, event_id=other.pk)

    assert refused.value.code == "wrong_event" and event.title in refused.value.detail
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None


def test_verify_reads_without_checking_in(door, staff):
    ticket, event, _ = door

    found, refusal = ticket_verify(secret=ticket.secret, event_id=event.pk)

    assert found.pk == ticket.pk and refusal is None
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None


def test_the_database_refuses_a_check_in_on_a_reserved_ticket(customer, staff):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 1)])

    with pytest.raises(IntegrityError), transaction.atomic():
        order.tickets.update(checked_in_at="2026-01-01T10:00:00Z")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_scans_of_one_ticket_check_it_in_once(race, customer, invariants):
    event, types = on_sale_event(Regular=10)
    (ticket,) = paid_tickets(customer, event, types["Regular"])
    scanners = [UserFactory(role="staff") for _ in range(10)]

    results = race(*[lambda s=s: ticket_check_in(secret=ticket.secret, by=s) for s in scanners])

    admitted = [r for r in results if isinstance(r, Ticket)]
    refused = [r for r in results if isinstance(r, CheckInRefused)]
    assert len(admitted) == 1 and len(refused) == 9, results
    assert {r.code for r in refused} == {"already_checked_in"}
    ticket.refresh_from_db()
    assert ticket.checked_in_by == admitted[0].checked_in_by


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_api_scans_give_exactly_one_200(race, client_for, customer, invariants):
    event, types = on_sale_event(Regular=10)
    (ticket,) = paid_tickets(customer, event, types["Regular"])
    clients = [client_for(UserFactory(role="staff")) for _ in range(10)]

    responses = race(*[lambda c=c: c.post(checkin_url(ticket, event)) for c in clients])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 9
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_checked_in"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_scan_queued_behind_a_winning_scan_names_the_winner(customer, until_blocked, invariants):
    """The scan's one statement read the ticket before the winner committed: it must read it again."""
    event, types = on_sale_event(Regular=10)
    (ticket,) = paid_tickets(customer, event, types["Regular"])
    first, second = UserFactory(role="staff", name="Ann First"), UserFactory(role="staff")
    scanned, commit = threading.Event(), threading.Event()

    def first_scan():
        try:
            with transaction.atomic():
                ticket_check_in(secret=ticket.secret, by=first)
                scanned.set()
                assert commit.wait(10)
        finally:
            connection.close()

    winner = threading.Thread(target=first_scan)
    winner.start()
    assert scanned.wait(10)
    outcome = []

    def second_scan():
        try:
            ticket_check_in(secret=ticket.secret, by=second, event_id=event.pk)
        except CheckInRefused as refused:
            outcome.append(refused)
        finally:
            connection.close()

    loser = threading.Thread(target=second_scan)
    loser.start()
    until_blocked()
    commit.set()
    winner.join(10)
    loser.join(10)

    [refused] = outcome
    assert refused.code == "already_checked_in" and "by Ann First" in refused.detail
    assert refused.ticket.checked_in_by.pk == first.pk
    assert Ticket.objects.get(pk=ticket.pk).checked_in_by == first


# --- API -----------------------------------------------------------------------


def test_api_check_in_answers_with_the_ticket_and_the_event_count(door, staff_api, staff):
    ticket, event, ticket_type = door

    response = staff_api.post(checkin_url(ticket, event))

    assert response.status_code == 200
    body = response.json()
    assert body["admissible"] is True and body["code"] == "checked_in"
    assert body["ticket"]["event"]["title"] == event.title
    assert body["ticket"]["ticket_type"]["name"] == ticket_type.name
    assert body["ticket"]["holder_name"] == ticket.holder_name and body["ticket"]["seat"] is None
    assert body["ticket"]["checked_in_by"] == {"id": staff.pk, "name": staff.name}
    assert staff_api.get(f"/api/tickets/checkin-count?event={event.pk}").json() == {
        "checked_in": 1,
        "sold": 1,
    }
    assert "secret" not in body["ticket"]


@pytest.mark.parametrize("seated", [False, True], ids=["unseated", "seated"])
def test_api_check_in_answer_equals_the_serializers(seated, customer, staff_api, staff, invariants):
    """The admitted scan's body is built without the serializer: it must stay what the serializer says."""
    if seated:
        event, _ = seated_event(rows=1, seats_per_row=2)
        order = order_reserve(user=customer, event_id=event.pk, seat_ids=[event.seats.first().pk])
        order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
        ticket = Ticket.objects.get(order=order)
    else:
        event, types = on_sale_event(Regular=10)
        (ticket,) = paid_tickets(customer, event, types["Regular"])

    response = staff_api.post(checkin_url(ticket, event))

    assert response.status_code == 200
    stored = Ticket.objects.select_related("order__event", "ticket_type", "seat", "checked_in_by").get(
        pk=ticket.pk
    )
    expected = CheckInResultSerializer(
        {"admissible": True, "detail": "Checked in.", "code": "checked_in", "ticket": stored}
    ).data
    assert response.json() == expected
    assert (response.json()["ticket"]["seat"] is not None) is seated


@pytest.mark.parametrize("refusal", ["already_checked_in", "void", "reserved", "wrong_event", "seated_twice"])
def test_api_refusal_body_equals_the_serializers(refusal, customer, staff_api, staff, invariants):
    """A refused scan's body is built without the serializer too: the error shape plus the ticket."""
    event, types = on_sale_event(Regular=10)
    scope = event
    if refusal == "seated_twice":
        event, _ = seated_event(rows=1, seats_per_row=2)
        scope = event
        order = order_reserve(user=customer, event_id=event.pk, seat_ids=[event.seats.first().pk])
        order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
        ticket = Ticket.objects.get(order=order)
        ticket_check_in(secret=ticket.secret, by=staff)
    elif refusal == "reserved":
        ticket = order_reserve(
            user=customer, event_id=event.pk, items=[(types["Regular"].pk, 1)]
        ).tickets.get()
    else:
        (ticket,) = paid_tickets(customer, event, types["Regular"])
        if refusal == "already_checked_in":
            ticket_check_in(secret=ticket.secret, by=staff)
        elif refusal == "void":
            order_refund(order_id=ticket.order_id, by=customer)
        else:
            scope, _ = on_sale_event(Regular=1)

    response = staff_api.post(checkin_url(ticket, scope))

    assert response.status_code == 409
    stored = Ticket.objects.select_related("order__event", "ticket_type", "seat", "checked_in_by").get(
        pk=ticket.pk
    )
    refused = ticket_verify(secret=ticket.secret, event_id=scope.pk)[1]
    expected = CheckInRefusedSerializer(
        {"detail": refused.detail, "code": refused.code, "ticket": stored}
    ).data
    assert response.json() == expected
    assert set(expected) == {"detail", "code", "ticket"}


def test_api_second_scan_is_409_with_the_first_time_and_who(door, staff_api, staff, client_for):
    ticket, _, _ = door
    first = staff_api.post(checkin_url(ticket)).json()

    again = client_for(UserFactory(role="staff")).post(checkin_url(ticket))

    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "already_checked_in" and staff.name in body["detail"]
    assert body["ticket"]["checked_in_at"] == first["ticket"]["checked_in_at"]
    assert body["ticket"]["checked_in_by"]["name"] == staff.name


def test_api_refusals_reserved_void_other_event_unknown(customer, staff_api):
    event, types = on_sale_event(Regular=10)
    other, _ = on_sale_event(Regular=1)
    reserved = order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 1)])
    (valid,) = paid_tickets(customer, event, types["Regular"])
    refunded = paid_tickets(customer, event, types["Regular"])[0]
    order_refund(order_id=refunded.order_id, by=customer)

    unpaid = staff_api.post(checkin_url(reserved.tickets.get()))
    void = staff_api.post(checkin_url(refunded))
    wrong = staff_api.post(checkin_url(valid, other))
    unknown = staff_api.post("/api/tickets/checkin/not-a-ticket")

    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "ticket_not_valid")
    assert (void.status_code, void.json()["code"]) == (409, "ticket_not_valid")
    assert (wrong.status_code, wrong.json()["code"]) == (409, "wrong_event")
    assert event.title in wrong.json()["detail"]
    assert (unknown.status_code, unknown.json()["code"]) == (404, "ticket_not_found")
    assert not Ticket.objects.exclude(checked_in_at=None).exists()


def test_api_verify_says_whether_check_in_would_accept(door, staff_api):
    ticket, event, _ = door
    before = staff_api.get(verify_url(ticket, event))
    staff_api.post(checkin_url(ticket))
    after = staff_api.get(verify_url(ticket))

    assert before.status_code == 200 and before.json()["admissible"] is True
    assert after.status_code == 200 and after.json()["admissible"] is False
    assert after.json()["code"] == "already_checked_in"
    assert staff_api.get("/api/tickets/verify/unknown").status_code == 404


def count_url(ticket, event=None) -> str:
    return f"/api/tickets/checkin-count?event={ticket.order.event_id}"


@pytest.mark.parametrize("method,url", [("get", verify_url), ("post", checkin_url), ("get", count_url)])
def test_customers_get_403_and_anonymous_401(door, customer_api, api_client, method, url):
    ticket, _, _ = door

    as_customer = getattr(customer_api, method)(url(ticket))
    anonymous = getattr(api_client, method)(url(ticket))

    assert as_customer.status_code == 403 and set(as_customer.json()) == {"detail", "code"}
    assert anonymous.status_code == 401 and set(anonymous.json()) == {"detail", "code"}
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None


@pytest.mark.parametrize("event", ["0", "x", "\u0661", "99999999999999999999"])
def test_a_bad_event_scope_is_400(door, staff_api, event):
    ticket, _, _ = door

    response = staff_api.post(f"/api/tickets/checkin/{ticket.secret}?event={event}")

    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None


def test_checkin_count_counts_valid_checked_in_tickets_of_the_event(customer, staff, staff_api):
    event, types = on_sale_event(Regular=10, VIP=5)
    other, other_types = on_sale_event(Regular=5)
    regular = paid_tickets(customer, event, types["Regular"], quantity=3)
    vip = paid_tickets(customer, event, types["VIP"], quantity=1)
    elsewhere = paid_tickets(customer, other, other_types["Regular"], quantity=1)
    order_reserve(user=customer, event_id=event.pk, items=[(types["VIP"].pk, 1)])  # reserved: not sold
    for ticket in (regular[0], vip[0], elsewhere[0]):
        ticket_check_in(secret=ticket.secret, by=staff)
    order_refund(order_id=vip[0].order_id, by=staff)  # its check-in stays on the void ticket, uncounted

    counts = staff_api.get(f"/api/tickets/checkin-count?event={event.pk}")

    assert counts.status_code == 200 and counts.json() == {"checked_in": 1, "sold": 3}
    assert staff_api.get("/api/tickets/checkin-count").status_code == 400


# --- refunds after a check-in ---------------------------------------------------------------


def test_owner_cannot_refund_a_checked_in_order_but_staff_can_and_the_check_in_stays(
    customer, staff, customer_api, staff_api, invariants
):
    event, types = on_sale_event(Regular=10)
    first, second = paid_tickets(customer, event, types["Regular"], quantity=2)
    staff_api.post(checkin_url(first))

    by_owner = customer_api.post(f"/api/orders/{first.order_id}/refund")
    by_staff = staff_api.post(f"/api/orders/{first.order_id}/refund")

    assert by_owner.status_code == 409 and by_owner.json()["code"] == "ticket_checked_in"
    assert f"Ticket {first.pk} was checked in at" in by_owner.json()["detail"]
    assert by_staff.status_code == 200 and by_staff.json()["status"] == Order.Status.REFUNDED
    first.refresh_from_db()
    assert first.status == Ticket.Status.VOID and first.checked_in_by == staff
    assert first.checked_in_at is not None
    rescan = staff_api.post(checkin_url(second))
    assert rescan.status_code == 409 and rescan.json()["code"] == "ticket_not_valid"


def test_admin_event_list_shows_checked_in_of_sold(client, customer, staff):
    event, types = on_sale_event(Regular=10, VIP=5)
    regular = paid_tickets(customer, event, types["Regular"], quantity=2)
    vip = paid_tickets(customer, event, types["VIP"], quantity=1)
    order_reserve(user=customer, event_id=event.pk, items=[(types["VIP"].pk, 1)])  # reserved: not sold
    for ticket in (regular[0], vip[0]):
        ticket_check_in(secret=ticket.secret, by=staff)
    refunded = paid_tickets(customer, event, types["Regular"])[0]
    ticket_check_in(secret=refunded.secret, by=staff)
    order_refund(order_id=refunded.order_id, by=staff)  # its check-in is history, no longer counted
    client.force_login(staff)

    page = client.get("/admin/events/event/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Checked in / sold" in html and '<td class="field-checked_in">2 / 3</td>' in html
