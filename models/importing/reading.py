"""Reading a file a person uploads: an xlsx workbook (openpyxl, read-only: rows stream from the
file, memory stays flat) or a CSV file in UTF-8 with or without a byte-order mark, its separator
(``;`` or ``,``) detected. The header row is found among the first rows (an export of juhtum puts
three lines of title above it) as the row that names the most of the register's columns."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

#: How far down a header row is looked for.
HEADER_SEARCH_ROWS = 20
SEPARATORS = (";", ",", "\t")


class FileError(ValueError):
    """A file that cannot be read as a table at all; the message is for the person."""


def heading_key(value) -> str:
    """A heading as it is compared: trimmed, case and inner spacing ignored."""
    return " ".join(str(value).split()).casefold() if value is not None else ""


@dataclass
class Table:
    headings: list[str | None]
    #: (row number as the spreadsheet shows it, cells) from the row after the header on.
    rows: Iterator[tuple[int, list]]
    from_csv: bool


def _find_header(rows: Iterator[list], known: set[str]) -> tuple[int, list]:
    best = None
    for number, cells in enumerate(rows, start=1):
        matched = sum(1 for c in cells if heading_key(c) in known)
        if matched and (best is None or matched > best[2]):
            best = (number, cells, matched)
        if number >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise FileError(_l("No row of the file names the register's columns. Start from the template."))
    return best[0], best[1]


def read_table(path: str | Path, known: set[str]) -> Table:
    """The table in the file at ``path``; ``known`` are the register's headings (``heading_key``)."""
    path = Path(path)
    with open(path, "rb") as handle:
        start = handle.read(4)
    if start.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, known)
    return _read_csv(path, known)


def _read_xlsx(path: Path, known: set[str]) -> Table:
    import openpyxl

    handle = open(path, "rb")  # a file, not a name: openpyxl would insist on the name ending in .xlsx
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # a damaged or foreign zip: openpyxl raises many kinds
        handle.close()
        raise FileError(_l("The file could not be read as an Excel workbook (xlsx).")) from None
    sheets = list(book.worksheets)
    if not sheets:
        raise FileError(_l("The workbook has no sheets."))
    header_at, headings = _find_header((list(r) for r in sheets[0].iter_rows(values_only=True)), known)

    def rows():
        try:
            # An export longer than a sheet goes on in the next sheets, each with its header.
            for index, sheet in enumerate(sheets):
                skip = header_at
                if index:
                    try:
                        skip, _ = _find_header((list(r) for r in sheet.iter_rows(values_only=True)), known)
                    except FileError:
                        continue
                for number, cells in enumerate(sheet.iter_rows(min_row=skip + 1, values_only=True), start=skip + 1):
                    yield number, list(cells)
        finally:
            book.close()
            handle.close()

    return Table([str(h) if h is not None else None for h in headings], rows(), from_csv=False)


def _read_csv(path: Path, known: set[str]) -> Table:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(64 * 1024)
    except UnicodeDecodeError:
        raise FileError(_l("The CSV file is not in UTF-8. Save it from Excel as 'CSV UTF-8'.")) from None
    separator = _separator(sample, known)
    header_at, headings = _find_header(iter(csv.reader(io.StringIO(sample), delimiter=separator)), known)

    def rows():
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=separator)
            try:
                for number, cells in enumerate(reader, start=1):
                    if number > header_at:
                        yield number, cells
            except UnicodeDecodeError:
                raise FileError(_l("The CSV file is not in UTF-8. Save it from Excel as 'CSV UTF-8'.")) from None

    return Table(headings, rows(), from_csv=True)


def _separator(sample: str, known: set[str]) -> str:
    """The separator that splits the first lines into the most known headings."""
    lines = sample.splitlines()[:HEADER_SEARCH_ROWS]
    scores = []
    for separator in SEPARATORS:
        best = 0
        for cells in csv.reader(lines, delimiter=separator):
            best = max(best, sum(1 for c in cells if heading_key(c) in known))
        scores.append((best, separator))
    return max(scores, key=lambda s: s[0])[1] if max(scores)[0] else ";"
