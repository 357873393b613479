"""The operator console ``manage.py tix``: each subcommand run as a command, its output read back."""

import os
import signal
import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import TicketTypeFactory
from orders.models import TicketRequest
from orders.services import order_pay, order_refund, order_reserve
from orders.services.queue import ticket_request_create
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
    assert lines[1].split() == ["type", "capacity", "reserved", "sold", "available", "waitlisted", "queued"]
    assert lines[3].split() == ["VIP", "5", "1", "1", "3", "0", "0"]  # higher priority first
    assert lines[4].split() == ["Regular", "10", "0", "2", "8", "0", "0"]
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
    assert availability[1].split()[-2] == "waitlisted"
    assert availability[3].split() == ["Regular", "2", "2", "0", "0", "2", "0"]


def test_waitlist_of_an_event_nobody_waits_for(sales):
    assert tix("waitlist", str(sales.pk))[1:] == ["Nobody is waiting."]


@pytest.fixture
def queue_sale():
    """A queue-mode event: VIP (priority 10, 2 tickets) and Regular (3 tickets)."""
    event, types = on_sale_event(Regular=3)
    Event.objects.filter(pk=event.pk).update(sale_mode=Event.SaleMode.QUEUE)
    vip = TicketTypeFactory(event=event, name="VIP", capacity=2, priority=10)
    return event, vip, types["Regular"]


def enqueue(event, ticket_type: str, quantity: int, email: str) -> list[str]:
    return tix("enqueue", str(event.pk), "--type", ticket_type, "--quantity", str(quantity), "--user", email)


def test_enqueue_by_name_or_id_queues_through_the_service_and_availability_counts_it(queue_sale, invariants):
    event, vip, regular = queue_sale
    first, second = UserFactory(email="first@example.com"), UserFactory(email="second@example.com")

    by_name = enqueue(event, "regular", 2, "FIRST@example.com")
    by_id = enqueue(event, str(vip.pk), 1, "second@example.com")

    queued = {request.user_id: request for request in TicketRequest.objects.all()}
    assert by_name == [
        f"QUEUED request {queued[first.pk].pk}: 2 x Regular for first@example.com, {event.title}, "
        "status queued, position 0"
    ]
    # VIP goes ahead of the Regular request that came first: position 0, and the Regular one moves to 1.
    assert by_id[0].endswith("status queued, position 0")
    assert queued[first.pk].items == [{"ticket_type": regular.pk, "quantity": 2}]
    assert queued[second.pk].items == [{"ticket_type": vip.pk, "quantity": 1}]
    availability = tix("availability", str(event.pk))
    assert availability[3].split() == ["VIP", "2", "0", "0", "2", "0", "1"]
    assert availability[4].split() == ["Regular", "3", "0", "0", "3", "0", "2"]


def test_enqueue_refusals_exit_1_with_the_services_words(queue_sale, customer, invariants):
    event, _, _ = queue_sale
    direct, direct_types = on_sale_event(Regular=1)
    enqueue(event, "Regular", 1, customer.email)

    with pytest.raises(CommandError, match=r"REFUSED \(already_queued\): You already have a queued request"):
        enqueue(event, "VIP", 1, customer.email)
    with pytest.raises(CommandError, match=r"REFUSED \(direct_sale\): This event sells directly"):
        enqueue(direct, "Regular", 1, customer.email)
    with pytest.raises(CommandError, match=r"REFUSED \(invalid_quantity\): Quantity must be at least 1"):
        enqueue(event, "VIP", 0, UserFactory().email)
    with pytest.raises(CommandError, match="No ticket type 'Balcony'"):
        enqueue(event, "Balcony", 1, customer.email)
    with pytest.raises(CommandError, match=f"No ticket type '{direct_types['Regular'].pk}'"):
        enqueue(event, str(direct_types["Regular"].pk), 1, customer.email)  # another event's type
    with pytest.raises(CommandError, match=r"nobody@example\.com is not an active account"):
        enqueue(event, "VIP", 1, "nobody@example.com")
    assert TicketRequest.objects.count() == 1


def test_process_queue_once_fulfils_vip_first_and_rejects_what_does_not_fit(queue_sale, invariants):
    # given Regular requests that came first, then VIP ones, for more than there is
    event, vip, regular = queue_sale
    for n, (ticket_type, quantity) in enumerate([(regular, 2), (regular, 2), (vip, 1), (vip, 1)]):
        user = UserFactory(email=f"buyer{n}@example.com")
        ticket_request_create(user=user, event_id=event.pk, items=[(ticket_type.pk, quantity)])

    # when the operator runs one pass
    lines = tix("process-queue", "--once")

    # then VIP requests were decided first, one Regular request fits and the other is rejected
    assert lines == [f"{event.title} (event {event.pk}): 3 fulfilled, 1 rejected"]
    requests = list(TicketRequest.objects.order_by("id"))
    assert [r.status for r in requests] == ["fulfilled", "rejected", "fulfilled", "fulfilled"]
    assert requests[1].reason == "Only 1 'Regular' tickets left"
    assert requests[2].order_id < requests[3].order_id < requests[0].order_id  # allocated VIP first
    assert tix("process-queue", "--once") == ["No queued requests."]
    assert tix("availability", str(event.pk))[3].split()[-1] == "0"


def press_ctrl_c_after_the_first_pass(out: StringIO, after: float = 1.0) -> None:
    """SIGINT this process ``after`` seconds past the loop's first pass (its output), never before."""
    deadline = time.monotonic() + 60
    while "fulfilled" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(after)
    os.kill(os.getpid(), signal.SIGINT)


def test_process_queue_without_once_repeats_until_interrupted(queue_sale, customer, invariants):
    # given one queued request
    event, vip, _ = queue_sale
    ticket_request_create(user=customer, event_id=event.pk, items=[(vip.pk, 2)])
    handler_before = signal.getsignal(signal.SIGINT)

    # when the operator starts the loop and presses Ctrl-C (a real SIGINT) a second after its first pass
    out = StringIO()
    ctrl_c = threading.Thread(target=press_ctrl_c_after_the_first_pass, args=(out,))
    ctrl_c.start()
    call_command("tix", "process-queue", "--interval", "0.1", stdout=out)
    ctrl_c.join()
    lines = out.getvalue().splitlines()

    # then the first pass fulfilled it, the later ones found nothing, and it stopped cleanly
    assert lines[0] == "Processing the queues every 0.1s; Ctrl-C stops."
    assert lines[1] == f"{event.title} (event {event.pk}): 1 fulfilled, 0 rejected"
    assert lines[2].startswith("Stopped after ") and lines[2].endswith(" passes: 1 fulfilled, 0 rejected.")
    assert int(lines[2].split()[2]) > 1
    assert len(lines) == 3
    assert signal.getsignal(signal.SIGINT) is handler_before
    assert TicketRequest.objects.get().status == TicketRequest.Status.FULFILLED


def test_process_queue_interval_must_be_positive(db):
    with pytest.raises(CommandError, match="--interval must be more than 0"):
        tix("process-queue", "--interval", "0")
