"""Export a register as it is on screen: the same search, filters and sort, the columns the list
shows the user, every matching row — as a typed xlsx workbook or a CSV file.

Replaces Flask-Admin's stock export (which turns every value into text, builds the file in memory
and stops at ``export_max_rows``) on the same URL, so the list's own *Export* menu uses it. Rows are
read from the database in chunks (a server-side cursor on PostgreSQL) and written as they come."""

import os
import re
import tempfile
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_admin.tools import rec_getattr
from flask_babel import get_locale, gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import ColumnProperty, InstrumentedAttribute, RelationshipProperty
from sqlalchemy.orm.interfaces import MANYTOONE

from exports.tabular import CHUNK_ROWS, MIME, Column, Conventions, Kind, Sheet, csv_chunks, write_xlsx
from models import db

from .. import export_slots
from ..background import start_export

FILE_CHUNK = 64 * 1024
TALLINN = ZoneInfo("Europe/Tallinn")


def _kind_of_type(sql_type) -> Kind:
    if isinstance(sql_type, sa.Boolean):
        return Kind.BOOL
    if isinstance(sql_type, sa.DateTime):
        return Kind.DATETIME
    if isinstance(sql_type, sa.Date):
        return Kind.DATE
    if isinstance(sql_type, sa.Numeric) and not isinstance(sql_type, sa.Float):
        return Kind.MONEY if sql_type.scale == 2 else Kind.NUMBER
    if isinstance(sql_type, sa.Integer | sa.Float):
        return Kind.NUMBER
    return Kind.TEXT


def column_kind(model, name: str) -> Kind:
    """What a list column holds, from the model's mapping (dotted names followed through relations)."""
    mapper = sa.inspect(model)
    *path, last = name.split(".")
    for step in path:
        prop = mapper.attrs.get(step)
        if not isinstance(prop, RelationshipProperty):
            return Kind.TEXT
        mapper = prop.mapper
    prop = mapper.attrs.get(last)
    columns = getattr(prop, "columns", None)
    if not columns:
        return Kind.TEXT
    return _kind_of_type(columns[0].type)


#: Where a list cell's HTML breaks a line or puts one badge after another: a "; " in the file.
_SEPARATORS = re.compile(r"<br\s*/?>|</(?:li|p|div|tr)>|</span>\s*(?=<span)", re.IGNORECASE)


PLAIN_TYPES = frozenset({str, bool, int, float, Decimal, date, datetime})


def plain(value, labels: dict | None = None):
    """A value as a spreadsheet cell: typed where it is a number, date or yes/no; otherwise text.
    ``labels`` caches the translated label of each choice (Enum) met."""
    if value is None or type(value) in PLAIN_TYPES:
        return value
    if isinstance(value, Markup):
        # Pieces of markup our own formatters made, stripped to plain text for a cell: never rendered as HTML.
        parts = (Markup(part).striptags() for part in _SEPARATORS.split(str(value)))  # nosec B704
        return "; ".join(part for part in parts if part)
    if isinstance(value, Enum):
        if labels is None:
            return str(value)
        label = labels.get(value)
        if label is None:
            label = labels[value] = str(value)
        return label
    if isinstance(value, bool | int | float | Decimal | date):
        return value
    if isinstance(value, list | tuple | set):
        return "; ".join(str(plain(v)) for v in value if v is not None)
    return str(value)


