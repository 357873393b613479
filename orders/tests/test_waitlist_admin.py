"""The waitlist in the admin: in FIFO order per event, and what a raised capacity would serve."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from orders.selectors import CapacityStep, waitlist_capacity_preview
from orders.services import order_reserve
from orders.services.waitlist import waitlist_join
from orders.tests.factories import on_sale_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("invariants")]

WAITLIST = "/admin/orders/waitlistentry/"


@pytest.fixture
def waiting():
    """A sold-out Regular type (25.00 USD) with entries for 3, 1 and 2 tickets, in that order."""
    event, types = on_sale_event(Regular=2, Other=5)
    regular = types["Regular"]
    order_reserve(user=UserFactory(), event_id=event.pk, items=[(regular.pk, 2)])
    users = [UserFactory(email=f"waits-{n}@example.com") for n in range(3)]
    for user, quantity in zip(users, (3, 1, 2), strict=True):
        waitlist_join(user=user, ticket_type_id=regular.pk, quantity=quantity)
    regular.refresh_from_db()
    return event, regular


def test_the_preview_follows_the_promotion_rules(waiting):
    _, regular = waiting

    assert waitlist_capacity_preview(ticket_type=regular) == [
        CapacityStep(extra=3, entries=1, tickets=3, worth=Decimal("75.00")),
        CapacityStep(extra=4, entries=2, tickets=4, worth=Decimal("100.00")),
        CapacityStep(extra=6, entries=3, tickets=6, worth=Decimal("150.00")),
    ]


def test_staff_see_an_events_waitlist_in_order_with_the_preview(client, staff, waiting):
    event, _ = waiting
    client.force_login(staff)

    body = client.get(WAITLIST, {"ticket_type__event__id__exact": event.pk}).content.decode()

    positions = [body.index(f"waits-{n}@example.com") for n in range(3)]
    assert positions == sorted(positions)  # FIFO: first in line first
    assert "+3 tickets would serve 1 entry (3 tickets), worth 75.00 USD" in body
    assert "+6 tickets would serve 3 entries (6 tickets), worth 150.00 USD" in body


def test_the_event_admin_counts_who_waits_and_links_to_the_waitlist(client, admin, waiting):
    event, _ = waiting
    client.force_login(admin)

    body = client.get(f"/admin/events/event/{event.pk}/change/").content.decode()

    assert "Regular: 3 waiting" in body and "Other: 0 waiting" in body
    assert f"{WAITLIST}?ticket_type__event__id__exact={event.pk}" in body


def test_customers_cannot_reach_the_waitlist_admin(client, customer):
    client.force_login(customer)
    assert client.get(WAITLIST).status_code == 302
