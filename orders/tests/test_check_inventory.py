import io
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from events.models import TicketType
from orders.services import order_cancel, order_pay, order_reserve
from orders.services.recount import Drift, inventory_recount
from orders.tests.factories import on_sale_event


def reserve(user, ticket_type, quantity):
    return order_reserve(user=user, event_id=ticket_type.event_id, items=[(ticket_type.pk, quantity)])


def check_inventory(*args) -> tuple[str, int]:
    """Run the command as an operator would; return its output and exit status."""
    out = io.StringIO()
    try:
        call_command("check_inventory", *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


def drift(ticket_type, **counters):
    """Stand in for whatever went around the services: a direct UPDATE."""
    TicketType.objects.filter(pk=ticket_type.pk).update(**counters)


def counters(ticket_type):
    ticket_type.refresh_from_db()
    return ticket_type.reserved_count, ticket_type.sold_count


@pytest.fixture
def booked(customer):
    """Two events, three ticket types: reservations, a sale and a cancellation."""
    _, types = on_sale_event(VIP=5, Regular=10)
    _, other = on_sale_event(Standing=20)
    reserve(customer, types["VIP"], 2)
    sold = reserve(customer, types["Regular"], 3)
    order_pay(order_id=sold.pk, by=customer, provider="test", token="tok_visa")
    cancelled = reserve(customer, other["Standing"], 4)
    order_cancel(order_id=cancelled.pk, by=customer)
    reserve(customer, other["Standing"], 1)
    return {**types, **other}


def test_check_inventory_reports_no_drift_when_counters_match(booked, invariants):
    output, status = check_inventory()

    assert status == 0
    assert output.strip() == "No drift: 3 ticket types checked."
    assert inventory_recount(fix=False) == []


def test_check_inventory_reports_drift_and_exits_1(booked):
    # given counters that drifted from the tickets
    vip = booked["VIP"]
    drift(vip, reserved_count=5)

    # when the check runs
    output, status = check_inventory()

    # then it reports each drift and exits 1
    assert status == 1
    lines = output.splitlines()
    assert lines[0].split() == ["Event", "Ticket", "type", "Counter", "Stored", "Actual", "Result"]
    assert lines[2].split()[-5:] == ["VIP", "reserved_count", "5", "2", "drift"]
    assert lines[2].startswith(vip.event.title)
    assert "Drift in 1 counter of 1 ticket type; run with --fix to repair." in output
    assert counters(vip) == (5, 0)
    assert inventory_recount(fix=False) == [
        Drift(
            ticket_type_id=vip.pk,
            event=vip.event.title,
            ticket_type="VIP",
            counter="reserved_count",
            stored=5,
            actual=2,
        )
    ]


def test_check_inventory_fix_repairs_drift_and_a_second_run_is_clean(booked, invariants):
    drift(booked["VIP"], reserved_count=0, sold_count=1)
    drift(booked["Standing"], reserved_count=7)

    output, status = check_inventory("--fix")

    assert status == 0
    assert output.count("fixed") == 3
    assert "Fixed 3 counters of 2 ticket types." in output
    assert counters(booked["VIP"]) == (2, 0)
    assert counters(booked["Standing"]) == (1, 0)
    assert counters(booked["Regular"]) == (0, 3)
    assert check_inventory() == ("No drift: 3 ticket types checked.\n", 0)


def test_check_inventory_fix_refuses_to_count_past_capacity(booked):
    # Three valid Regular tickets, but capacity lowered to 2 behind the services' back.
    drift(booked["Regular"], capacity=2, sold_count=0)
    drift(booked["VIP"], reserved_count=4)

    output, status = check_inventory("--fix")

    assert status == 1
    assert "NOT FIXED: tickets exceed capacity: 3 reserved and sold > 2" in output
    assert "Could not fix 1 counter of 1 ticket type: see the table." in output
    assert counters(booked["Regular"]) == (0, 0)
    # The other drifting type is repaired in the same run.
    assert counters(booked["VIP"]) == (2, 0)
    assert [(d.ticket_type, d.fixed, bool(d.error)) for d in inventory_recount(fix=False)] == [
        ("Regular", False, True)
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fix_recounts_under_the_lock_so_a_concurrent_booking_is_kept(invariants):
    # Given a drifting sold counter, and a booking whose transaction is still open
    _, types = on_sale_event(Regular=10)
    regular = types["Regular"]
    customer = UserFactory()
    reserve(customer, regular, 2)
    drift(regular, sold_count=1)
    booking_open, commit_booking = threading.Event(), threading.Event()
    found, errors = [], []

    def booking():
        try:
            with transaction.atomic():
                reserve(customer, regular, 3)  # holds the ticket type's row lock
                booking_open.set()
                commit_booking.wait(10)
        except Exception as error:  # surfaced below, not lost in the thread
            errors.append(error)
        finally:
            booking_open.set()
            connection.close()

    def fixer():
        try:
            found.extend(inventory_recount(fix=True))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    # When the fix takes its first look before the booking commits and its lock after
    booking_thread = threading.Thread(target=booking)
    booking_thread.start()
    booking_open.wait(10)
    fixer_thread = threading.Thread(target=fixer)
    fixer_thread.start()
    try:
        _wait_for_a_lock_wait()
    finally:
        commit_booking.set()
    booking_thread.join(10)
    fixer_thread.join(10)

    # Then the booking's three tickets stay counted and only the sold counter is repaired
    assert errors == []
    assert [(d.counter, d.stored, d.actual, d.fixed) for d in found] == [("sold_count", 1, 0, True)]
    assert counters(regular) == (5, 0)


def _wait_for_a_lock_wait(timeout=10.0):
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the fix never waited for the booking's lock")
