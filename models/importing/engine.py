"""The import engine every register's import runs on (the registers' adapters are beside it).

Each row of the file goes through the same checks as the register's form: each cell is read as what
its column holds (``values``), texts follow the text rule (models/text.py) and the column's length,
and the record as it would be saved goes through the register's rules (``client_errors``, …). A row
is *new* (no record has its natural key), an *update* (the cells that differ, old → new),
*unchanged*, or an *error* (a message on each cell that is wrong).

The preview (``save=False``) writes nothing. The save (``save=True``) runs the same checks again on
the same file, and writes only when no row has an error and every record is still the version the
preview read (the preview's ``plan``); the caller commits or rolls back. Rows are read as a stream and
checked in batches: each batch's records are loaded by one query and let go of afterwards, so memory
does not grow with the file."""

import gc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import force_locale, format_number
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import NO_VALUE

from ..providers import known_owners
from ..text import text_error
from . import bulk, values
from .first_rows import FirstRows
from .reading import FileError, Table, heading_key
from .values import shown

#: Rows checked together: one query loads their records. Saves a round trip per row (100,000 of them).
BATCH = 500
#: Rows of each kind a preview keeps to show; every error row is kept (up to ``KEPT_ERRORS``).
SHOWN_ROWS = 200
KEPT_ERRORS = 10_000
#: The plan's entry of a row that matched no record (such rows are left out of the plan).
NO_RECORD = [None, None]


@dataclass
class Field:
    """One column of a register's file."""

    name: str
    label: object  # a lazy string: the heading, as the export and the template write it
    parse: Callable = values.text
    required: bool = False
    #: False: shown by the export (a derived value) and ignored on import.
    writable: bool = True
    #: Text kept as written (the text rule applies); codes are trimmed.
    is_text: bool = True
    max_length: int | None = None
    #: False for a column that may not be empty (it has a default): an empty cell keeps what is there.
    nullable: bool = True


@dataclass
class RowOutcome:
    number: int
    status: str  # "new", "update", "unchanged", "error"
    key: str | None = None
    record_id: int | None = None
    version: int | None = None
    changes: dict = field(default_factory=dict)  # heading -> [old, new] as shown
    errors: dict = field(default_factory=dict)  # heading -> message
    cells: list | None = None
    record: object = None


@dataclass
class Result:
    headings: list
    counts: Counter = field(default_factory=Counter)
    rows: list = field(default_factory=list)
    #: {row number: [record id, version]} of every row that matched a record: what the save must still
    #: find (a row left out matched none, and the save must find none for it either).
    plan: dict = field(default_factory=dict)
    ignored_headings: list = field(default_factory=list)
    #: Row numbers whose record changed since the preview (the save was refused).
    stale: list = field(default_factory=list)
    saved: bool = False

    @property
    def errors(self) -> int:
        return self.counts["error"]

    def summary(self) -> str:
        return str(
            _l(
                "%(new)s new, %(update)s updated, %(unchanged)s unchanged, %(error)s errors",
                new=format_number(self.counts["new"]),
                update=format_number(self.counts["update"]),
                unchanged=format_number(self.counts["unchanged"]),
                error=format_number(self.counts["error"]),
            )
        )


class Adapter:
    """A register's import: its model, natural key, columns and rules (subclassed per register)."""

    name = ""
    title: object = ""
    model = None
    key = ""  # the field holding the natural key
    rules: Callable | None = None
    #: Relationships the rules read, loaded with each batch's records.
    collections: tuple = ()

    def __init__(self, session, *, scope_user_id: int | None = None):
        self.session = session
        self.scope_user_id = scope_user_id
        self.fields: list[Field] = self.columns()
        self.by_name = {f.name: f for f in self.fields}
        self.labels = {f.name: str(f.label) for f in self.fields}  # once per import, not per row
        columns = self.model.__table__.columns
        for f in self.fields:
            column = columns.get(f.name)
            length = getattr(getattr(column, "type", None), "length", None)
            if f.max_length is None and length:
                f.max_length = length
            if column is not None and not column.nullable:
                f.nullable = False

    # --- what a subclass may change ---

    def columns(self) -> list[Field]:
        """The register's columns: first those of its export, in the export's order and headings."""
        raise NotImplementedError

    def current(self, record, read: dict) -> dict:
        """The values of the fields in ``read`` as ``record`` holds them (compared before and after)."""
        return {name: self.get(record, name) for name in read}

    def finish(self, record, read: dict) -> dict:
        """Called after the cells are put on ``record`` and before the rules: {field: message}."""
        return {}

    def key_of(self, read: dict):
        """The row's natural key as written, from the cells read (None: not given). A register whose
        key is several columns (an offer: provider, support, day asked) joins them here."""
        return read.get(self.key)

    def version_of(self, record):
        """What the save must still find of a record the preview read (its version)."""
        return getattr(record, "version", None)

    def normal_key(self, value: str) -> str:
        """The natural key as stored (e.g. a code compacted); raises ``values.CellError``."""
        return value

    def load(self, keys: list[str]) -> dict:
        """The records with these natural keys, by key (one query)."""
        column = getattr(self.model, self.key)
        # The collections the rules read, loaded with the batch: saves a query per row (network, staff, bids).
        query = sa.select(self.model).where(column.in_(keys)).options(*(selectinload(c) for c in self.collections))
        return {getattr(r, self.key): r for r in self.session.scalars(query)}

    def new_record(self):
        """A new record with its columns' defaults set now (the rules read them before any flush)."""
        record = self.model()
        for column in self.model.__table__.columns:
            default = column.default
            if column.key not in ("id", "version") and default is not None and default.is_scalar:
                setattr(record, column.key, default.arg)
        return record

    def get(self, record, name: str):
        return getattr(record, name)

    def put(self, record, name: str, value) -> None:
        setattr(record, name, value)

    def out_of_scope(self, record, existed: bool) -> dict:
        """{field: message} when the user may not create or change this record (least access)."""
        return {}

    def headings(self) -> list[str]:
        """The columns' headings in the current language (the template's)."""
        return [str(f.label) for f in self.fields]

    def heading_map(self) -> dict[str, Field]:
        """Every heading a file may use, in Estonian and English, to its field."""
        found: dict[str, Field] = {}
        for language in values.LANGUAGES:
            with force_locale(language):
                for f in self.fields:
                    found.setdefault(heading_key(str(f.label)), f)
        return found


