"""Import into the registers from spreadsheets: read a file (``reading``), check each row as the
register's form does and classify it (``engine``), and the registers that take imports
(``registers``). The web layer and the CLI call ``preview`` and ``save``."""

from .counting import count_rows
from .engine import BATCH, Adapter, Field, Result, RowOutcome, run
from .reading import FileError, Table, read_table
from .registers import ADAPTERS

# Each of these adds its register to ADAPTERS (one module per register).
from . import deliveries, letters, network, offers, staff, substitutions, users  # noqa: E402,F401  isort: skip


def adapter_for(register: str, session, *, scope_user_id: int | None = None) -> Adapter:
    """The import of ``register`` (a key of ``ADAPTERS``) on ``session``."""
    return ADAPTERS[register](session, scope_user_id=scope_user_id)


def counted(table: Table, progress) -> Table:
    """``table`` with ``progress(rows read)`` called every batch of rows and at the end (a background
    job's progress bar); ``table`` itself without ``progress``."""
    if progress is None:
        return table

    def rows():
        done = 0
        for row in table.rows:
            yield row
            done += 1
            if done % BATCH == 0:
                progress(done)
        progress(done)

    return Table(table.headings, rows(), table.from_csv)


def preview(register: str, path, session, *, scope_user_id: int | None = None, progress=None) -> Result:
    """What importing the file at ``path`` would do; writes nothing."""
    adapter = adapter_for(register, session, scope_user_id=scope_user_id)
    table = counted(read_table(path, set(adapter.heading_map())), progress)
    try:
        return run(adapter, table, save=False)
    finally:
        session.rollback()


def save(
    register: str,
    path,
    session,
    *,
    source: str,
    plan: dict | None = None,
    scope_user_id: int | None = None,
    progress=None,
):
    """Import the file at ``path`` in one transaction: committed only when no row has an error and
    (given the preview's ``plan``) no record changed since the preview; otherwise rolled back.
    Every saved record is audited as coming from ``source`` (e.g. "import: clients.xlsx").
    ``progress(rows read)`` is called as the rows go (see ``counted``)."""
    from .. import audit
    from ..base import plan_for_the_table_as_it_is

    adapter = adapter_for(register, session, scope_user_id=scope_user_id)
    table = counted(read_table(path, set(adapter.heading_map())), progress)
    try:
        plan_for_the_table_as_it_is(session)
        with audit.source(source):
            result = run(adapter, table, save=True, plan=plan)
            if result.saved:
                session.commit()
            else:
                session.rollback()
    except BaseException:
        session.rollback()
        raise
    return result


__all__ = [
    "ADAPTERS",
    "Adapter",
    "Field",
    "FileError",
    "Result",
    "RowOutcome",
    "adapter_for",
    "count_rows",
    "preview",
    "read_table",
    "save",
]
