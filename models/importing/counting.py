"""How many rows a file has, counted without reading it as a table: decides whether its import runs
in the request or as a background job. An xlsx workbook's sheets usually say their size (the
``dimension`` openpyxl reads in read-only mode); a sheet that does not has its row elements counted
in the stream of its XML. A CSV file's lines are counted. Headings and title rows count too."""

import re
import zipfile
from pathlib import Path

#: A row element of a sheet's XML, with or without a namespace prefix.
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
READ_BYTES = 1 << 20
#: Bytes kept from one piece to the next, so that a tag cut in two is still found (once).
OVERLAP = 64


def count_rows(path: str | Path) -> int:
    """Rows in the file at ``path`` (all sheets of a workbook); 0 for a file that is no table."""
    path = Path(path)
    with open(path, "rb") as handle:
        start = handle.read(4)
    if start.startswith(b"PK\x03\x04"):
        try:
            return _xlsx_rows(path)
        except Exception:  # a damaged workbook: reading it as a table says what is wrong
            return 0
    return _lines(path)


def _xlsx_rows(path: Path) -> int:
    import openpyxl

    with open(path, "rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True)
        try:
            sizes = [sheet.max_row for sheet in book.worksheets]
        finally:
            book.close()
    if sizes and None not in sizes:
        return sum(sizes)
    with zipfile.ZipFile(path) as archive:
        return sum(
            _tags(archive, name)
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _tags(archive: zipfile.ZipFile, name: str) -> int:
    found, tail = 0, b""
    with archive.open(name) as stream:
        while piece := stream.read(READ_BYTES):
            data = tail + piece
            cut = max(0, len(data) - OVERLAP)
            found += sum(1 for m in ROW_TAG.finditer(data) if m.start() < cut)
            tail = data[cut:]
    return found + len(ROW_TAG.findall(tail))


def _lines(path: Path) -> int:
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        while piece := handle.read(READ_BYTES):
            lines += piece.count(b"\n")
            last = piece[-1:]
    return lines + (last != b"\n")
