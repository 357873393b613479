"""INSERT many model instances in one statement, without compiling a query.

Hot paths (a booking inserts an order, its lines and its tickets) spend more
CPU in the ORM compiling ``bulk_create`` than PostgreSQL spends executing it.
The SQL is built from the model's ``_meta`` once per (model, row count), so
it follows the schema and never contains input. Any app may use it.
"""

from collections.abc import Mapping, Sequence
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model

# PostgreSQL's limit on the parameters of one statement (Django names none for it).
POSTGRESQL_MAX_PARAMS = 65_535


def quoted_table(model: type[Model]) -> str:
    """The model's table name, quoted for the connection's database."""
    return connection.ops.quote_name(model._meta.db_table)


@cache
def insert_sql(model: type[Model], count: int) -> tuple[str, list]:
    """The INSERT of ``count`` rows (``... RETURNING <pk>``) and the fields of its parameters, row by row."""
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quoted_table(model)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * count)} RETURNING {quote(model._meta.pk.column)}"
    )
    return sql, fields


def insert(objects: list[Model]) -> list[Model]:
    """INSERT unsaved instances of one model, many rows per statement, and set their primary keys.

    What ``bulk_create`` does for these rows (defaults, ``auto_now_add``,
    conversion to the database's types) without compiling a query. More rows
    than one statement may carry (the queue inserts thousands of tickets at
    once) go in as several statements.
    """
    if not objects:
        return objects
    fields = insert_sql(type(objects[0]), 1)[1]
    rows_per_statement = (connection.features.max_query_params or POSTGRESQL_MAX_PARAMS) // len(fields)
    for start in range(0, len(objects), rows_per_statement):
        _insert_rows(objects[start : start + rows_per_statement])
    return objects


def _insert_rows(objects: list[Model]) -> None:
    sql, fields = insert_sql(type(objects[0]), len(objects))
    # The wrapper itself, not the ``connection`` proxy: one look-up, not one per value.
    db = connections[DEFAULT_DB_ALIAS]
    params = [
        field.get_db_prep_save(field.pre_save(obj, add=True), db) for obj in objects for field in fields
    ]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        pks = cursor.fetchall()
    for obj, (pk,) in zip(objects, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = db.alias


def insert_columns(
    model: type[Model], columns: Mapping[str, Sequence | object], *, returning: Sequence[str] = ()
) -> list[tuple]:
    """INSERT rows given column by column; returns each row's ``returning`` fields, in no promised order.

    ``columns`` maps field names to one value per row (a list; at least one
    column is one) or to one value for every row; values go to the database as given (ids, not
    instances). Fields left out get their column's database default (NULL
    without one). On PostgreSQL this is one statement
    for any row count, one array parameter per listed column, unnested: its
    text does not grow with the rows, so psycopg converts it once, where a
    VALUES list of thousands of rows is re-parsed placeholder by placeholder
    on every execution (the queue's batches spent longer there than
    PostgreSQL spent inserting). Elsewhere, multi-row VALUES as ``insert``,
    each value through its field's ``get_db_prep_save``.
    """
    listed = {name: values for name, values in columns.items() if isinstance(values, list | tuple)}
    shared = {name: value for name, value in columns.items() if name not in listed}
    counts = {len(values) for values in listed.values()}
    if len(counts) != 1:
        raise ValueError("insert_columns: list at least one column, and one value per row in each")
    (count,) = counts
    if not count:
        return []
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        sql = _unnest_sql(model, tuple(listed), tuple(shared), tuple(returning))
        with db.cursor() as cursor:
            cursor.execute(sql, [*shared.values(), *listed.values()])  # the order of the SQL text
            return cursor.fetchall() if returning else []
    names = [*listed, *shared]
    field = model._meta.get_field
    shared_values = [field(name).get_db_prep_save(value, db) for name, value in shared.items()]
    prepared = [[field(name).get_db_prep_save(v, db) for v in values] for name, values in listed.items()]
    rows = [[*(values[n] for values in prepared), *shared_values] for n in range(count)]
    per_statement = (db.features.max_query_params or POSTGRESQL_MAX_PARAMS) // len(names)
    fetched = []
    for start in range(0, count, per_statement):
        chunk = rows[start : start + per_statement]
        sql = _values_sql(model, tuple(names), len(chunk), tuple(returning))
        with db.cursor() as cursor:
            cursor.execute(sql, [value for row in chunk for value in row])
            fetched += cursor.fetchall() if returning else []
    return fetched


def _columns(model: type[Model], names: Sequence[str]) -> str:
    return ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in names)


def _returning(model: type[Model], names: Sequence[str]) -> str:
    return f" RETURNING {_columns(model, names)}" if names else ""


@cache
def _unnest_sql(model: type[Model], listed: tuple, shared: tuple, returning: tuple) -> str:
    def cast(name: str, suffix: str = "") -> str:
        return f"%s::{model._meta.get_field(name).cast_db_type(connection)}{suffix}"

    selected = ["u.*", *(cast(name) for name in shared)]
    return (
        f"INSERT INTO {quoted_table(model)} ({_columns(model, [*listed, *shared])}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(cast(name, '[]') for name in listed)}) AS u"
        + _returning(model, returning)
    )


@cache
def _values_sql(model: type[Model], names: tuple, count: int, returning: tuple) -> str:
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    return (
        f"INSERT INTO {quoted_table(model)} ({_columns(model, names)}) "  # noqa: S608
        f"VALUES {', '.join([row] * count)}" + _returning(model, returning)
    )
