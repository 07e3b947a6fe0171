"""SQL said once for both databases, where PostgreSQL and SQLite spell it differently."""

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class month_of(GenericFunction):  # noqa: N801 (a SQL function, named as one)
    """The first day of the month of a date column, in SQL (``models.invoices.month_start`` in Python)."""

    type = sa.Date()
    inherit_cache = True


@compiles(month_of, "postgresql")
def _month_of_postgresql(element, compiler, **kw) -> str:
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


class not_by_index(GenericFunction):  # noqa: N801
    """An integer column that the database is not to look rows up by (``column + 0``): for a month's
    deliveries of the pilot's clients, read by date, never sought client by client through
    ``client_id``. SQLite chose that seek for the 67,000 clients even with statistics (2.7 s against
    0.5 s by date at 200,000 deliveries); PostgreSQL chose it when its statistics knew of one pilot
    client (a nested loop over every client's deliveries). Either way it is one pass over the month."""

    inherit_cache = True

    def __init__(self, column, **kw):
        super().__init__(column, **kw)
        self.type = column.type


@compiles(not_by_index)
def _not_by_index(element, compiler, **kw) -> str:
    return f"({compiler.process(element.clauses, **kw)} + 0)"
