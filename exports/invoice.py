"""The invoice workbook: the koondarve to SKA as a finance office takes it, written to a file that is then sent.

Sheet 1 is the invoice (parties, number, dates, reference number, lines by component, total),
sheet 2 its lines per client and component, sheet 3 the totals per provider. Numbers are numbers,
dates are dates, money is formatted in euros; totals are SUM formulas whose values are also
stored, so a reader that does not calculate (or a test) sees the same figures the database holds.
"""

import tempfile
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
import xlsxwriter
from flask import current_app
from flask_babel import gettext as _
from xlsxwriter.utility import xl_rowcol_to_cell

from models import Client, Invoice, InvoiceKind, InvoiceLine, Provider, ServiceComponent, db
from models.codes import format_iban

CHUNK = 64 * 1024
A4 = 9
MONEY = '#,##0.00 "€"'
QUANTITY = "#,##0.00"
DATE = "dd.mm.yyyy"


@dataclass(frozen=True)
class Column:
    heading: str
    width: int
    kind: str = "text"  # text, money, quantity, date, integer
    total: bool = False  # summed in the total row


def filename(invoice: Invoice) -> str:
    """koondarve-2026-0001.xlsx, or the draft's month when it has no number yet."""
    stem = "kreeditarve" if invoice.kind == InvoiceKind.CREDIT_NOTE else "koondarve"
    return f"{stem}-{invoice.number or f'mustand-{invoice.month:%Y-%m}'}.xlsx"


def written(invoice: Invoice):
    """The workbook in a temporary file (gone once closed), from its start. Every read of the database is
    done when this returns, so sending the file later holds no connection."""
    buffer = tempfile.TemporaryFile()
    try:
        write(invoice, buffer)
    except BaseException:
        buffer.close()
        raise
    buffer.seek(0)
    return buffer


def write(invoice: Invoice, target) -> None:
    """Write ``invoice``'s workbook to ``target`` (a path or a binary file)."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False})
    f = _formats(book)
    lines = _lines(invoice.id)
    _invoice_sheet(book, f, invoice, lines)
    _lines_sheet(book, f, lines)
    _provider_sheet(book, f, invoice.id)
    book.close()


def _formats(book) -> dict:
    return {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "label": book.add_format({"bold": True}),
        "head": book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True}),
        "text": book.add_format({}),
        "money": book.add_format({"num_format": MONEY}),
        "quantity": book.add_format({"num_format": QUANTITY}),
        "date": book.add_format({"num_format": DATE, "align": "left"}),
        "integer": book.add_format({"num_format": "0"}),
        "total_label": book.add_format({"bold": True, "top": 1}),
        "total_money": book.add_format({"bold": True, "top": 1, "num_format": MONEY}),
        "total_quantity": book.add_format({"bold": True, "top": 1, "num_format": QUANTITY}),
    }


def _lines(invoice_id: int) -> list:
    """The invoice's lines with their client, provider and component, in one query."""
    return db.session.execute(
        sa.select(
            Client.last_name,
            Client.first_name,
            Client.personal_code,
            Provider.name.label("provider"),
            ServiceComponent.code,
            ServiceComponent.name,
            ServiceComponent.area,
            ServiceComponent.unit,
            InvoiceLine.mode,
            InvoiceLine.quantity,
            InvoiceLine.unit_price,
            InvoiceLine.amount,
        )
        .join(Client, Client.id == InvoiceLine.client_id)
        .join(Provider, Provider.id == InvoiceLine.provider_id)
        .join(ServiceComponent, ServiceComponent.id == InvoiceLine.component_id)
        .where(InvoiceLine.invoice_id == invoice_id)
        .order_by(Client.last_name, Client.first_name, Client.id, ServiceComponent.code, InvoiceLine.id)
    ).all()


def _setup(sheet, columns: list[Column], header_row: int, rows: int, landscape: bool = False) -> None:
    """Widths, frozen header, autofilter and A4 printing for a table starting at ``header_row``."""
    for n, column in enumerate(columns):
        sheet.set_column(n, n, column.width)
    sheet.freeze_panes(header_row + 1, 0)
    sheet.autofilter(header_row, 0, header_row + max(rows, 1), len(columns) - 1)
    sheet.set_paper(A4)
    if landscape:
        sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)


def _table(sheet, f, columns: list[Column], header_row: int, rows: list[list]) -> None:
    """A header, the rows, and a total row summing the money and quantity columns."""
    for n, column in enumerate(columns):
        sheet.write_string(header_row, n, column.heading, f["head"])
    for r, values in enumerate(rows, header_row + 1):
        for n, (column, value) in enumerate(zip(columns, values, strict=True)):
            if value is None:
                sheet.write_blank(r, n, None, f["text"])
            elif column.kind == "text":
                sheet.write_string(r, n, str(value), f["text"])
            elif column.kind == "date":
                sheet.write_datetime(r, n, value, f["date"])
            else:
                sheet.write_number(r, n, float(value), f[column.kind])
    total_row = header_row + len(rows) + 1
    sheet.write_string(total_row, 0, _("Total"), f["total_label"])
    for n, column in enumerate(columns):
        if column.total:
            first, last = xl_rowcol_to_cell(header_row + 1, n), xl_rowcol_to_cell(max(total_row - 1, header_row + 1), n)
            value = sum((Decimal(str(v[n])) for v in rows if v[n] is not None), Decimal(0))
            fmt = f["total_money"] if column.kind == "money" else f["total_quantity"]
            if column.kind == "integer":
                fmt = f["total_label"]
            sheet.write_formula(total_row, n, f"=SUM({first}:{last})", fmt, float(value))


