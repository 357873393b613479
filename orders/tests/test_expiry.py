"""Reservations expire by themselves: a delayed message, and a sweep for lost ones."""

from datetime import timedelta

import pytest
from django.utils import timezone
from dramatiq import Message
from dramatiq.common import current_millis
from dramatiq_crontab import scheduler

from events.models import TicketType
from orders.models import Order
from orders.services import order_expire, order_pay, order_reserve, orders_expire_overdue
from orders.tasks import order_expire_task, orders_expire_overdue_task
from tickets.models import Ticket
from tixxety.exceptions import OrderExpired


def _overdue(order):
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.usefixtures("invariants")
@pytest.mark.django_db
def test_expire_releases_inventory_and_voids_tickets(sale, customer):
    # given an overdue reservation of every ticket: the type is sold out
    event, regular = sale
    order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, regular.capacity)])
    _overdue(order)

    # when it expires
    order_expire(order_id=order.pk)

    # then its tickets are void and every ticket is on sale again
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert TicketType.objects.get(pk=regular.pk).reserved_count == 0
    assert set(Ticket.objects.filter(order=order).values_list("status", flat=True)) == {Ticket.Status.VOID}
    again = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, regular.capacity)])
    assert again.status == Order.Status.RESERVED


@pytest.mark.usefixtures("invariants")
@pytest.mark.django_db
def test_expire_is_idempotent_and_ignores_early_paid_and_missing_orders(sale, customer):
    event, regular = sale
    early = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    paid = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    order_pay(order_id=paid.pk, by=customer, provider="test", token="tok_visa")
    _overdue(paid)

    assert order_expire(order_id=early.pk).status == Order.Status.RESERVED  # message came early
    assert order_expire(order_id=paid.pk).status == Order.Status.PAID
    assert order_expire(order_id=987654) is None
    _overdue(early)
    order_expire(order_id=early.pk)
    order_expire(order_id=early.pk)
    assert TicketType.objects.get(pk=regular.pk).reserved_count == 0


@pytest.mark.usefixtures("invariants")
@pytest.mark.django_db
def test_paying_after_expiry_is_refused(sale, customer):
    event, regular = sale
    order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    _overdue(order)
    order_expire(order_id=order.pk)

    with pytest.raises(OrderExpired):
        order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")


@pytest.mark.usefixtures("invariants")
@pytest.mark.django_db
def test_sweep_expires_only_overdue_reservations(sale, customer):
    event, regular = sale
    overdue = [order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)]) for _ in range(2)]
    fresh = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    for order in overdue:
        _overdue(order)

    assert orders_expire_overdue() == 2

    assert Order.objects.get(pk=fresh.pk).status == Order.Status.RESERVED
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in overdue])} == {Order.Status.EXPIRED}
    assert orders_expire_overdue() == 0


@pytest.mark.usefixtures("invariants")
@pytest.mark.django_db
def test_reservation_sends_a_delayed_expiry_message_on_commit(
    sale, customer, broker, settings, django_capture_on_commit_callbacks
):
    settings.RESERVATION_HOLD_SECONDS = 90
    event, regular = sale

    with django_capture_on_commit_callbacks(execute=True):
        order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])

    [raw] = broker.queues[f"{order_expire_task.queue_name}.DQ"].queue
    message = Message.decode(raw)
    assert message.args == (order.pk,)
    hold_ms = (order.expires_at - timezone.now()).total_seconds() * 1000
    assert message.options["eta"] - current_millis() == pytest.approx(hold_ms, abs=2000)


@pytest.mark.usefixtures("invariants")
@pytest.mark.django_db(transaction=True)
def test_expiry_through_a_real_worker(sale, customer, broker, worker, settings):
    settings.RESERVATION_HOLD_SECONDS = 1
    event, regular = sale

    order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 3)])
    broker.join(order_expire_task.queue_name, fail_fast=True)
    worker.join()

    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert TicketType.objects.get(pk=regular.pk).available == regular.capacity


@pytest.mark.usefixtures("invariants")
@pytest.mark.django_db(transaction=True)
def test_the_scheduled_sweep_expires_a_reservation_whose_message_was_lost(sale, customer, broker, request):
    # given an overdue reservation whose delayed expiry message was lost (before a worker could hold it)
    event, regular = sale
    order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 2)])
    broker.flush_all()
    worker = request.getfixturevalue("worker")
    _overdue(order)
    [job] = [job for job in scheduler.get_jobs() if job.func == orders_expire_overdue_task.send]

    # when the scheduler fires the sweep's job and a worker runs what it enqueued
    job.func()
    broker.join(orders_expire_overdue_task.queue_name, fail_fast=True)
    worker.join()

    # then the reservation is expired and its tickets are on sale again
    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED
    assert TicketType.objects.get(pk=regular.pk).available == regular.capacity


@pytest.mark.usefixtures("invariants")
@pytest.mark.django_db(transaction=True)
def test_a_message_queued_under_the_actors_old_name_still_expires(sale, customer, broker, request):
    # given an expiry message enqueued before the actor was renamed to order_expire_task
    event, regular = sale
    order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 2)])
    broker.flush_all()  # before a worker could hold the new-style message
    worker = request.getfixturevalue("worker")
    _overdue(order)
    old = Message(queue_name="default", actor_name="expire_order", args=(order.pk,), kwargs={}, options={})

    # when a worker of the new code takes it
    broker.enqueue(old)
    broker.join("default", fail_fast=True)
    worker.join()

    # then it runs the renamed actor
    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED
