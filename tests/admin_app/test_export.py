"""Exporting a register: the list as it is on screen (search, filters, sort, the columns the user
sees), every matching row, as a typed xlsx workbook or a CSV file; formula-looking text stays text."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from flask import url_for

from models import db
from tests.admin_app.helpers import admin_view, filter_arg, signed_in, sort_arg
from tests.conftest import create_client, create_component, create_provider, naughty_strings

TITLE_ROWS = 4  # three lines of title, one blank row, then the header


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def header_and_rows(sheet) -> tuple[list, list[list]]:
    rows = [list(r) for r in sheet.iter_rows(min_row=TITLE_ROWS + 1, values_only=True)]
    return rows[0], rows[1:]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark, so Excel reads õ, ä, ö, ü right"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.fixture
def head(app, client):
    return signed_in(app, client, "head")


@pytest.fixture
def clients(app):
    with app.app_context():
        made = [
            create_client(first_name="Mari", last_name="Tamm", status="active", entry_date=date(2026, 3, 1)),
            create_client(first_name="Jüri", last_name="Õunapuu", status="applicant"),
            create_client(first_name="Anu", last_name="Saar", status="active", entry_date=date(2026, 4, 15)),
            create_client(first_name="Peeter", last_name="Tammik", status="active", entry_date=date(2026, 5, 2)),
        ]
        return [c.id for c in made]


def test_the_whole_list_is_exported_with_the_headings_of_the_screen(app, head, clients):
    view = admin_view(app, "clients")
    sheet = workbook(head.get("/admin/clients/export/xlsx/")).active

    header, rows = header_and_rows(sheet)
    with app.test_request_context():
        assert header == [str(label) for name, label in view._list_columns]
    assert len(rows) == 4
    assert {r[header.index("Perekonnanimi")] for r in rows} == {
        "Tamm",
        "Õunapuu",
        "Saar",
        "Tammik",
    }
    assert sheet.freeze_panes == f"A{TITLE_ROWS + 2}", "the header row stays in sight"
    assert sheet.auto_filter.ref.startswith(f"A{TITLE_ROWS + 1}:"), "the header row has filters"
    assert "Head" in sheet["A3"].value, "the title says who exported"


def test_search_filter_and_sort_are_those_of_the_list(app, head, clients):
    status = filter_arg(app, "clients", "Status", "FilterEqual")
    sort = sort_arg(app, "clients", "last_name", desc=True)
    url = f"/admin/clients/export/xlsx/?search=Tamm&{status}=active&{sort}"
    sheet = workbook(head.get(url)).active

    header, rows = header_and_rows(sheet)
    last = header.index("Perekonnanimi")
    assert [r[last] for r in rows] == ["Tammik", "Tamm"], "searched, filtered to active, sorted Z→A"
    assert "Tamm" in sheet["A2"].value, "the title describes the search and the filter"

    listed = head.get(url.replace("export/xlsx/", "")).get_data(as_text=True)
    assert "Tammik" in listed and "Saar" not in listed and "Õunapuu" not in listed, "the list on screen agrees"


def test_dates_are_dates_and_money_is_a_number_in_euros(app, head, clients):
    sheet = workbook(head.get("/admin/clients/export/xlsx/")).active
    header, rows = header_and_rows(sheet)
    born = header.index("Sünniaeg")
    assert {r[born] for r in rows} == {datetime(1980, 5, 17)}, "a date Excel can sort and filter"
    assert sheet.cell(TITLE_ROWS + 2, born + 1).number_format == "dd.mm.yyyy"

    with app.app_context():
        create_component(price="1234.50", yearly_cap=Decimal("2500.00"))
    sheet = workbook(head.get("/admin/service-components/export/xlsx/")).active
    header, rows = header_and_rows(sheet)
    row = dict(zip(header, rows[0], strict=True))
    cells = {h: sheet.cell(TITLE_ROWS + 2, i + 1) for i, h in enumerate(header)}
    assert Decimal(str(row["Kehtiv hind"])) == Decimal("1234.50")
    assert Decimal(str(row["Aastane piirmäär osaleja kohta"])) == Decimal("2500.00")
    for money in ("Kehtiv hind", "Aastane piirmäär osaleja kohta"):
        assert cells[money].data_type == "n" and "€" in cells[money].number_format, money
    assert row["Aktiivne"] == "Jah", "yes/no in the reader's language"


def _formula_like_strings() -> list[str]:
    strings = naughty_strings()
    picked = [s for s in strings if s.strip() and s.lstrip()[:1] in "=+-@" and len(s) < 190]
    return picked[:20] + ["=1+2", "+372 5555 1234", "-5", "@SUM(A1:A2)", '=HYPERLINK("http://x","y")']


def test_formula_looking_text_stays_text(app, head):
    texts = _formula_like_strings()
    with app.app_context():
        for text in texts:
            create_provider(name=text, notes=text)
    xlsx = workbook(head.get("/admin/providers/export/xlsx/?page_size=0")).active
    header, rows = header_and_rows(xlsx)
    names = [r[header.index("Nimi")] for r in rows]
    assert sorted(names) == sorted(texts), "stored and exported exactly"
    for cells in xlsx.iter_rows(min_row=TITLE_ROWS + 2):
        for cell in cells:
            assert cell.data_type != "f", f"{cell.coordinate} became a formula: {cell.value!r}"

    lines = csv_rows(head.get("/admin/providers/export/csv/"))
    name_at = lines[0].index("Nimi")
    exported = sorted(line[name_at] for line in lines[1:])
    assert exported == sorted("'" + t if t[:1] in "=+-@\t\r" else t for t in texts), "OWASP: a leading apostrophe"


def test_csv_escapes_separators_quotes_and_line_breaks(app, head):
    tricky = 'Abi; Tugi "Kodu"\nteine rida'
    with app.app_context():
        create_provider(name=tricky)
    lines = csv_rows(head.get("/admin/providers/export/csv/"))
    assert lines[1][lines[0].index("Nimi")] == tricky


def test_rows_go_on_in_a_second_sheet_past_the_limit(app, head):
    app.config["EXPORT_SHEET_ROWS"] = TITLE_ROWS + 1 + 3  # three data rows a sheet
    try:
        with app.app_context():
            for n in range(8):
                create_client(first_name="Rida", last_name=f"Number{n:02d}")
        book = workbook(head.get(f"/admin/clients/export/xlsx/?{sort_arg(app, 'clients', 'last_name')}"))
    finally:
        app.config["EXPORT_SHEET_ROWS"] = 1_048_576
    assert len(book.worksheets) == 3
    names = []
    for sheet in book.worksheets:
        header, rows = header_and_rows(sheet)
        assert header[0] is not None, f"{sheet.title} repeats the header"
        names += [r[header.index("Perekonnanimi")] for r in rows]
    assert names == [f"Number{n:02d}" for n in range(8)], "every row once, in order, across the sheets"


def test_english_user_gets_english_headings_and_yes_no(app, client, clients):
    user = signed_in(app, client, "head")
    with app.app_context():
        from models import User

        db.session.execute(sa.update(User).values(locale="en"))
        db.session.commit()
    lines = [r for r in csv.reader(io.StringIO(user.get("/admin/clients/export/csv/").get_data(as_text=True)[1:]))]
    assert "Last name" in lines[0]
    assert len(lines) == 5


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_a_role_that_may_not_read_a_register_cannot_export_it(app, client, role, clients):
    user = signed_in(app, client, role)
    for kind in ("xlsx", "csv"):
        response = user.get(f"/admin/clients/export/{kind}/")
        assert response.status_code == 403
        assert b"Tamm" not in response.get_data()


@pytest.mark.usefixtures("shipped_questionnaire")
def test_every_register_exports_what_its_list_holds(app, head, tmp_path):
    """On the demo municipality, every register a head may read exports every row of its list."""
    from admin_app.auth import new_user
    from models.seed import demo

    with app.app_context():
        demo.load(tmp_path, new_user)
    admin = app.extensions["admin"][0]
    exported = {}
    for view in admin._views:
        if not hasattr(view, "export_columns"):
            continue
        with app.test_request_context():
            xlsx_url = url_for(f"{view.endpoint}.export", export_type="xlsx")
            csv_url = url_for(f"{view.endpoint}.export", export_type="csv")
        response = head.get(xlsx_url)
        if response.status_code == 403:
            continue
        _header, rows = header_and_rows(workbook(response).active)
        with app.test_request_context():
            expected, _ = view.get_list(0, None, False, None, None, page_size=0)
        assert len(rows) == expected, view.endpoint
        lines = csv_rows(head.get(csv_url))
        assert len(lines) - 1 == expected, view.endpoint
        exported[view.endpoint] = expected
    assert {"clients", "providers", "offers", "action_plans", "meetings", "supervision"} <= set(exported)
    assert all(exported.values()), f"the demo leaves a register empty: {exported}"


def test_libreoffice_opens_the_workbook_with_the_same_rows(app, head, clients, tmp_path):
    """LibreOffice (Debian's libreoffice-calc-nogui) converts the export to CSV without a complaint.
    Required in CI; skipped on a machine without LibreOffice."""
    import os
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing: apt-get install libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed")
    source = tmp_path / "kliendid.xlsx"
    source.write_bytes(head.get("/admin/clients/export/xlsx/").get_data())
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = tmp_path / "kliendid.csv"
    assert converted.exists(), result.stderr
    lines = list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8")), delimiter=";"))
    header_at = next(i for i, line in enumerate(lines) if "Perekonnanimi" in line)
    names = {line[lines[header_at].index("Perekonnanimi")] for line in lines[header_at + 1 :]}
    assert names == {"Tamm", "Õunapuu", "Saar", "Tammik"}
