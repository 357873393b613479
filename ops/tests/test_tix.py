"""The operator console ``manage.py tix``: each subcommand run as a command, its output read back."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from events.tests.factories import TicketTypeFactory
from orders.services import order_pay, order_refund, order_reserve
from orders.services.waitlist import waitlist_join
from orders.tests.factories import on_sale_event
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def tix(*args) -> list[str]:
    out = StringIO()
    call_command("tix", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def sales(customer):
    """An event with VIP (1 sold, 1 reserved of 5) and Regular (2 sold of 10)."""
    event, types = on_sale_event(Regular=10)
    vip = TicketTypeFactory(event=event, name="VIP", capacity=5, priority=10, price="80.00")
    for ticket_type, quantity in ((vip, 1), (types["Regular"], 2)):
        order = order_reserve(user=customer, event_id=event.pk, items=[(ticket_type.pk, quantity)])
        order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    order_reserve(user=customer, event_id=event.pk, items=[(vip.pk, 1)])
    return event


def test_availability_per_type_by_id_or_slug(sales, invariants):
    lines = tix("availability", str(sales.pk))

    assert lines[0] == f"{sales.title} (event {sales.pk}, published)"
    assert lines[1].split() == ["type", "capacity", "reserved", "sold", "available", "waitlisted"]
    assert lines[3].split() == ["VIP", "5", "1", "1", "3", "0"]  # higher priority first
    assert lines[4].split() == ["Regular", "10", "0", "2", "8", "0"]
    assert len({len(line) for line in lines[2:]}) == 1  # aligned: numbers padded to the column
    assert tix("availability", sales.slug) == lines


def test_availability_of_an_unknown_event_is_an_error(db):
    with pytest.raises(CommandError, match="No event with id or slug 'nope'"):
        tix("availability", "nope")


def test_transactions_lists_the_last_payments_newest_first(sales, customer):
    order = customer.orders.filter(status="paid").order_by("id").last()
    order_refund(order_id=order.pk, by=customer)

    lines = tix("transactions", "--last", "2")

    assert lines[0].split() == ["time", "order", "kind", "amount", "currency", "status", "provider"]
    assert len(lines) == 4
    newest, before = lines[2].split(), lines[3].split()
    assert newest[2:] == [order.code, "refund", "50.00", "USD", "succeeded", "test"]
    assert before[2:] == [order.code, "charge", "50.00", "USD", "succeeded", "test"]
    assert len(tix("transactions")) == 2 + 3  # default --last 10: the three payments there are


def test_transactions_bounds_last(db):
    assert tix("transactions") == ["No payments yet."]
    with pytest.raises(CommandError, match="between 1 and 1000"):
        tix("transactions", "--last", "0")


def checkin(secret: str, *options: str) -> list[str]:
    """Options first, then `--`: a secret may start with "-" (one in 64 does)."""
    return tix("checkin", *options, "--", secret)


def test_checkin_checks_in_once_then_refuses(sales, staff):
    ticket = Ticket.objects.filter(status="valid").first()

    first = checkin(ticket.secret, "--staff", staff.email, "--event", str(sales.pk))
    with pytest.raises(CommandError, match=r"REFUSED \(already_checked_in\): Already checked in at"):
        checkin(ticket.secret, "--staff", staff.email)

    assert first[0].startswith(f"CHECKED IN ticket {ticket.pk}: {ticket.ticket_type.name}")
    assert Ticket.objects.get(pk=ticket.pk).checked_in_by == staff


def test_checkin_refusals_unknown_wrong_event_and_not_staff(sales, staff, customer):
    ticket = Ticket.objects.filter(status="valid").first()
    other, _ = on_sale_event(Regular=1)

    with pytest.raises(CommandError, match=r"REFUSED \(ticket_not_found\)"):
        checkin("nope", "--staff", staff.email)
    with pytest.raises(CommandError, match=r"REFUSED \(wrong_event\)"):
        checkin(ticket.secret, "--staff", staff.email, "--event", str(other.pk))
    with pytest.raises(CommandError, match="is not an active staff account"):
        checkin(ticket.secret, "--staff", customer.email)
    with pytest.raises(CommandError, match="is not an active staff account"):
        checkin(ticket.secret, "--staff", UserFactory(role="staff", is_active=False).email)
    assert not Ticket.objects.exclude(checked_in_at=None).exists()


def test_checkin_takes_a_secret_that_starts_with_a_dash(sales, staff):
    ticket = Ticket.objects.filter(status="valid").first()
    dashed = "-" + ticket.secret[1:]
    Ticket.objects.filter(pk=ticket.pk).update(secret=dashed)

    assert checkin(dashed, "--staff", staff.email)[0].startswith(f"CHECKED IN ticket {ticket.pk}")


def test_a_subcommand_is_required(db):
    with pytest.raises(CommandError):
        tix()


def test_waitlist_lists_entries_in_serving_order_and_availability_counts_them(customer, invariants):
    # given a sold-out Regular type with two people waiting, the second for more than is left
    event, types = on_sale_event(Regular=2)
    regular = types["Regular"]
    order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 2)])
    first, second = UserFactory(email="first@example.com"), UserFactory(email="second@example.com")
    waitlist_join(user=first, ticket_type_id=regular.pk, quantity=1)
    waitlist_join(user=second, ticket_type_id=regular.pk, quantity=2)

    # when the operator looks
    waitlist = tix("waitlist", str(event.pk))
    availability = tix("availability", str(event.pk))

    # then both wait, first come first, and the availability table counts them
    assert waitlist[1].split() == ["type", "position", "user", "quantity", "status", "since", "order"]
    assert waitlist[3].split()[:5] == ["Regular", "1", "first@example.com", "1", "waiting"]
    assert waitlist[4].split()[:5] == ["Regular", "2", "second@example.com", "2", "waiting"]
    assert availability[1].split()[-1] == "waitlisted"
    assert availability[3].split() == ["Regular", "2", "2", "0", "0", "2"]


def test_waitlist_of_an_event_nobody_waits_for(sales):
    assert tix("waitlist", str(sales.pk))[1:] == ["Nobody is waiting."]