def _invoice_sheet(book, f, invoice: Invoice, lines: list) -> None:
    config = current_app.config
    sheet = book.add_worksheet(_("Invoice")[:31])
    credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    sheet.write_string(0, 0, _("Credit note") if credit else _("Consolidated invoice"), f["title"])
    header = [
        (_("Issuer"), config["MUNICIPALITY_NAME"]),
        (_("Issuer's registry code"), config["MUNICIPALITY_REGISTRY_CODE"]),
        (_("Payer"), config["SKA_NAME"]),
        (_("Payer's registry code"), config["SKA_REGISTRY_CODE"]),
        (_("Invoice number"), invoice.number or _("draft")),
        (_("Invoice date"), invoice.issued_on),
        (_("Period"), f"{invoice.month:%d.%m.%Y}–{invoice.period_end:%d.%m.%Y}"),
        (_("Due date"), invoice.due_on),
        (_("Reference number"), invoice.reference_number or ""),
        (_("IBAN"), format_iban(config["MUNICIPALITY_IBAN"])),
    ]
    if credit and invoice.credited_invoice_id is not None:
        # Read by its id, not through the relationship: the workbook is streamed after the view
        # returned, when ``invoice`` is no longer in a session and cannot load what it refers to.
        credited = db.session.scalar(sa.select(Invoice.number).where(Invoice.id == invoice.credited_invoice_id))
        header.append((_("Credits invoice"), credited))
    for r, (label, value) in enumerate(header, 2):
        sheet.write_string(r, 0, label, f["label"])
        if value is None or value == "":
            sheet.write_blank(r, 1, None, f["text"])
        elif isinstance(value, str):
            sheet.write_string(r, 1, value, f["text"])
        else:
            sheet.write_datetime(r, 1, value, f["date"])
    columns = [
        Column(_("Code"), 24),
        Column(_("Service component"), 40),
        Column(_("Area"), 20),
        Column(_("Unit"), 8),
        Column(_("Quantity"), 12, "quantity", total=True),
        Column(_("Amount"), 14, "money", total=True),
    ]
    by_component: dict[str, list] = {}
    for line in lines:
        row = by_component.setdefault(
            line.code, [line.code, line.name, str(line.area), str(line.unit), Decimal(0), Decimal(0)]
        )
        row[4] += line.quantity
        row[5] += line.amount
    rows = [by_component[code] for code in sorted(by_component)]
    header_row = len(header) + 3
    _setup(sheet, columns, header_row, len(rows))
    _table(sheet, f, columns, header_row, rows)


def _lines_sheet(book, f, lines: list) -> None:
    sheet = book.add_worksheet(_("Lines")[:31])
    columns = [
        Column(_("Client"), 26),
        Column(_("Personal ID code"), 14),
        Column(_("Code"), 10),
        Column(_("Service component"), 36),
        Column(_("Area"), 18),
        Column(_("Provider"), 32),
        Column(_("Mode"), 18),
        Column(_("Unit"), 8),
        Column(_("Quantity"), 11, "quantity", total=True),
        Column(_("Unit price"), 11, "money"),
        Column(_("Amount"), 13, "money", total=True),
    ]
    rows = [
        [
            f"{line.last_name}, {line.first_name}",
            line.personal_code,
            line.code,
            line.name,
            str(line.area),
            line.provider,
            str(line.mode),
            str(line.unit),
            line.quantity,
            line.unit_price,
            line.amount,
        ]
        for line in lines
    ]
    _setup(sheet, columns, 0, len(rows), landscape=True)
    _table(sheet, f, columns, 0, rows)


def _provider_sheet(book, f, invoice_id: int) -> None:
    sheet = book.add_worksheet(_("Providers")[:31])
    columns = [
        Column(_("Provider"), 36),
        Column(_("Registry code"), 13),
        Column(_("IBAN"), 26),
        Column(_("Lines"), 8, "integer", total=True),
        Column(_("Amount"), 14, "money", total=True),
    ]
    result = db.session.execute(
        sa.select(
            Provider.name,
            Provider.registry_code,
            Provider.iban,
            sa.func.count(InvoiceLine.id),
            sa.func.sum(InvoiceLine.amount),
        )
        .join(Provider, Provider.id == InvoiceLine.provider_id)
        .where(InvoiceLine.invoice_id == invoice_id)
        .group_by(Provider.id, Provider.name, Provider.registry_code, Provider.iban)
        .order_by(Provider.name)
    ).all()
    rows = [[name, code, format_iban(iban), n, Decimal(amount)] for name, code, iban, n, amount in result]
    _setup(sheet, columns, 0, len(rows))
    _table(sheet, f, columns, 0, rows)
