"""``fast_insert``: many rows per statement, split where one would carry too many parameters."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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


def test_insert_columns_takes_lists_and_shared_values_and_returns_the_asked_fields(db, customer):
    ticket_type = TicketTypeFactory(capacity=10)
    (order,) = fast_insert.insert(
        [Order(user=customer, event=ticket_type.event, currency="USD", expires_at=ticket_type.event.ends_at)]
    )
    max_params = connection.features.max_query_params or POSTGRESQL_MAX_PARAMS
    count = max_params // 6 + 5  # six columns: two statements where VALUES carries them
    secrets = [f"s{n}" for n in range(count)]
    now = timezone.now()
    shared = {"order_id": order.pk, "ticket_type_id": ticket_type.pk, "status": "reserved", "created_at": now}
    shared["holder_name"] = ""

    with CaptureQueriesContext(connection) as queries:
        returned = fast_insert.insert_columns(
            Ticket, {"secret": secrets, **shared}, returning=("secret", "id")
        )
        fast_insert.insert_columns(Ticket, {**shared, "secret": ["named"], "holder_name": ["Ann"]})

    assert len(queries) == (2 if connection.vendor == "postgresql" else 3)
    stored = dict(Ticket.objects.filter(order=order).values_list("secret", "id"))
    assert dict(returned) == {secret: stored[secret] for secret in secrets}
    named = Ticket.objects.get(secret="named")
    assert (named.ticket_type, named.created_at, named.holder_name, named.seat) == (
        ticket_type,
        now,
        "Ann",
        None,
    )


def test_insert_columns_needs_one_value_per_row_in_every_listed_column(db):
    with pytest.raises(ValueError, match="one value per row"):
        fast_insert.insert_columns(Ticket, {"secret": ["a", "b"], "holder_name": ["x"]})
    with pytest.raises(ValueError, match="at least one column"):
        fast_insert.insert_columns(Ticket, {"secret": "a"})
    assert fast_insert.insert_columns(Ticket, {"secret": []}) == []
