"""``fast_insert.insert``: many rows per statement, split where one would carry too many parameters."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.tests.factories import TicketTypeFactory
from orders.models import Order
from tickets.models import Ticket
from tixxety import fast_insert
from tixxety.fast_insert import POSTGRESQL_MAX_PARAMS


def test_more_rows_than_one_statement_carries_go_in_as_several(db, customer):
    ticket_type = TicketTypeFactory(capacity=10)
    (order,) = fast_insert.insert(
        [Order(user=customer, event=ticket_type.event, currency="USD", expires_at=ticket_type.event.ends_at)]
    )
    per_statement = (connection.features.max_query_params or POSTGRESQL_MAX_PARAMS) // len(
        fast_insert.insert_sql(Ticket, 1)[1]
    )
    tickets = [Ticket(order=order, ticket_type=ticket_type) for _ in range(per_statement + 5)]

    with CaptureQueriesContext(connection) as queries:
        fast_insert.insert(tickets)

    assert [q["sql"].startswith("INSERT") for q in queries.captured_queries] == [True, True]
    assert (
        len({ticket.pk for ticket in tickets}) == len(tickets) == Ticket.objects.filter(order=order).count()
    )