def run(adapter: Adapter, table: Table, *, save: bool = False, plan: dict | None = None) -> Result:
    """Check (and with ``save``, write) every row of ``table``; see the module."""
    mapping = adapter.heading_map()
    columns: list[tuple[int, Field]] = []
    result = Result(headings=list(table.headings))
    taken: set[str] = set()
    for index, heading in enumerate(table.headings):
        f = mapping.get(heading_key(heading))
        if f is None or f.name in taken:
            if heading not in (None, ""):
                result.ignored_headings.append(str(heading))
            continue
        taken.add(f.name)
        if f.writable:
            columns.append((index, f))
    key_field = adapter.by_name[adapter.key]
    if adapter.key not in taken:
        raise FileError(_l("The file has no column %(heading)s.", heading=str(key_field.label)))
    seen = FirstRows()
    batch: list = []
    # The objects the process already holds (the app, its mappers, the translations) are left out of
    # the garbage collector's rounds while the rows run: every full round walked them all again, a
    # fifth of an import's time. They are handed back to it at the end.
    gc.freeze()
    try:
        for number, cells in table.rows:
            if all(values.empty(c) for c in cells):
                continue
            batch.append((number, cells))
            if len(batch) >= BATCH:
                _batch(adapter, batch, columns, table.from_csv, seen, result, save, plan)
                batch = []
        if batch:
            _batch(adapter, batch, columns, table.from_csv, seen, result, save, plan)
    finally:
        gc.unfreeze()
        seen.close()
    result.saved = save and not result.errors and not result.stale
    return result


def _read(columns, cells, from_csv):
    """{field name: value} of the cells that could be read, {field name: message} of the rest."""
    read, errors = {}, {}
    for index, f in columns:
        raw = cells[index] if index < len(cells) else None
        try:
            read[f.name] = f.parse(raw, from_csv=from_csv) if f.parse is values.text else f.parse(raw)
        except values.CellError as e:
            errors[f.name] = str(e)
    return read, errors


def _batch(adapter, batch, columns, from_csv, seen, result, save, plan) -> None:
    key_name = adapter.key
    parsed = []
    for number, cells in batch:
        read, errors = _read(columns, cells, from_csv)
        key = adapter.key_of(read)
        if key is None and key_name not in errors:
            errors[key_name] = str(_l("Fill in this field; white space alone is not enough."))
        elif key_name not in errors:
            try:
                key = adapter.normal_key(key)
            except values.CellError as e:
                errors[key_name] = str(e)
                key = None
            except ValueError as e:  # a models.codes.CodeError
                errors[key_name] = str(e)
                key = None
        parsed.append((number, cells, read, errors, key))
    again = seen.claim([(number, key) for number, _, _, _, key in parsed if key is not None])
    for number, _, _, errors, _ in parsed:
        if number in again:
            errors[key_name] = str(_l("The same record is already on row %(row)s of the file.", row=again[number]))
    keys = [p[4] for p in parsed if p[4] is not None and not p[3]]
    found = adapter.load(keys)
    # Who holds each key of the batch, as the load just read it: the rules' "already registered"
    # check answers from it instead of a query per row (models/providers.py ``known_owners``).
    owners = {key: None for key in keys} | {key: record.id for key, record in found.items()}
    touched = []
    with adapter.session.no_autoflush, known_owners(getattr(adapter.model, key_name, None), owners):
        for number, cells, read, errors, key in parsed:
            record = found.get(key) if not errors else None
            outcome = _check(adapter, number, read, errors, key, record)
            outcome.key = outcome.key or shown(read.get(key_name))  # a key refused is shown as written
            if outcome.status in ("new", "update") and save:
                touched.append(outcome.record)
            elif outcome.record is not None and outcome.record in adapter.session:
                if outcome.status == "unchanged" and not _set_to_new_values(outcome.record):
                    # Let go of it now: the flush would compare all its fields to find nothing to write.
                    adapter.session.expunge(outcome.record)
                else:
                    touched.append(outcome.record)
            _tally(adapter, result, outcome, cells, save, plan)
    if save and not result.errors and not result.stale:
        in_bulk = []
        for record in touched:
            if record in adapter.session:
                continue
            if bulk.insertable(adapter.session, record, key_name):
                in_bulk.append(record)  # one INSERT for the batch's new records (models/importing/bulk.py)
            else:
                adapter.session.add(record)
        adapter.session.flush()  # the batch's UPDATEs (and other INSERTs), audited by models/audit.py
        bulk.insert(adapter.session, in_bulk, key_name)
    for record in touched:  # let go of the batch's records: memory stays flat whatever the file's size
        if record in adapter.session:
            adapter.session.expunge(record)


