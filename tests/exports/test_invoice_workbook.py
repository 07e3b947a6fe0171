"""The invoice workbook read back with openpyxl: three sheets, numbers as numbers, dates as dates,
the totals on every sheet equal to the database's to the cent; laid out for A4."""

import csv
import io
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from flask_babel import force_locale

from exports.invoice import filename, written
from models import confirm_invoice, create_credit_note, generate_invoice
from tests.conftest import create_component
from tests.deliveries import MONTH, active_client, contracted_provider, create_delivery


def _cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture
def invoice(ctx, app, monkeypatch):
    # monkeypatch: the app is shared by the whole run, and a setting left behind changes other tests
    monkeypatch.setitem(app.config, "MUNICIPALITY_REGISTRY_CODE", "75021250")
    monkeypatch.setitem(app.config, "MUNICIPALITY_IBAN", "EE382200221020145685")
    psych = create_component(price="58.00", area="mental_health")
    transport = create_component(price="16.00", area="physical_health", unit="trip")
    first = contracted_provider(psych)
    second = contracted_provider(transport)
    clients = [active_client() for _ in range(3)]
    for n, client in enumerate(clients):
        create_delivery(provider=first, component=psych, client=client, quantity=f"{n + 1}.25")
        create_delivery(provider=first, component=psych, client=client, day=date(2026, 9, 20), quantity="0.33")
        create_delivery(provider=second, component=transport, client=client, quantity="3")
    return confirm_invoice(generate_invoice(MONTH), today=date(2026, 10, 5))


def _workbook(invoice, data_only=True):
    with force_locale("en"), written(invoice) as file:
        content = file.read()
    return openpyxl.load_workbook(io.BytesIO(content), data_only=data_only)


def _column(sheet, heading):
    headings = [c.value for c in sheet[1]]
    return headings.index(heading) + 1


def test_three_sheets_whose_totals_equal_the_database(invoice):
    book = _workbook(invoice)
    assert book.sheetnames == ["Invoice", "Lines", "Providers"]
    total = invoice.total
    assert total == sum((line.amount for line in invoice.lines), Decimal(0))

    lines = book["Lines"]
    amount = _column(lines, "Amount")
    cells = [lines.cell(r, amount).value for r in range(2, lines.max_row)]
    assert len(cells) == len(invoice.lines) == 6
    assert all(isinstance(v, int | float) for v in cells), "amounts are numbers, not text"
    assert _cents(sum(cells)) == total
    assert lines.cell(lines.max_row, 1).value == "Total"
    assert _cents(lines.cell(lines.max_row, amount).value) == total

    providers = book["Providers"]
    amounts = [providers.cell(r, 5).value for r in range(2, providers.max_row)]
    assert len(amounts) == 2 and _cents(sum(amounts)) == total
    assert _cents(providers.cell(providers.max_row, 5).value) == total

    sheet = book["Invoice"]
    labels = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(1, 16)}
    assert labels["Invoice number"] == invoice.number
    assert labels["Reference number"] == invoice.reference_number
    assert labels["Payer's registry code"] == "70001975"
    assert labels["Issuer's registry code"] == "75021250"
    assert labels["IBAN"] == "EE38 2200 2210 2014 5685"
    assert isinstance(labels["Invoice date"], datetime) and labels["Invoice date"].date() == date(2026, 10, 5)
    assert labels["Due date"].date() == invoice.due_on
    totals_row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Total")
    component_amounts = [sheet.cell(r, 6).value for r in range(totals_row - 2, totals_row)]
    assert _cents(sum(component_amounts)) == total == _cents(sheet.cell(totals_row, 6).value)


def test_totals_are_formulas_over_the_numbers_above(invoice):
    lines = _workbook(invoice, data_only=False)["Lines"]
    amount = _column(lines, "Amount")
    assert lines.cell(lines.max_row, amount).value.startswith("=SUM(")


def test_laid_out_for_a_finance_office(invoice):
    book = _workbook(invoice)
    lines = book["Lines"]
    assert lines.freeze_panes == "A2"
    assert lines.auto_filter.ref.startswith("A1:K")
    assert lines.page_setup.paperSize == 9 and lines.page_setup.orientation == "landscape"
    assert lines.column_dimensions["A"].width > 20
    assert lines.cell(2, _column(lines, "Amount")).number_format.endswith('"€"')
    assert book["Invoice"].page_setup.paperSize == 9
    assert filename(invoice) == "koondarve-2026-0001.xlsx"


def test_a_credit_note_workbook_carries_negative_amounts(invoice):
    note = confirm_invoice(create_credit_note(invoice, [invoice.lines[0].id]), today=date(2026, 10, 6))
    book = _workbook(note)
    lines = book["Lines"]
    amount = _column(lines, "Amount")
    assert lines.cell(2, amount).value < 0
    assert _cents(lines.cell(lines.max_row, amount).value) == note.total == -invoice.lines[0].amount
    labels = {book["Invoice"].cell(r, 1).value: book["Invoice"].cell(r, 2).value for r in range(1, 16)}
    assert labels["Credits invoice"] == invoice.number
    assert filename(note) == "kreeditarve-2026-0002.xlsx"


LIBREOFFICE = shutil.which("libreoffice")


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_it_with_the_same_totals(invoice, tmp_path):
    """What a finance office without Excel sees: every sheet converted to CSV by LibreOffice."""
    path = tmp_path / "koondarve.xlsx"
    with force_locale("en"), written(invoice) as file:
        path.write_bytes(file.read())
    all_sheets = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run(
        [LIBREOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", all_sheets]
        + ["--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for sheet, column in (("Invoice", 5), ("Lines", 10), ("Providers", 4)):
        rows = list(csv.reader((tmp_path / f"koondarve-{sheet}.csv").read_text(encoding="utf-8").splitlines()))
        total = next(row for row in rows if row and row[0] == "Total")
        assert Decimal(total[column]) == invoice.total, sheet
