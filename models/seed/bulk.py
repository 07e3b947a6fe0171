"""Bulk writing for large data sets: COPY on PostgreSQL, batched executemany elsewhere."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import Enum
from itertools import islice

import sqlalchemy as sa

from ..base import db

BATCH = 10_000


def _plain(value):
    """A value as the database driver takes it: a stored choice as its code."""
    return value.value if isinstance(value, Enum) else value


def insert_rows(table: sa.Table, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Write ``rows`` (tuples in the order of ``columns``) into ``table`` in the session's
    transaction; return how many. PostgreSQL gets one COPY, others executemany in batches."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return _copy(connection, table, columns, rows)
    statement = sa.insert(table)
    written = 0
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        connection.execute(statement, [dict(zip(columns, map(_plain, row), strict=True)) for row in batch])
        written += len(batch)
    return written


def _copy(connection, table: sa.Table, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    names = ", ".join(f'"{c}"' for c in columns)
    written = 0
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_text(v) for v in row])
            written += 1
    return written


def _text(value):
    """COPY's text form of a value (psycopg adapts the rest)."""
    value = _plain(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def reset_sequences(*tables: sa.Table) -> None:
    """After COPY with explicit ids, move PostgreSQL's id sequences past the largest id."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        following = sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0) + 1).scalar_subquery()
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        connection.execute(sa.select(sa.func.setval(sequence, following, False)))
