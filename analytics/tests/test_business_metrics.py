"""The business metrics move by exactly what the orders did, and never name a person or an event."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from accounts.tests.factories import UserFactory
from analytics.tasks import inventory_drift_measure
from events.models import Event, TicketType
from events.tests.factories import EventFactory, TicketTypeFactory
from orders.models import Order
from orders.services import order_cancel, order_expire, order_pay, order_refund, order_reserve
from orders.services.queue import ticket_request_create, ticket_requests_process
from orders.services.waitlist import waitlist_join
from tickets.services import ticket_check_in
from tixxety import business_metrics
from tixxety.exceptions import DomainError

COUNTERS = {
    "reserved": ("tixxety_reservations_total", {"source": "direct"}),
    "paid": ("tixxety_payments_total", {"source": "direct"}),
    "expired": ("tixxety_expiries_total", {}),
    "cancelled": ("tixxety_cancellations_total", {}),
    "refunded": ("tixxety_refunds_total", {}),
    "lags observed": ("tixxety_expiry_lag_seconds_count", {}),
}


# Other tests in the same process count check-ins too: every outcome is one of these codes.
CHECK_IN_OUTCOMES = {
    "admitted",
    "already_checked_in",
    "ticket_not_valid",
    "wrong_event",
    "ticket_not_found",
    "conflict",
}


QUEUE_OUTCOMES = {"fulfilled", "rejected"}


def counter_values() -> dict[str, float]:
    return {key: REGISTRY.get_sample_value(name, labels) or 0.0 for key, (name, labels) in COUNTERS.items()}


@pytest.mark.django_db
def test_counters_move_by_exactly_the_operations_done(sale, customer, django_capture_on_commit_callbacks):
    event, regular = sale
    before = counter_values()
    with django_capture_on_commit_callbacks(execute=True):
        orders = [order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)]) for _ in range(4)]
        order_pay(order_id=orders[0].pk, by=customer, provider="test", token="tok_visa")
        order_pay(order_id=orders[1].pk, by=customer, provider="test", token="tok_visa")
        order_refund(order_id=orders[1].pk, by=customer)
        order_cancel(order_id=orders[2].pk, by=customer)
        Order.objects.filter(pk=orders[3].pk).update(expires_at=timezone.now() - timedelta(seconds=90))
        order_expire(order_id=orders[3].pk)
    after = counter_values()

    moved = {key: after[key] - before[key] for key in after}
    expected = {"reserved": 4, "paid": 2, "expired": 1, "cancelled": 1, "refunded": 1, "lags observed": 1}
    assert moved == expected
    lag_sum = REGISTRY.get_sample_value("tixxety_expiry_lag_seconds_sum") or 0.0
    assert lag_sum >= 90  # the order expired at least 90 s after its expires_at


@pytest.mark.django_db
def test_inventory_drift_is_zero_then_the_corruption(sale, customer):
    event, regular = sale
    order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 2)])
    assert inventory_drift_measure() == 0
    assert REGISTRY.get_sample_value("tixxety_inventory_drift") == 0

    # Really 2 reserved and 0 sold.
    TicketType.objects.filter(pk=regular.pk).update(reserved_count=5, sold_count=3)
    assert inventory_drift_measure() == 3 + 3
    assert REGISTRY.get_sample_value("tixxety_inventory_drift") == 6
    TicketType.objects.filter(pk=regular.pk).update(reserved_count=2, sold_count=0)  # true again


@pytest.mark.django_db
def test_metrics_never_name_the_customer_or_the_event(
    sale, customer, client, settings, django_capture_on_commit_callbacks
):
    settings.METRICS_ALLOWED_NETWORKS = ["*"]
    settings.METRICS_TOKEN = ""
    event, regular = sale
    with django_capture_on_commit_callbacks(execute=True):
        order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
        order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    inventory_drift_measure()

    page = client.get("/metrics").content.decode()
    assert "tixxety_reservations_total" in page and "tixxety_inventory_drift" in page
    for private in (customer.email, event.title, order.code):
        assert private not in page, private
    names = tuple(m._name for m in vars(business_metrics).values() if isinstance(m, MetricWrapperBase))
    ours = [line for line in page.splitlines() if line.startswith(names)]
    label_values = set(re.findall(r'="([^"]*)"', "\n".join(ours)))
    fixed = (
        set(Order.Source.values) | {"book", "checkout", "+Inf", "fulfilled", "rejected"} | CHECK_IN_OUTCOMES
    )
    assert ours and label_values <= fixed | {
        value for value in label_values if value.replace(".", "").isdigit() and "." in value
    }, label_values  # sources, endpoints, outcomes and bucket bounds only: no user id


def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_a_waitlist_promotion_and_each_check_in_outcome_are_counted(
    sale, customer, staff, django_capture_on_commit_callbacks
):
    # given a sold-out type, paid for, and one person waiting for a ticket
    event, regular = sale
    outcomes = ("admitted", "already_checked_in", "ticket_not_found")
    before = [_sample("tixxety_waitlist_promotions_total")]
    before += [_sample("tixxety_checkins_total", outcome=outcome) for outcome in outcomes]
    with django_capture_on_commit_callbacks(execute=True):
        everything = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, regular.capacity)])
        order_pay(order_id=everything.pk, by=customer, provider="test", token="tok_visa")
        waitlist_join(user=UserFactory(), ticket_type_id=regular.pk, quantity=1)

        # when staff refund the order (the waiting entry is promoted) and a new paid ticket is scanned
        order_refund(order_id=everything.pk, by=staff)
        order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
        order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    secret = order.tickets.get().secret
    ticket_check_in(secret=secret, by=staff)
    for refused in (secret, "no-such-code"):
        with pytest.raises(DomainError):
            ticket_check_in(secret=refused, by=staff)

    # then one promotion and one check-in of each outcome were counted
    after = [_sample("tixxety_waitlist_promotions_total")]
    after += [_sample("tixxety_checkins_total", outcome=outcome) for outcome in outcomes]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1]


@pytest.mark.django_db
def test_queue_outcomes_and_its_reservations_are_counted(django_capture_on_commit_callbacks):
    # given a queue-mode event with two tickets and three requests for one each
    event = EventFactory(sale_mode=Event.SaleMode.QUEUE)
    regular = TicketTypeFactory(event=event, name="Regular", capacity=2)
    for _ in range(3):
        ticket_request_create(user=UserFactory(), event_id=event.pk, items=[(regular.pk, 1)])
    inventory_drift_measure()
    assert REGISTRY.get_sample_value("tixxety_queue_depth") == 3  # the minute recount sees them waiting
    before = [
        _sample("tixxety_queue_requests_total", outcome="fulfilled"),
        _sample("tixxety_queue_requests_total", outcome="rejected"),
        _sample("tixxety_reservations_total", source="queue"),
    ]

    # when the queue is processed
    with django_capture_on_commit_callbacks(execute=True):
        ticket_requests_process(event_id=event.pk)

    # then two were fulfilled (two queue orders reserved) and one rejected
    after = [
        _sample("tixxety_queue_requests_total", outcome="fulfilled"),
        _sample("tixxety_queue_requests_total", outcome="rejected"),
        _sample("tixxety_reservations_total", source="queue"),
    ]
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 2]
    inventory_drift_measure()
    assert REGISTRY.get_sample_value("tixxety_queue_depth") == 0
