"""The statements a booking runs, in SQL written for them.

A flash sale runs these once per booking, thousands of times a minute. The
ORM spends more CPU compiling them than PostgreSQL spends executing them
(measured: reading the sale 1.0 ms against 0.14 ms, the three inserts 0.71
against 0.24, the claim 0.39 against 0.06), and CPU is what a booking server
runs out of. The inserts are ``tixxety.fast_insert``'s, shared with ``tickets``.
Column lists come from the models' ``_meta``, so the SQL follows the schema; the
reservation tests cover every statement on SQLite and PostgreSQL, and
``test_reservation_sql`` holds the sale read equal to the ORM's, field by field.
``bench/flash_sale.py`` runs these same statements in pgbench for its ceiling.
"""

from functools import cache

from django.db import connection
from django.db.models import Model

from events.models import Event, Seat, TicketType, Venue
from orders.models import Order
from tixxety.fast_insert import quoted_table as _table


@cache
def _reader(model: type[Model]) -> tuple[list[str], list[tuple]]:
    """The model's attnames, and (index, column, converters) for each value the ORM would convert.

    Only some fields need a converter (SQLite stores dates and decimals as
    text; PostgreSQL needs almost none), so the rest are passed through.
    """
    fields = model._meta.concrete_fields
    conversions = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            conversions.append((index, column, converters))
    return [field.attname for field in fields], conversions


def _from_row(model: type[Model], values: tuple) -> Model:
    """A complete instance from a row of all its concrete columns, converted as the ORM would."""
    attnames, conversions = _reader(model)
    if conversions:
        values = list(values)
    for index, column, converters in conversions:
        value = values[index]
        for converter in converters:
            value = converter(value, column, connection)
        values[index] = value
    return model.from_db(connection.alias, attnames, values)


def _columns(model: type[Model], alias: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


# The statements are built from model metadata, never from input, and once per shape.
@cache
def select_sql() -> str:
    """The sale read of ``select_ticket_types``; its one parameter is the event id.

    Every concrete column of the ticket type, its ``seated`` flag, then every
    column of the event and of the venue, in the models' field order.
    """
    return (
        f"SELECT {_columns(TicketType, 'tt')}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {_table(Seat)} s WHERE s.ticket_type_id = tt.id), "
        f"{_columns(Event, 'e')}, {_columns(Venue, 'v')} "
        f"FROM {_table(TicketType)} tt JOIN {_table(Event)} e ON e.id = tt.event_id "
        f"JOIN {_table(Venue)} v ON v.id = e.venue_id "
        "WHERE tt.event_id = %s"
    )


@cache
def claim_sql() -> str:
    """The conditional UPDATE of ``claim``; its parameters are quantity, ticket type id, quantity."""
    return (
        f"UPDATE {_table(TicketType)} SET reserved_count = reserved_count + %s "  # noqa: S608
        "WHERE id = %s AND reserved_count + sold_count + %s <= capacity"
    )


def select_ticket_types(event_id: int) -> dict[int, TicketType]:
    """The event's ticket types by id, each with its event, the event's venue, and ``seated``.

    One query, what ``select_related("event__venue")`` with an ``Exists``
    annotation would give: complete instances, no deferred field, so the
    order, its notifications and the queue read them without another query.
    All the types share one Event instance.
    """
    with connection.cursor() as cursor:
        cursor.execute(select_sql(), [event_id])
        rows = cursor.fetchall()
    if not rows:
        return {}
    ticket_type_width = len(TicketType._meta.concrete_fields)
    event_start = ticket_type_width + 1
    venue_start = event_start + len(Event._meta.concrete_fields)
    event = _from_row(Event, rows[0][event_start:venue_start])
    Event.venue.field.set_cached_value(event, _from_row(Venue, rows[0][venue_start:]))
    ticket_types = {}
    for row in rows:
        ticket_type = _from_row(TicketType, row[:ticket_type_width])
        ticket_type.seated = bool(row[ticket_type_width])
        TicketType.event.field.set_cached_value(ticket_type, event)
        ticket_types[ticket_type.pk] = ticket_type
    return ticket_types


def claim(ticket_type_id: int, quantity: int) -> bool:
    """Take ``quantity`` tickets if that many are left: the conditional UPDATE of DESIGN.md flow 1."""
    with connection.cursor() as cursor:
        cursor.execute(claim_sql(), [quantity, ticket_type_id, quantity])
        return cursor.rowcount == 1


def as_prefetched(order: Order, **related: list) -> None:
    """Hand the caller the order with what was just written, as prefetch_related would.

    Answering a booking then costs no second read of rows this transaction
    created. This fills the cache the way ``prefetch_related_objects`` does.
    """
    order._prefetched_objects_cache = {}
    for name, objects in related.items():
        queryset = getattr(order, name).all()
        queryset._result_cache = objects
        queryset._prefetch_done = True
        order._prefetched_objects_cache[name] = queryset
