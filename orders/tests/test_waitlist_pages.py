"""The waitlist pages: join on the event page, see and leave on /waitlist/, refusals in the API's words."""

import pytest
from django.utils.html import escape

from accounts.tests.factories import UserFactory
from orders.models import WaitlistEntry
from orders.services import order_cancel, order_reserve
from orders.services.waitlist import waitlist_join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("invariants")]


@pytest.fixture
def buyer(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def sold_out(sale):
    order = order_reserve(user=UserFactory(), event_id=sale.event.pk, items=[(sale.regular.pk, 10)])
    return sale, order


def _join(client, sale, quantity=1):
    return client.post(
        f"/events/{sale.event.pk}/waitlist/",
        {"ticket_type": sale.regular.pk, f"waitlist_qty_{sale.regular.pk}": quantity},
        follow=True,
    )


def test_the_event_page_offers_the_waitlist_for_a_sold_out_type(client, buyer, sold_out):
    sale, _ = sold_out
    body = client.get(f"/events/{sale.event.pk}/").content.decode()

    assert "Join the waitlist" in body and f'formaction="/events/{sale.event.pk}/waitlist/"' in body
    assert "A waitlist is coming soon" not in body


def test_join_from_the_event_page_then_see_the_position_and_leave(client, buyer, sold_out):
    sale, _ = sold_out
    waitlist_join(user=UserFactory(), ticket_type_id=sale.regular.pk, quantity=1)  # someone is ahead

    response = _join(client, sale, 2)

    assert response.redirect_chain[-1][0] == "/waitlist/"
    body = response.content.decode()
    assert "You are on the waitlist" in body and "2 x Regular" in body
    entry = WaitlistEntry.objects.get(user=buyer)
    assert (entry.quantity, entry.status) == (2, WaitlistEntry.Status.WAITING)
    assert '<td data-label="Position">2</td>' in body

    body = client.post(f"/waitlist/{entry.pk}/leave/", follow=True).content.decode()

    assert "You have left the waitlist" in body
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CANCELLED


def test_join_while_tickets_are_available_shows_the_apis_words(client, buyer, sale):
    response = _join(client, sale)

    assert response.redirect_chain[-1][0] == f"/events/{sale.event.pk}/"
    assert "Tickets are available" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_an_offer_links_to_the_order_to_pay(client, buyer, sold_out):
    sale, order = sold_out
    _join(client, sale, 2)
    order_cancel(order_id=order.pk, by=order.user)
    entry = WaitlistEntry.objects.get(user=buyer)

    body = client.get("/waitlist/").content.decode()

    assert entry.status == WaitlistEntry.Status.OFFERED
    assert f"/orders/{entry.order.code}/" in body and escape("Leave (cancels the order)") in body


def test_another_users_entry_cannot_be_left(client, buyer, sold_out):
    sale, _ = sold_out
    theirs = waitlist_join(user=UserFactory(), ticket_type_id=sale.regular.pk, quantity=1)

    body = client.post(f"/waitlist/{theirs.pk}/leave/", follow=True).content.decode()

    assert "Waitlist entry not found" in body
    theirs.refresh_from_db()
    assert theirs.status == WaitlistEntry.Status.WAITING


def test_the_waitlist_pages_need_a_signed_in_user(client, sold_out):
    sale, _ = sold_out
    assert client.get("/waitlist/").status_code == 302
    assert (
        _join(client, sale).redirect_chain[0][0].startswith("/accounts/login/")
        or not WaitlistEntry.objects.exists()
    )
