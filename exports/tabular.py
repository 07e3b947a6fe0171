"""Typed, safe, constant-memory tables: the xlsx and CSV files every register exports.

The writers know nothing of Flask or of the registers: they take column descriptions and an
iterator of rows (tuples of Python values) and write them as they come.

* xlsx (xlsxwriter, ``constant_memory``): numbers are numbers, dates are dates, money has a euro
  format, booleans read Jah/Ei (in the reader's language), and text is always written with
  ``write_string`` so that a name starting with ``=`` never becomes a formula. A title block says
  what the file holds, the header row is frozen and filtered, widths follow the content, and when
  the rows outgrow a sheet (Excel's 1,048,576) they go on in a second one.
* CSV: streamed line by line; text a user typed that starts with ``= + - @`` (or a tab or carriage
  return) gets a leading apostrophe, as OWASP advises against CSV injection.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import xlsxwriter

#: Rows read from the database at a time while a file is written (memory stays flat at any size).
CHUNK_ROWS = 500
#: The media type of each kind of file.
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}

EXCEL_MAX_ROWS = 1_048_576
#: The longest text a cell holds (Excel's limit); longer text is cut and marked with an ellipsis.
EXCEL_MAX_TEXT = 32_767
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60
NUMBER_TYPES = frozenset({int, float, Decimal})
#: Rows read to size the columns (the rest are written without being measured).
MEASURED_ROWS = 500


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind = Kind.TEXT


@dataclass
class Conventions:
    """How the reader writes: words for yes and no, the CSV separator and decimal mark, date format."""

    yes: str = "Jah"
    no: str = "Ei"
    csv_delimiter: str = ";"
    decimal_mark: str = ","
    date_format: str = "%d.%m.%Y"
    datetime_format: str = "%d.%m.%Y %H:%M"
    excel_date: str = "dd.mm.yyyy"
    excel_datetime: str = "dd.mm.yyyy hh:mm"
    excel_money: str = '#,##0.00 "€";-#,##0.00 "€"'
    excel_number: str = "General"

    @classmethod
    def for_language(cls, language: str) -> "Conventions":
        if language.startswith("en"):
            return cls(
                yes="Yes",
                no="No",
                csv_delimiter=",",
                decimal_mark=".",
                date_format="%Y-%m-%d",
                datetime_format="%Y-%m-%d %H:%M",
                excel_date="yyyy-mm-dd",
                excel_datetime="yyyy-mm-dd hh:mm",
            )
        return cls()


@dataclass
class Sheet:
    """What a table is: its name (also the sheet's), lines of title above the header, its columns."""

    name: str
    columns: Sequence[Column]
    title_lines: Sequence[str] = field(default_factory=tuple)


def neutralise(text: str) -> str:
    """Text that a spreadsheet could read as a formula, made inert with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _sheet_name(name: str, part: int) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name).strip("'") or "Sheet"
    suffix = f" ({part})" if part > 1 else ""
    return cleaned[: 31 - len(suffix)] + suffix


def _width(value, kind: Kind) -> int:
    if value is None:
        return 0
    if kind in (Kind.DATE, Kind.BOOL):
        return 10
    if kind == Kind.DATETIME:
        return 16
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return len(f"{value:,.2f}") + 2
    return max((len(line) for line in str(value).splitlines()), default=0)


class XlsxTable:
    """One table written into an xlsxwriter workbook in constant memory, row after row."""

    def __init__(self, workbook, sheet: Sheet, conventions: Conventions, max_rows: int = EXCEL_MAX_ROWS):
        self.workbook = workbook
        self.sheet = sheet
        self.conventions = conventions
        self.max_rows = max_rows
        self.part = 0
        self.rows = 0
        bold = {"bold": True}
        self.formats = {
            "title": workbook.add_format({"bold": True, "font_size": 13}),
            "note": workbook.add_format({"italic": True, "font_color": "#555555"}),
            "header": workbook.add_format({**bold, "bg_color": "#E9ECEF", "bottom": 1, "text_wrap": True}),
            Kind.DATE: workbook.add_format({"num_format": conventions.excel_date, "align": "left"}),
            Kind.DATETIME: workbook.add_format({"num_format": conventions.excel_datetime, "align": "left"}),
            Kind.MONEY: workbook.add_format({"num_format": conventions.excel_money}),
            Kind.NUMBER: workbook.add_format({"num_format": conventions.excel_number}),
            Kind.TEXT: workbook.add_format({"num_format": "@"}),
        }
        self.widths = [min(max(len(c.label), 6), MAX_WIDTH) for c in sheet.columns]
        #: The number format of each column: euros where the column holds money.
        self.number_formats = [self.formats[Kind.MONEY if c.kind == Kind.MONEY else Kind.NUMBER] for c in sheet.columns]
        self._new_sheet()

    @property
    def header_row(self) -> int:
        return len(self.sheet.title_lines) + (1 if self.sheet.title_lines else 0)

    def _new_sheet(self) -> None:
        self._close_sheet()
        self.part += 1
        ws = self.workbook.add_worksheet(_sheet_name(self.sheet.name, self.part))
        for i, line in enumerate(self.sheet.title_lines):
            ws.write_string(i, 0, line, self.formats["title" if i == 0 else "note"])
        for col, column in enumerate(self.sheet.columns):
            ws.write_string(self.header_row, col, column.label, self.formats["header"])
        ws.freeze_panes(self.header_row + 1, 0)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(self.header_row)
        self.ws = ws
        self.row = self.header_row + 1

    def _close_sheet(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is None:
            return
        last_col = max(len(self.sheet.columns) - 1, 0)
        ws.autofilter(self.header_row, 0, max(self.row - 1, self.header_row), last_col)
        for col, width in enumerate(self.widths):
            ws.set_column(col, col, min(width, MAX_WIDTH) + 2)

    def write(self, values: Sequence) -> None:
        """One row. Each cell is written by its Python type (the hot path: no per-cell lookups)."""
        if self.row >= self.max_rows:
            self._new_sheet()
        ws, row = self.ws, self.row
        number_formats, formats = self.number_formats, self.formats
        for col, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if value:
                    ws.write_string(
                        row, col, value if len(value) <= EXCEL_MAX_TEXT else value[: EXCEL_MAX_TEXT - 1] + "…"
                    )
            elif value is None:
                continue
            elif kind is bool:
                ws.write_string(row, col, self.conventions.yes if value else self.conventions.no)
            elif kind in NUMBER_TYPES:
                ws.write_number(row, col, value, number_formats[col])
            elif kind is date:
                ws.write_datetime(row, col, value, formats[Kind.DATE])
            elif kind is datetime:
                ws.write_datetime(row, col, value.replace(tzinfo=None), formats[Kind.DATETIME])
            else:
                ws.write_string(row, col, str(value)[:EXCEL_MAX_TEXT])
        if self.rows < MEASURED_ROWS:
            for col, (column, value) in enumerate(zip(self.sheet.columns, values, strict=True)):
                self.widths[col] = max(self.widths[col], _width(value, column.kind))
        self.row += 1
        self.rows += 1

    def close(self) -> None:
        self._close_sheet()


def write_xlsx(target, sheet: Sheet, rows: Iterable[Sequence], conventions: Conventions, **options) -> int:
    """Write ``rows`` as one table into a new workbook at ``target`` (a path or a binary file); the row count."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False})
    try:
        table = XlsxTable(workbook, sheet, conventions, **options)
        for values in rows:
            table.write(values)
        table.close()
    finally:
        workbook.close()
    return table.rows


def _csv_cell(value, kind: Kind, conv: Conventions) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return conv.yes if value else conv.no
    if isinstance(value, int | float | Decimal):
        text = f"{value:.2f}" if kind == Kind.MONEY else str(value)
        return text.replace(".", conv.decimal_mark)
    if isinstance(value, datetime):
        return value.strftime(conv.datetime_format)
    if isinstance(value, date):
        return value.strftime(conv.date_format)
    return neutralise(str(value))


def csv_chunks(
    sheet: Sheet, rows: Iterable[Sequence], conventions: Conventions, lines_per_chunk: int = 200
) -> Iterator[bytes]:
    """The table as UTF-8 CSV (with a byte-order mark, so Excel reads the letters right), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=conventions.csv_delimiter, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(c.label) for c in sheet.columns])
    for n, values in enumerate(rows, start=1):
        writer.writerow([_csv_cell(v, c.kind, conventions) for c, v in zip(sheet.columns, values, strict=True)])
        if n % lines_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
