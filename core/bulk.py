from collections.abc import Iterable
from itertools import islice
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


def insert_missing(
    model: type[models.Model], rows: Iterable[models.Model], *, existing: models.QuerySet[Any], batch_size: int = 1000
) -> int:
    """Insert rows in batches, skipping any a unique constraint says exist already; how many were new.

    Safe to run twice or concurrently: the database, not a read first, decides what is new.
    """
    before = existing.count()
    rows = iter(rows)
    while batch := list(islice(rows, batch_size)):
        model._default_manager.bulk_create(batch, ignore_conflicts=True)
    return existing.count() - before


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's own sequence, so rows can refer to each other
    before they are written (and a concurrent insert never takes one of them)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [row[0] for row in cursor.fetchall()]


def copy_insert(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows with PostgreSQL's ``COPY … FROM STDIN``: tens of thousands a second.

    Each row is a dict by field attname (``backer_id``, not ``backer``); a field left out gets
    its default (``""`` for text without one), and every value goes through the field's own
    conversion to the database, so a Decimal stays exact. Unlike ``bulk_create`` nothing is
    overridden: ``auto_now_add`` fields keep the value given (historical data keeps its dates).
    No signals, no ``save()``.
    """
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: the module's proxy costs a lookup per value
    fields = list(model._meta.concrete_fields)
    # A field left out whose default is a constant is converted once, not once per row (a callable
    # default, say a fresh token or now(), is still called for every row).
    constants = {
        field.attname: field.get_db_prep_save(field.get_default(), db)
        for field in fields
        if not (field.has_default() and callable(field.default))
    }
    columns = ", ".join(db.ops.quote_name(str(field.column)) for field in fields)
    table = db.ops.quote_name(model._meta.db_table)
    written = 0
    with db.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = []
            for field in fields:
                name = field.attname
                if name in row:
                    values.append(field.get_db_prep_save(row[name], db))
                elif name in constants:
                    values.append(constants[name])
                else:
                    values.append(field.get_db_prep_save(field.get_default(), db))
            copy.write_row(values)
            written += 1
    return written
