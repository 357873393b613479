"""The waitlist (DESIGN.md flow 5): join only when sold out, FIFO promotion in the freeing transaction."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event, TicketType
from events.services import seats_generate, ticket_type_update
from orders.models import Order, WaitlistEntry
from orders.services import order_cancel, order_expire, order_pay, order_refund, order_reserve
from orders.services.waitlist import waitlist_join, waitlist_leave
from orders.tasks import waitlist_offer_send_task
from orders.tests.factories import on_sale_event
from tixxety.exceptions import Conflict, DomainError, NotFound, NotOnSale
from tixxety.models import OutboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("invariants")]

W = WaitlistEntry.Status


def _book(event, ticket_type, quantity=1, user=None):
    return order_reserve(user=user or UserFactory(), event_id=event.pk, items=[(ticket_type.pk, quantity)])


def _sold_out(capacity=2):
    """An event whose 'Regular' type is sold out by one order per ticket; the orders, oldest first."""
    event, types = on_sale_event(Regular=capacity)
    regular = types["Regular"]
    return event, regular, [_book(event, regular) for _ in range(capacity)]


def _join(ticket_type, quantity=1, user=None):
    return waitlist_join(user=user or UserFactory(), ticket_type_id=ticket_type.pk, quantity=quantity)


def _statuses(*entries):
    return [WaitlistEntry.objects.get(pk=e.pk).status for e in entries]


def _expire(order):
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return order_expire(order_id=order.pk)


def test_join_is_refused_while_the_request_fits_what_is_available():
    event, types = on_sale_event(Regular=3)
    _book(event, types["Regular"], 2)

    with pytest.raises(Conflict) as refused:
        _join(types["Regular"], 1)
    assert (refused.value.code, refused.value.detail) == ("tickets_available", "Tickets are available")

    # two do not fit the one left: that request may wait
    assert _join(types["Regular"], 2).status == W.WAITING


def test_join_keeps_to_the_per_order_limits_and_the_sale():
    event, regular, _ = _sold_out()
    with pytest.raises(DomainError) as too_many:
        _join(regular, regular.max_per_order + 1)
    assert too_many.value.code == "max_per_order"
    with pytest.raises(DomainError) as zero:
        _join(regular, 0)
    assert zero.value.code == "invalid_quantity"
    event.status = event.Status.DEACTIVATED
    event.save()
    with pytest.raises(NotOnSale):
        _join(regular, 1)


def test_one_active_entry_per_user_and_ticket_type():
    _, regular, _ = _sold_out()
    user = UserFactory()
    entry = _join(regular, 1, user)

    with pytest.raises(Conflict) as twice:
        _join(regular, 2, user)
    assert twice.value.code == "already_waiting"

    waitlist_leave(entry_id=entry.pk, by=user)
    assert _join(regular, 2, user).status == W.WAITING  # after leaving, one may join again
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database says so too
        WaitlistEntry.objects.create(user=user, ticket_type=regular, quantity=1)


def test_a_cancellation_serves_the_first_waiting_entry_with_a_reserved_order():
    _, regular, orders = _sold_out()
    first, second = _join(regular), _join(regular)

    order_cancel(order_id=orders[0].pk, by=orders[0].user)

    first.refresh_from_db()
    assert (first.status, _statuses(second)) == (W.OFFERED, [W.WAITING])
    offer = first.order
    assert (offer.status, offer.source, offer.user) == (
        Order.Status.RESERVED,
        Order.Source.WAITLIST,
        first.user,
    )
    assert offer.expires_at > timezone.now() and first.offered_at is not None
    assert list(offer.lines.values_list("ticket_type_id", "quantity")) == [(regular.pk, 1)]
    assert offer.tickets.count() == 1
    regular.refresh_from_db()
    assert regular.available == 0  # the freed ticket never went back on sale


def test_expiry_and_refund_serve_the_waitlist_in_order():
    _, regular, orders = _sold_out()
    first, second = _join(regular), _join(regular)

    _expire(orders[0])
    assert _statuses(first, second) == [W.OFFERED, W.WAITING]

    order_pay(order_id=orders[1].pk, by=orders[1].user, provider="test", token="tok_visa")
    order_refund(order_id=orders[1].pk, by=orders[1].user)
    assert _statuses(first, second) == [W.OFFERED, W.OFFERED]


def test_a_capacity_increase_serves_the_waitlist_fifo_and_puts_the_rest_on_sale():
    _, regular, _ = _sold_out()
    entries = [_join(regular, 2), _join(regular, 1), _join(regular, 1)]

    ticket_type_update(ticket_type=regular, capacity=6)  # four more

    assert _statuses(*entries) == [W.OFFERED, W.OFFERED, W.OFFERED]
    regular.refresh_from_db()
    assert regular.available == 0
    ticket_type_update(ticket_type=regular, capacity=7)  # nobody waits now: it goes on sale
    regular.refresh_from_db()
    assert regular.available == 1


def test_an_entry_that_does_not_fit_keeps_its_place_while_a_smaller_later_one_is_served():
    _, regular, orders = _sold_out(3)
    big, small, also_big = _join(regular, 2), _join(regular, 1), _join(regular, 2)

    order_cancel(order_id=orders[0].pk, by=orders[0].user)  # one ticket frees
    assert _statuses(big, small, also_big) == [W.WAITING, W.OFFERED, W.WAITING]

    order_cancel(order_id=orders[1].pk, by=orders[1].user)
    order_cancel(order_id=orders[2].pk, by=orders[2].user)  # now two: the big entry first, it kept its place
    assert _statuses(big, small, also_big) == [W.OFFERED, W.OFFERED, W.WAITING]


def test_a_promoted_order_that_expires_serves_the_next_entry():
    _, regular, orders = _sold_out(1)
    first, second = _join(regular), _join(regular)
    order_cancel(order_id=orders[0].pk, by=orders[0].user)
    first.refresh_from_db()

    _expire(first.order)

    assert _statuses(first, second) == [W.EXPIRED, W.OFFERED]
    second.refresh_from_db()
    assert second.order.status == Order.Status.RESERVED


def test_paying_the_offer_fulfils_the_entry_and_cancelling_it_cancels_the_entry():
    _, regular, orders = _sold_out()
    first, second, third = _join(regular), _join(regular), _join(regular)
    order_cancel(order_id=orders[0].pk, by=orders[0].user)
    order_cancel(order_id=orders[1].pk, by=orders[1].user)
    first.refresh_from_db()
    second.refresh_from_db()

    order_pay(order_id=first.order_id, by=first.user, provider="test", token="tok_visa")
    order_cancel(order_id=second.order_id, by=second.user)

    assert _statuses(first, second, third) == [W.FULFILLED, W.CANCELLED, W.OFFERED]


def test_leaving_an_offered_entry_cancels_its_order_for_the_next_one():
    _, regular, orders = _sold_out(1)
    first, second = _join(regular), _join(regular)
    order_cancel(order_id=orders[0].pk, by=orders[0].user)

    left = waitlist_leave(entry_id=first.pk, by=first.user)

    assert left.status == W.CANCELLED and left.order.status == Order.Status.CANCELLED
    assert _statuses(second) == [W.OFFERED]


def test_another_users_entry_is_not_found():
    _, regular, _ = _sold_out()
    entry = _join(regular)
    with pytest.raises(NotFound):
        waitlist_leave(entry_id=entry.pk, by=UserFactory())
    assert _statuses(entry) == [W.WAITING]


def test_the_offer_mail_goes_through_the_outbox_with_the_deadline_and_how_to_pay(
    mailoutbox, django_capture_on_commit_callbacks
):
    _, regular, orders = _sold_out(1)
    entry = _join(regular)
    order_cancel(order_id=orders[0].pk, by=orders[0].user)
    entry.refresh_from_db()

    [message] = OutboxMessage.objects.filter(actor_name=waitlist_offer_send_task.actor_name)
    assert message.args == [entry.order_id]
    waitlist_offer_send_task(*message.args)

    [mail] = mailoutbox
    assert mail.to == [entry.user.email] and entry.order.code in mail.subject
    assert f"/orders/{entry.order.code}/" in mail.body and "Pay before" in mail.body


def test_promotion_rolls_back_with_the_cancellation():
    _, regular, orders = _sold_out(1)
    entry = _join(regular)

    with pytest.raises(RuntimeError), transaction.atomic():
        order_cancel(order_id=orders[0].pk, by=orders[0].user)
        raise RuntimeError("the caller's transaction fails after the cancellation")

    assert _statuses(entry) == [W.WAITING]
    assert not Order.objects.filter(source=Order.Source.WAITLIST).exists()
    assert TicketType.objects.get(pk=regular.pk).available == 0


def test_nothing_is_promoted_for_an_event_no_longer_on_sale_or_a_type_given_seats():
    event, regular, orders = _sold_out(1)
    entry = _join(regular)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.DEACTIVATED)

    order_cancel(order_id=orders[0].pk, by=orders[0].user)

    assert _statuses(entry) == [W.WAITING]
    Event.objects.filter(pk=event.pk).update(status=Event.Status.PUBLISHED)
    seats_generate(event=event, ticket_type=regular, rows=1, seats_per_row=3)  # capacity 3: raised
    assert _statuses(entry) == [W.WAITING]
    assert not Order.objects.filter(source=Order.Source.WAITLIST).exists()
