"""Noortegarantii import: reading a round's file from STAR, xlsx or CSV, as a stream of rows (a list
of tens of thousands is never held whole), with the headings in its first filled row."""

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

#: A list can hold several thousand people; a file over this many rows is refused with a message
#: (the web layer passes its setting YOUTH_MAX_ROWS).
MAX_ROWS = 100_000


class ImportError_(ValueError):
    """A file that cannot be read as a list; the message is for the person who chose it."""


def read_table(data: bytes, file_name: str, max_rows: int = MAX_ROWS) -> tuple[list[str], list[tuple[int, list]]]:
    """The headings and the rows (spreadsheet row number, cells) of an xlsx or CSV file."""
    headings, rows = open_table(io.BytesIO(data), file_name)
    table = []
    for number, cells in rows:
        table.append((number, cells))
        if len(table) > max_rows:
            rows.close()
            raise ImportError_(_l("The file holds more than %(n)s rows.", n=max_rows))
    return headings, table


def open_table(source: BinaryIO | str | Path, file_name: str) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """The headings of an xlsx or CSV file (a path or an open binary file), and its rows (spreadsheet row
    number, cells) read one by one as they are asked for, blank rows left out: a list of tens of
    thousands is never held whole. Close the rows' iterator to let go of the file early."""
    rows = _rows(source, (file_name or "").lower())
    try:
        for _number, cells in rows:
            if any(c not in (None, "") for c in cells):
                return ["" if c is None else str(c).strip() for c in cells], _filled(rows)
    except ImportError_:
        raise
    except Exception:  # any file openpyxl or csv cannot read is the user's file, not a fault
        raise _unreadable() from None
    raise ImportError_(_l("The file holds no rows."))


def _unreadable() -> ImportError_:
    return ImportError_(_l("The file could not be read as a list: is it an xlsx or CSV file saved from STAR?"))


def _filled(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    try:
        for number, cells in rows:
            if any(c not in (None, "") for c in cells):
                yield number, cells
    except ImportError_:
        raise
    except Exception:
        raise _unreadable() from None
    finally:
        rows.close()


def _rows(source, name: str) -> Iterator[tuple[int, list]]:
    if name.endswith(".xlsx"):
        try:
            # Read-only: the sheet is streamed, not loaded whole.
            book = load_workbook(source, read_only=True, data_only=True)
        except Exception:
            raise _unreadable() from None
        try:
            for number, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
                yield number, list(cells)
        finally:
            book.close()
    elif name.endswith((".csv", ".txt")):
        handle = open(source, "rb") if isinstance(source, str | Path) else source  # noqa: SIM115 (closed below)
        try:
            yield from enumerate(_csv_rows(handle), start=1)
        finally:
            if handle is not source:
                handle.close()
    else:
        raise ImportError_(_l("Choose an xlsx or CSV file."))


def count_rows(path: str | Path, file_name: str) -> int:
    """About how many rows a file holds under its headings (blank ones included): an xlsx says it in its
    dimension, so the sheet is not read; a CSV's lines are counted."""
    if (file_name or "").lower().endswith(".xlsx"):
        try:
            book = load_workbook(path, read_only=True)
            try:
                sheet = book.worksheets[0]
                total = sheet.max_row if sheet.max_row and sheet.max_row > 1 else None
            finally:
                book.close()
        except Exception:
            raise _unreadable() from None
        if total is not None:
            return total - 1
    with open(path, "rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def _csv_rows(handle: BinaryIO) -> Iterator[list[str]]:
    """A CSV file's rows; UTF-8 (with or without its mark), else the Baltic Windows code page."""
    encoding = "utf-8-sig"
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in iter(lambda: handle.read(1 << 16), b""):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "cp1257"
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        except csv.Error:
            dialect = csv.excel
            dialect.delimiter = ";" if sample.count(";") > sample.count(",") else ","
        yield from csv.reader(text, dialect)
    finally:
        text.detach()
