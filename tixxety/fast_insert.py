"""INSERT many model instances in one statement, without compiling a query.

Hot paths (a booking inserts an order, its lines and its tickets) spend more
CPU in the ORM compiling ``bulk_create`` than PostgreSQL spends executing it.
The SQL is built from the model's ``_meta`` once per (model, row count), so
it follows the schema and never contains input. Any app may use it.
"""

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
