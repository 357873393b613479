"""The door page /checkin/ without a browser: staff only, a posted code answers green or red."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from orders.services import order_pay, order_reserve
from orders.tests.factories import on_sale_event
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(customer):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    return event, list(order.tickets.all())


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_choose_the_event_and_see_the_count(door, staff):
    event, _ = door

    page = signed_in(staff).get(f"/checkin/?event={event.pk}")

    assert page.status_code == 200
    html = page.content.decode()
    assert event.title in html and 'name="secret"' in html
    assert "<strong data-checked-in>0</strong> checked in of <strong data-sold>2</strong> sold" in html
    assert "js/checkin.js" in html and 'href="/checkin/"' in html


def test_a_posted_code_is_green_then_red_on_the_second_scan(door, staff):
    event, (ticket, _) = door
    client = signed_in(staff)

    first = client.post("/checkin/", {"event": event.pk, "secret": ticket.secret})
    second = client.post("/checkin/", {"event": event.pk, "secret": ticket.secret})

    assert first.status_code == 200 and "verdict-ok" in first.content.decode()
    assert "<strong data-checked-in>1</strong>" in first.content.decode()
    assert second.status_code == 409
    html = second.content.decode()
    assert "verdict-bad" in html and "Already checked in at" in html and staff.name in html
    assert Ticket.objects.get(pk=ticket.pk).checked_in_by == staff


def test_unknown_and_other_event_codes_are_red(door, staff):
    event, (ticket, _) = door
    other, _ = on_sale_event(Regular=1)
    client = signed_in(staff)

    unknown = client.post("/checkin/", {"event": event.pk, "secret": "nope"})
    wrong = client.post("/checkin/", {"event": other.pk, "secret": ticket.secret})

    assert unknown.status_code == 404 and "No ticket has this code" in unknown.content.decode()
    assert wrong.status_code == 409 and "another event" in wrong.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None


def test_customers_get_the_403_page_and_anonymous_visitors_sign_in(door, customer):
    event, (ticket, _) = door

    as_customer = signed_in(customer).post("/checkin/", {"event": event.pk, "secret": ticket.secret})
    anonymous = Client().get("/checkin/")

    assert as_customer.status_code == 403 and "Access denied" in as_customer.content.decode()
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None
    assert 'href="/checkin/"' not in signed_in(customer).get("/").content.decode()


@pytest.mark.parametrize("event", ["", "abc", "\u0661", "99999999999999999999"])
def test_a_bad_event_choice_asks_to_choose(staff, event):
    page = signed_in(staff).get("/checkin/", {"event": event})

    assert page.status_code == 200 and "Choose the event at this door first" in page.content.decode()


def test_csrf_is_required_for_the_form(door, staff):
    event, (ticket, _) = door
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post("/checkin/", {"event": event.pk, "secret": ticket.secret})

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None


def test_a_scan_needs_an_event_and_a_code(door):
    staff = UserFactory(role="staff")
    response = signed_in(staff).post("/checkin/", {"secret": ""})

    assert response.status_code == 200
    assert not Ticket.objects.exclude(checked_in_at=None).exists()