def _set_to_new_values(record) -> bool:
    """True when a field of ``record`` was set to a value other than the one it had. Looks only at the
    fields that were set (a row's cells and what the rules derive), not at all of them as the flush's
    check does: on a re-import of unchanged rows that check was a fifth of the time."""
    state = sa.inspect(record)
    values = state.dict
    for key, old in state.committed_state.items():
        new = values.get(key, NO_VALUE)
        # What SQLAlchemy's history would say, without building a history per field (a third of the
        # check): a value not loaded before (NO_VALUE) or not equal is a change.
        if old is not new and (old is NO_VALUE or new is NO_VALUE or old != new):
            return True
    return False


def _check(adapter, number, read, errors, key, record) -> RowOutcome:
    outcome = RowOutcome(number=number, status="error", key=key)
    existed = record is not None
    if existed:
        outcome.record_id, outcome.version = record.id, adapter.version_of(record)
    if errors:
        outcome.errors = errors
        outcome.record = None
        return outcome
    if record is None:
        record = adapter.new_record()
    before = adapter.current(record, read) if existed else {}
    for name, value in read.items():
        f = adapter.by_name[name]
        if f.is_text:
            message = text_error(value, required=f.required)
            if message is None and value is not None and f.max_length and len(value) > f.max_length:
                message = str(_l("At most %(n)s characters.", n=f.max_length))
            if message is not None:
                errors[name] = message
                continue
        elif value is None and f.required:
            errors[name] = str(_l("Fill in this field; white space alone is not enough."))
            continue
        if value is None and (f.parse is values.yes_no or not f.nullable):
            continue  # a cell left empty where a value is needed: kept as it is
        adapter.put(record, name, value)
    if not existed:
        for f in adapter.fields:
            if f.required and f.writable and f.name not in read and f.name not in errors:
                errors[f.name] = str(_l("Fill in this field; white space alone is not enough."))
    if not errors:
        errors.update(adapter.finish(record, read))
    if not errors:
        errors.update(adapter.out_of_scope(record, existed))
    if not errors and existed:
        after = adapter.current(record, read)
        for name, old in before.items():
            new = after.get(name)
            if not values.same(old, new):
                outcome.changes[name] = [shown(old), shown(new)]
    # The register's rules judge what would be saved: an unchanged row saves nothing (as a form sent
    # back unchanged), so they are not asked (on a re-import of 100,000 clients, 15% of the time).
    if not errors and adapter.rules is not None and (outcome.changes or not existed):
        for name, message in type(adapter).rules(record).items():
            errors[name if name in adapter.by_name else adapter.key] = message
    outcome.record = record
    if errors:
        outcome.errors, outcome.changes = errors, {}
        return outcome
    outcome.status = "new" if not existed else "update" if outcome.changes else "unchanged"
    return outcome


def _tally(adapter, result, outcome, cells, save, plan) -> None:
    result.counts[outcome.status] += 1
    found = [outcome.record_id, outcome.version]
    if found != NO_RECORD and not save:
        # Only a preview's rows that matched a record go into the plan (the confirm's version check):
        # a file of 100,000 new clients keeps none of its rows in memory instead of 100,000, and a
        # save, which only checks against the plan it is given, keeps none.
        result.plan[outcome.number] = found
    if plan is not None and (plan.get(str(outcome.number), plan.get(outcome.number)) or NO_RECORD) != found:
        result.stale.append(outcome.number)
    labels = adapter.labels
    outcome.errors = {labels.get(k, k): v for k, v in outcome.errors.items()}
    outcome.changes = {labels.get(k, k): v for k, v in outcome.changes.items()}
    outcome.record = None
    if outcome.status == "error":
        if result.counts["error"] <= KEPT_ERRORS:
            outcome.cells = [values.shown_cell(c) for c in cells]
            result.rows.append(outcome)
    elif outcome.status != "unchanged" and result.counts[outcome.status] <= SHOWN_ROWS:
        result.rows.append(outcome)
