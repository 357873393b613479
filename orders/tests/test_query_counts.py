"""What a booking costs the database: the hot path must not gain a query unnoticed."""

import pytest

from events.models import Seat
from events.services import seats_generate
from orders.services import order_reserve
from orders.tests.factories import on_sale_event


@pytest.mark.django_db
def test_a_booking_runs_a_fixed_number_of_queries(customer, django_assert_num_queries):
    event, types = on_sale_event(Regular=10, Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=2)
    seat = Seat.objects.first()

    # read the sale, savepoint, three inserts, the claim, release
    with django_assert_num_queries(7):
        order_reserve(user=customer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    # with seats: their lookup, and the seated tickets in a savepoint of their own
    with django_assert_num_queries(10):
        order_reserve(user=customer, event_id=event.pk, seat_ids=[seat.pk])