class ExportMixin:
    """Typed, streamed export for a ``RegisterView`` (mixed in before it)."""

    can_export = True
    export_types = ["xlsx", "csv"]
    #: Columns left out of the files (e.g. a print link).
    column_export_exclude_list: tuple[str, ...] = ()
    #: Kinds for computed columns that are not plain text, e.g. ``{"overdue": Kind.NUMBER}``.
    column_export_kinds: dict = {}
    #: Columns the file reads as SQL beside the table's own (a function giving an expression correlated
    #: to the model), for a column that is no column of the table, e.g. a delivery's invoice.
    column_export_sql: dict = {}

    def export_columns(self) -> list[tuple[str, Column]]:
        columns = []
        for name, label in self._list_columns:
            if name in self.column_export_exclude_list:
                continue
            kind = self.column_export_kinds.get(name) or column_kind(self.model, name)
            columns.append((name, Column(str(label), kind)))
        return columns

    def export_getter(self, name: str):
        """How one column's value is read from a record, decided once per export (not per cell)."""
        # Only formatters written for export; Flask-Admin's default (the screen's HTML ones) is ignored.
        formatter = (type(self).column_formatters_export or {}).get(name)
        if formatter is not None:
            return lambda model: formatter(self, None, model, name)
        head = name.split(".")[0]
        real = head in sa.inspect(self.model).attrs or isinstance(getattr(self.model, head, None), property)
        shown = None if real else self.column_formatters.get(name)
        if shown is not None:
            return lambda model: shown(self, None, model, name)
        if "." not in name:
            return lambda model: getattr(model, name, None)
        return lambda model: rec_getattr(model, name)

    def export_value(self, model, name: str):
        """One column's value of one record, as it goes into the file."""
        return plain(self.export_getter(name)(model))

    def _filter_description(self, view_args) -> list[str]:
        parts = []
        if view_args.search:
            parts.append(gettext("Search: %(text)s", text=view_args.search))
        for idx, _flt_name, value in view_args.filters or ():
            flt = self._filters[idx]
            options = dict((str(k), str(v)) for k, v in (flt.get_options(self) or ()))
            shown = options.get(str(value), value)
            parts.append(f"{flt.name} {flt.operation()} {shown}")
        return parts

    def _export_query(self, view_args):
        return self._export_count_and_query(view_args)[1]

    def exporting(self, query) -> None:
        """Called once the rows a user asked to export are known, in their request (a hook)."""

    def _export_count_and_query(self, view_args):
        sort = self._get_column_by_idx(view_args.sort)
        return self.get_list(
            0,
            sort[0] if sort else None,
            view_args.sort_desc,
            view_args.search,
            view_args.filters,
            execute=False,
            page_size=0,
        )

    def _projection(self, names):
        """The columns to read straight from the tables, and how each becomes a cell — or None when a
        column needs the record as a Python object (an export formatter, a property, a list).

        A many-to-one relation (``client``) or a path through one (``client.personal_code``) is read as
        its key; what it shows is looked up once per related record, not once per row."""
        if type(self).column_formatters_export:
            return None
        mapper = sa.inspect(self.model)
        selects, readers = [], []
        for name in names:
            head, _, rest = name.partition(".")
            prop = mapper.attrs.get(head)
            if name in self.column_export_sql:
                selects.append(self.column_export_sql[name]().label(f"export_{head}"))
                readers.append(None)
            elif isinstance(prop, ColumnProperty) and not rest:
                selects.append(getattr(self.model, head))
                readers.append(None)
            elif (
                isinstance(prop, RelationshipProperty)
                and prop.direction is MANYTOONE
                and len(prop.local_columns) == 1
                and not prop.secondary
            ):
                (local,) = prop.local_columns
                selects.append(local)
                readers.append((prop.mapper.class_, rest or None))
            else:
                return None
        return selects, readers

    def _projected_rows(self, query, selects, readers):
        labels: dict = {}
        shown: dict = {}  # (related class, path) -> {key: cell}
        session = query.session
        statement = query.with_entities(*selects).statement
        result = session.execute(statement, execution_options={"yield_per": CHUNK_ROWS})
        for chunk in result.partitions():
            yield from self._resolve(session, chunk, readers, shown, labels)

    def _resolve(self, session, chunk, readers, shown, labels):
        related = []
        for col, reader in enumerate(readers):
            if reader is None:
                continue
            known = shown.setdefault(reader, {})
            missing = {row[col] for row in chunk if row[col] is not None and row[col] not in known}
            if missing:
                known.update(self._lookup(session, *reader, missing, labels))
            related.append((col, known))
        own = [col for col, reader in enumerate(readers) if reader is None]
        plain_types = PLAIN_TYPES
        for row in chunk:
            cells = list(row)
            for col, known in related:
                value = cells[col]
                if value is not None:
                    cells[col] = known.get(value)
            for col in own:
                value = cells[col]
                if value is not None and type(value) not in plain_types:
                    cells[col] = plain(value, labels)
            yield cells

    @staticmethod
    def _lookup(session, target, path, keys, labels) -> dict:
        """What the related records with ``keys`` show, by key: read as columns when the path is a
        column (or the model gives its label as SQL), else from the loaded records."""
        key = sa.inspect(target).primary_key[0]
        column = getattr(target, path, None) if path and "." not in path else None
        if column is None and not path and hasattr(target, "sql_label"):
            column = target.sql_label()
        is_column = isinstance(column, InstrumentedAttribute) and isinstance(column.property, ColumnProperty)
        if is_column or isinstance(column, sa.ColumnElement):
            rows = session.execute(sa.select(key, column).where(key.in_(keys)))
            return {k: plain(v, labels) for k, v in rows}
        found = session.scalars(sa.select(target).where(key.in_(keys)))
        return {sa.inspect(o).identity[0]: plain(rec_getattr(o, path) if path else o, labels) for o in found}

    def _rows(self, query, names):
        """The rows of ``query`` as cells, read in chunks through the query's own session."""
        projection = self._projection(names)
        if projection is not None:
            yield from self._projected_rows(query, *projection)
            return
        # Always in chunks: a view whose query eager-loads a collection by a join (which cannot be
        # chunked) fails here loudly, in test_every_register_exports_what_its_list_holds, instead of
        # quietly holding every row in memory. Load collections with selectinload.
        iterator = iter(query.yield_per(CHUNK_ROWS))
        getters = [self.export_getter(name) for name in names]
        labels: dict = {}  # a choice's label is translated once per export, not once per cell
        plain_types = PLAIN_TYPES
        for model in iterator:
            row = []
            for get in getters:
                value = get(model)
                row.append(value if value is None or type(value) in plain_types else plain(value, labels))
            yield row

    def export_sheet(self, view_args) -> Sheet:
        now = datetime.now(TALLINN)
        who = getattr(current_user, "full_name", None) or getattr(current_user, "email", "")
        filters = self._filter_description(view_args)
        lines = [
            f"{current_app.config.get('MUNICIPALITY_NAME', '')} · {self.name}",
            gettext("Filter: %(filters)s", filters="; ".join(filters)) if filters else gettext("All records"),
            gettext("Exported by %(who)s on %(when)s", who=who, when=now.strftime("%d.%m.%Y %H:%M")),
        ]
        return Sheet(name=str(self.name), columns=[c for _, c in self.export_columns()], title_lines=lines)

    def export_file_name(self, export_type: str) -> str:
        return f"{self.endpoint.replace('_', '-')}-{date.today():%Y-%m-%d}.{export_type}"

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        if export_type not in self.export_types:
            abort(404)
        slot = export_slots.take(current_user.id)
        if slot is None:
            flash(export_slots.busy_message(), "error")
            query = request.query_string.decode("utf-8", "replace")
            return redirect(self.get_url(".index_view") + (f"?{query}" if query else ""))
        try:
            return self._export_response(export_type, slot)
        except BaseException:
            slot.release()
            raise

    def _export_response(self, export_type: str, slot):
        view_args = self._get_list_extra_args()
        names = [name for name, _ in self.export_columns()]
        count, query = self._export_count_and_query(view_args)
        self.exporting(query)
        if count is not None and count > current_app.config["BACKGROUND_EXPORT_ROWS"]:
            # Too many rows to wait for: a background job writes the file (admin_app/background.py).
            slot.release()
            return redirect(url_for("downloads.progress", download_id=start_export(self, export_type, count).id))
        sheet = self.export_sheet(view_args)
        conventions = Conventions.for_language(str(get_locale() or "et"))
        headers = {"Content-Disposition": f'attachment; filename="{self.export_file_name(export_type)}"'}
        body = self._streamed(query, names, sheet, conventions, export_type)
        response = Response(
            stream_with_context(export_slots.held(slot, body)), mimetype=MIME[export_type], headers=headers
        )
        # The WSGI server closes the response when the file has been sent, failed or the browser left.
        response.call_on_close(slot.release)
        return response

    def _streamed(self, query, names, sheet, conventions, export_type: str):
        """The file, written as its rows are read on a session of its own: the request's session is gone
        once the view has returned, and this one gives its connection back however the stream ends
        (read to the end, failed, or closed half-way when the browser went away)."""
        with db.session.session_factory() as session:
            rows = self._rows(query.with_session(session), names)
            if export_type == "csv":
                yield from csv_chunks(sheet, rows, conventions)
            else:
                yield from self._xlsx_chunks(sheet, rows, conventions)

    def _xlsx_chunks(self, sheet, rows, conventions):
        """The workbook is written to a temporary file as rows arrive, then sent in chunks."""
        max_rows = current_app.config.get("EXPORT_SHEET_ROWS")
        options = {"max_rows": max_rows} if max_rows else {}
        fd, path = tempfile.mkstemp(prefix="juhtum-export-", suffix=".xlsx")
        os.close(fd)
        try:
            write_xlsx(path, sheet, rows, conventions, **options)
            with open(path, "rb") as handle:
                while chunk := handle.read(FILE_CHUNK):
                    yield chunk
        finally:
            os.unlink(path)
