"""Races that money and seats depend on, as real concurrent transactions on PostgreSQL.

Each buyer is a thread with its own database connection; a barrier releases
them together so their transactions overlap.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from events.models import Seat, TicketType
from events.services import seats_generate
from orders.models import Order
from orders.services import order_expire, order_pay, order_reserve
from orders.tests.factories import on_sale_event
from tickets.models import Ticket
from tixxety.exceptions import DomainError

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants"),
]


def _race(*jobs):
    """Run the callables at the same moment, each in its own thread and connection; return their results."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def test_fifty_buyers_race_for_the_last_ten_tickets():
    event, types = on_sale_event(Regular=10)
    buyers = [_client(UserFactory()) for _ in range(50)]
    body = {"ticket_type": types["Regular"].pk, "quantity": 1}

    responses = _race(
        *[lambda c=c: c.post(f"/api/events/{event.pk}/book", body, format="json") for c in buyers]
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [409] * 40
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sold_out"}
    regular = TicketType.objects.get(pk=types["Regular"].pk)
    assert (
        regular.reserved_count == 10 == Ticket.objects.filter(ticket_type=regular, status="reserved").count()
    )
    assert Order.objects.count() == 10


def test_twenty_buyers_race_for_one_seat():
    event, types = on_sale_event(Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=5)
    seat = Seat.objects.get(label="A3")
    buyers = [_client(UserFactory()) for _ in range(20)]

    responses = _race(
        *[
            lambda c=c: c.post(f"/api/events/{event.pk}/book", {"seat_ids": [seat.pk]}, format="json")
            for c in buyers
        ]
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * 19
    assert {r.json()["detail"] for r in responses if r.status_code == 409} == {"Seat A3 is already taken"}
    assert Ticket.objects.filter(seat=seat, status__in=["reserved", "valid"]).count() == 1


@pytest.mark.parametrize("attempt", range(5))
def test_payment_racing_expiry_has_exactly_one_winner(attempt):
    event, types = on_sale_event(Regular=5)
    buyer = UserFactory()
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    # The hold runs out while the payment is on its way.
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() + timedelta(milliseconds=30))

    pay, expire = _race(
        lambda: order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa"),
        lambda: (threading.Event().wait(0.03), order_expire(order_id=order.pk))[1],
    )

    order.refresh_from_db()
    regular = TicketType.objects.get(pk=types["Regular"].pk)
    if order.status == "paid":
        assert isinstance(pay, Order) and regular.sold_count == 2 and regular.reserved_count == 0
        assert set(order.tickets.values_list("status", flat=True)) == {"valid"}
    else:
        assert order.status == "expired"
        assert isinstance(pay, DomainError) and pay.code == "order_expired"
        assert regular.sold_count == regular.reserved_count == 0
        assert set(order.tickets.values_list("status", flat=True)) == {"void"}
    assert not isinstance(expire, Exception)


def test_concurrent_duplicate_idempotency_keys_create_one_order():
    event, types = on_sale_event(Regular=50)
    client = _client(UserFactory())
    body = {"ticket_type": types["Regular"].pk, "quantity": 2}

    responses = _race(
        *[
            lambda: client.post(
                f"/api/events/{event.pk}/book", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
            )
            for _ in range(8)
        ]
    )

    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["code"] for r in created}) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    assert all(r.json()["code"] == "idempotency_in_flight" for r in responses if r.status_code == 409)
    assert Order.objects.count() == 1
    assert TicketType.objects.get(pk=types["Regular"].pk).reserved_count == 2


def test_multi_type_orders_lock_in_one_order_without_deadlocks():
    event, types = on_sale_event(A=40, B=40)
    a, b = types["A"].pk, types["B"].pk
    buyers = [UserFactory() for _ in range(16)]

    results = _race(
        *[
            lambda u=u, i=i: order_reserve(
                user=u, event_id=event.pk, items=[(a, 1), (b, 1)] if i % 2 else [(b, 1), (a, 1)]
            )
            for i, u in enumerate(buyers)
        ]
    )

    assert all(isinstance(r, Order) for r in results), results
    assert TicketType.objects.get(pk=a).reserved_count == TicketType.objects.get(pk=b).reserved_count == 16
