"""The invoice screens (/admin/invoices/): generate a month, check it, confirm (the head only), send,
mark paid, credit chosen lines, download the workbook; and what is refused on the way."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from models import Invoice, InvoiceKind, InvoiceStatus, Provider, ServiceDelivery, db
from tests.admin_app.helpers import TUPLE_CHOICES, admin_view, alerts, archived_long_ago, page, signed_in
from tests.conftest import count, create_component, csrf_token, fetch
from tests.deliveries import active_client, contracted_provider, create_delivery

pytestmark = TUPLE_CHOICES

URL = "/admin/invoices/"


def english(client):
    """Read the screens in English (the user's choice), so messages compare whatever is translated."""
    client.post("/language/en", data={"csrf_token": csrf_token(client, "/admin/")})
    return client


def as_role(app, client, role):
    return english(signed_in(app, client, role))


@pytest.fixture
def month(app):
    """September 2026: two clients, two providers, three component lines."""
    with app.app_context():
        psych = create_component(code="ISTE-01", name="Psühholoog", price="58.00", area="mental_health")
        trip = create_component(code="ISTE-10", name="Transport", price="16.00", area="physical_health", unit="trip")
        first, second = contracted_provider(psych, name="Märjamaa OÜ"), contracted_provider(trip, name="Sõit OÜ")
        kati, jaan = active_client(first_name="Kati"), active_client(first_name="Jaan")
        create_delivery(provider=first, component=psych, client=kati, quantity="1.5")
        create_delivery(provider=first, component=psych, client=kati, day=date(2026, 9, 22), quantity="1")
        create_delivery(provider=second, component=trip, client=kati, quantity="4")
        create_delivery(provider=first, component=psych, client=jaan, quantity="2")
        return {"first": first.id, "kati": kati.id, "psych": psych.id}


def generate(client, value="2026-09"):
    return client.post(URL + "generate/", data={"month": value, "csrf_token": csrf_token(client, URL + "generate/")})


def the_invoice(app) -> Invoice:
    return fetch(app, Invoice, Invoice.kind == InvoiceKind.INVOICE)


def post(client, invoice_id, step, **data):
    details = f"{URL}details/?id={invoice_id}"
    return client.post(
        f"{URL}{invoice_id}/{step}/", data={**data, "csrf_token": csrf_token(client, details)}, follow_redirects=True
    )


def test_head_generates_checks_confirms_and_downloads(app, client, month):
    head = as_role(app, client, "head")
    assert "Generate invoice for month" in page(head, URL)
    response = generate(head)
    assert response.status_code == 302
    invoice = the_invoice(app)
    assert invoice.status == InvoiceStatus.DRAFT and invoice.total == Decimal("325.00")  # 2.5 × 58 + 4 × 16 + 2 × 58
    html = page(head, response.location)
    # Lines grouped by client, totals per provider and per area, the grand total.
    assert html.count('class="client-group"') == 2
    assert "Märjamaa OÜ" in html and "Sõit OÜ" in html
    assert "Mental health" in html and "Physical health" in html
    assert "325.00" in html.replace(",", "").replace("\xa0", "")

    confirmed = post(head, invoice.id, "confirm")
    assert f"Invoice {date.today().year}-0001 (09.2026) confirmed." in alerts(confirmed.get_data(as_text=True))
    invoice = the_invoice(app)
    assert invoice.number == f"{date.today().year}-0001" and invoice.reference_number
    assert [e.by.full_name for e in _events(app, invoice.id)] == ["Head", "Head"]

    download = head.get(f"{URL}{invoice.id}/download/")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].endswith(f'koondarve-{invoice.number}.xlsx"')
    lines = openpyxl.load_workbook(io.BytesIO(download.data), data_only=True)["Lines"]
    amounts = [lines.cell(r, 11).value for r in range(2, lines.max_row)]
    assert Decimal(str(round(sum(amounts), 2))) == invoice.total

    post(head, invoice.id, "sent")
    post(head, invoice.id, "paid")
    assert the_invoice(app).status == InvoiceStatus.PAID


def _events(app, invoice_id):
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        events = list(invoice.events)
        for e in events:
            _ = e.by.full_name if e.by else None
        db.session.expunge_all()
        return events


def test_generating_twice_keeps_one_draft(app, client, month):
    accountant = as_role(app, client, "accountant")
    generate(accountant)
    generate(accountant)
    assert count(app, Invoice) == 1


def test_a_bad_or_empty_month_is_said_on_the_form(app, client, month):
    accountant = as_role(app, client, "accountant")
    html = generate(accountant, "13.2026").get_data(as_text=True)
    assert "Give the month as a month and year" in html
    html = generate(accountant, "2026-05").get_data(as_text=True)
    assert "There are no payable deliveries in 05.2026" in html
    assert count(app, Invoice) == 0


def test_only_the_head_confirms(app, client, month):
    accountant = as_role(app, client, "accountant")
    generate(accountant)
    invoice = the_invoice(app)
    html = page(accountant, f"{URL}details/?id={invoice.id}")
    assert 'id="confirm"' not in html
    token = csrf_token(accountant, URL)
    assert accountant.post(f"{URL}{invoice.id}/confirm/", data={"csrf_token": token}).status_code == 403
    assert accountant.post(URL + "action/", data={"action": "confirm", "rowid": invoice.id, "csrf_token": token})
    assert the_invoice(app).status == InvoiceStatus.DRAFT


def test_a_case_manager_reads_but_does_not_generate(app, client, month):
    manager = as_role(app, client, "case_manager")
    assert "Generate invoice for month" not in page(manager, URL)
    assert manager.get(URL + "generate/").status_code == 403


def test_a_credit_note_reverses_the_chosen_line(app, client, month):
    head = as_role(app, client, "head")
    generate(head)
    invoice = the_invoice(app)
    post(head, invoice.id, "confirm")
    with app.app_context():
        line = db.session.scalars(sa.select(Invoice).where(Invoice.id == invoice.id)).one().lines
        chosen = next(x for x in line if x.client_id == month["kati"] and x.component_id == month["psych"])
        chosen_id, chosen_amount = chosen.id, chosen.amount
    response = post(head, invoice.id, "credit", line=str(chosen_id))
    assert "Credit note drafted" in response.get_data(as_text=True)
    note = fetch(app, Invoice, Invoice.kind == InvoiceKind.CREDIT_NOTE)
    assert note.total == -chosen_amount and note.credited_invoice_id == invoice.id
    post(head, note.id, "confirm")
    html = page(head, f"{URL}details/?id={invoice.id}")
    assert "credited" in html and "Total less confirmed credit notes" in html
    again = post(head, invoice.id, "credit", line=str(chosen_id))
    assert "already been credited" in again.get_data(as_text=True)
    assert count(app, Invoice, Invoice.kind == InvoiceKind.CREDIT_NOTE) == 1


def test_a_provider_on_an_invoice_is_not_deleted(app, client, month):
    head = as_role(app, client, "head")
    generate(head)
    post(head, the_invoice(app).id, "confirm")
    admin = as_role(app, app.test_client(), "admin")
    archived_long_ago(app, Provider, month["first"])  # only the invoice stands in the way
    response = admin.post(
        "/admin/providers/delete/",
        data={"id": month["first"], "csrf_token": csrf_token(admin, "/admin/providers/")},
        follow_redirects=True,
    )
    messages = " ".join(alerts(response.get_data(as_text=True)))
    assert "Not deleted" in messages and "is on invoice" in messages
    assert count(app, Provider, Provider.id == month["first"]) == 1


def test_nobody_edits_or_deletes_an_invoice_through_a_form(app, client, month):
    admin = as_role(app, client, "admin")
    generate(admin)
    invoice = the_invoice(app)
    token = csrf_token(admin, URL)
    assert admin.get(f"{URL}edit/?id={invoice.id}").status_code == 403
    assert admin.post(URL + "delete/", data={"id": invoice.id, "csrf_token": token}).status_code == 403
    assert count(app, Invoice) == 1


# --- a month of many clients: the lines a page at a time ---------------------------------------

NAMES = ("Aru", "Ilves", "Kask", "Mets", "Tamm")


@pytest.fixture
def many(app, monkeypatch):
    """September 2026: five clients (by last name Aru … Tamm) of one line each; two clients a page."""
    monkeypatch.setattr(admin_view(app, "invoices"), "clients_per_page", 2)
    with app.app_context():
        psych = create_component(code="ISTE-01", name="Psühholoog", price="58.00", area="mental_health")
        provider = contracted_provider(psych, name="Märjamaa OÜ")
        clients = {name: active_client(first_name="Mari", last_name=name) for name in reversed(NAMES)}
        for n, client in enumerate(clients.values(), start=1):
            create_delivery(provider=provider, component=psych, client=client, quantity=str(n))
        return {name: (c.id, c.personal_code) for name, c in clients.items()}


def _groups(html: str) -> list[str]:
    """The last names heading the client groups of a details page, in order."""
    return re.findall(r'<tr class="table-secondary"><th[^>]*>Mari (\w+) \(', html)


def _amount(text: str) -> str:
    return re.sub(r"[^\d.]", "", text.replace(",", "."))


def _grand_total(html: str) -> str:
    return re.search(r'class="text-right grand-total">([^<]*)<', html).group(1)


def test_the_lines_come_a_page_of_clients_at_a_time_and_the_totals_stay(app, client, many):
    head = as_role(app, client, "head")
    generate(head)
    details = f"{URL}details/?id={the_invoice(app).id}"
    first, second, third = (page(head, f"{details}&page={n}") for n in (1, 2, 3))
    assert _groups(first) == ["Aru", "Ilves"] and _groups(second) == ["Kask", "Mets"] and _groups(third) == ["Tamm"]
    assert _groups(page(head, details)) == ["Aru", "Ilves"]
    assert _groups(page(head, f"{details}&page=99")) == ["Tamm"]  # past the end: the last page
    assert "Clients on the invoice: 5, with 5 lines." in first and "Shown: clients 3–4." in second
    assert "page=2" in first  # a link to the next page
    # The totals are the invoice's on every page: 15 × 58 €.
    for html in (first, second, third):
        assert _amount(_grand_total(html)) == "870.00"
        assert "Märjamaa OÜ" in html.split('class="table table-sm by-provider"')[1]


def test_a_search_finds_a_client_s_group_by_name_or_code(app, client, many):
    head = as_role(app, client, "head")
    generate(head)
    details = f"{URL}details/?id={the_invoice(app).id}"
    html = page(head, f"{details}&q=mets")
    assert _groups(html) == ["Mets"] and "Clients found: 1, with 1 lines." in html
    assert _groups(page(head, f"{details}&q={many['Kask'][1]}")) == ["Kask"]
    assert _groups(page(head, f"{details}&q=Mari+Tamm")) == ["Tamm"]
    nobody = page(head, f"{details}&q=Nobody")
    assert _groups(nobody) == [] and "No client on the invoice matches the search." in nobody
    assert _amount(_grand_total(nobody)) == "870.00"
    # % and _ are letters here, not wildcards: nobody is called "%" or "M_ts".
    for typed in ("%25", "M_ts", "%25%25"):
        assert _groups(page(head, f"{details}&q={typed}")) == [], typed


def test_a_line_on_a_later_page_is_credited(app, client, many):
    head = as_role(app, client, "head")
    generate(head)
    invoice = the_invoice(app)
    post(head, invoice.id, "confirm")
    html = page(head, f"{URL}details/?id={invoice.id}&page=3")
    (chosen,) = re.findall(r'name="line" value="(\d+)"', html)
    response = post(head, invoice.id, "credit", line=chosen)
    assert "Credit note drafted" in response.get_data(as_text=True)
    note = fetch(app, Invoice, Invoice.kind == InvoiceKind.CREDIT_NOTE)
    assert note.total == Decimal("-58.00")  # Tamm's line: 1 × 58
    post(head, note.id, "confirm")
    again = page(head, f"{URL}details/?id={invoice.id}&page=3")
    assert "credited" in again and 'name="line"' not in again


# --- the e-invoice and the credit note's workbook -----------------------------------------------

EINVOICE = 'id="einvoice"'


def _four_line_credit_note(app, head) -> tuple[int, int]:
    """The five-client month confirmed, then a credit note of four of its lines, confirmed: (invoice, note)."""
    generate(head)
    invoice = the_invoice(app)
    post(head, invoice.id, "confirm")
    with app.app_context():
        ids = sorted(line.id for line in db.session.get(Invoice, invoice.id).lines)[:4]
    post(head, invoice.id, "credit", line=[str(i) for i in ids])
    note = fetch(app, Invoice, Invoice.kind == InvoiceKind.CREDIT_NOTE)
    post(head, note.id, "confirm")
    return invoice.id, note.id


def test_a_confirmed_credit_note_s_workbook_downloads_and_adds_up(app, client, many, tmp_path):
    head = as_role(app, client, "head")
    _, note_id = _four_line_credit_note(app, head)
    note = fetch(app, Invoice, Invoice.id == note_id)
    response = head.get(f"{URL}{note_id}/download/")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data), data_only=True)
    assert book.sheetnames == ["Invoice", "Lines", "Providers"]
    for sheet, column in (("Invoice", 6), ("Lines", 11), ("Providers", 5)):
        rows = list(book[sheet].iter_rows(values_only=True))
        total = next(row for row in rows if row[0] == "Total")
        assert Decimal(str(total[column - 1])).quantize(Decimal("0.01")) == note.total < 0, sheet
    assert len([r for r in book["Lines"].iter_rows(min_row=2, values_only=True) if r[0] != "Total"]) == 4
    path = tmp_path / "kreeditarve.xlsx"
    path.write_bytes(response.data)
    assert_libreoffice_converts(path, note.total)


def assert_libreoffice_converts(path, total) -> None:
    """LibreOffice converts every sheet to CSV and sees the same total (skipped where it is not installed)."""
    import csv
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    all_sheets = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{path.parent}/lo", "--convert-to", all_sheets]
        + ["--outdir", str(path.parent), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    rows = list(csv.reader((path.parent / f"{path.stem}-Lines.csv").read_text(encoding="utf-8").splitlines()))
    assert Decimal(next(row for row in rows if row and row[0] == "Total")[10]) == total


def test_the_e_invoice_button_downloads_a_valid_file_for_invoice_and_credit_note(app, client, many):
    from exports.einvoice_check import failures

    head = as_role(app, client, "head")
    generate(head)
    draft = the_invoice(app)
    assert EINVOICE not in page(head, f"{URL}details/?id={draft.id}")  # a draft has no number, no e-invoice
    refused = head.get(f"{URL}{draft.id}/einvoice/", follow_redirects=True)
    assert "A draft has no e-invoice" in " ".join(alerts(refused.get_data(as_text=True)))
    invoice_id, note_id = _four_line_credit_note(app, head)
    for invoice_id_, root in ((invoice_id, b"<Invoice"), (note_id, b"<CreditNote")):
        assert EINVOICE in page(head, f"{URL}details/?id={invoice_id_}")
        response = head.get(f"{URL}{invoice_id_}/einvoice/")
        assert response.status_code == 200 and response.mimetype == "application/xml"
        assert root in response.data and failures(response.data) == []
        for _name, code in many.values():
            assert code.encode() not in response.data
    assert EINVOICE not in page(as_role(app, app.test_client(), "case_manager"), f"{URL}details/?id={invoice_id}")


def test_a_missing_setting_is_named_and_no_file_is_offered(app, client, many, monkeypatch):
    head = as_role(app, client, "head")
    generate(head)
    invoice = the_invoice(app)
    post(head, invoice.id, "confirm")
    monkeypatch.setitem(app.config, "MUNICIPALITY_POSTCODE", "")
    response = head.get(f"{URL}{invoice.id}/einvoice/", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "MUNICIPALITY_POSTCODE" in " ".join(alerts(response.get_data(as_text=True)))
    sent = post(head, invoice.id, "sent")  # nothing is sent without its e-invoice
    assert "MUNICIPALITY_POSTCODE" in " ".join(alerts(sent.get_data(as_text=True)))
    assert the_invoice(app).status == InvoiceStatus.CONFIRMED


def test_the_bytes_kept_at_sent_are_served_unchanged_afterwards(app, client, many, monkeypatch):
    import hashlib

    head = as_role(app, client, "head")
    generate(head)
    invoice = the_invoice(app)
    post(head, invoice.id, "confirm")
    post(head, invoice.id, "sent")
    with app.app_context():
        kept = db.session.get(Invoice, invoice.id).einvoice
        content, sha256, by = kept.content, kept.sha256, kept.created_by.full_name
    assert hashlib.sha256(content).hexdigest() == sha256 and by == "Head"
    # The settings change after sending (the municipality moved): the file SKA got is still the one shown.
    monkeypatch.setitem(app.config, "MUNICIPALITY_STREET", "Uus tänav 1")
    response = head.get(f"{URL}{invoice.id}/einvoice/")
    assert response.data == content and b"Uus t" not in response.data
    assert sha256 in page(head, f"{URL}details/?id={invoice.id}")


def test_the_cli_writes_the_e_invoice_and_refuses_a_draft(app, client, many, tmp_path):
    head = as_role(app, client, "head")
    generate(head)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["einvoice", "2026-0001"])
    assert result.exit_code != 0 and "No invoice" in result.output
    invoice = the_invoice(app)
    post(head, invoice.id, "confirm")
    number = the_invoice(app).number
    target = tmp_path / "arve.xml"
    result = runner.invoke(args=["einvoice", number, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == head.get(f"{URL}{invoice.id}/einvoice/").data


def test_the_page_warns_when_the_e_invoice_carries_the_workbook(app, client, many, monkeypatch):
    head = as_role(app, client, "head")
    generate(head)
    invoice = the_invoice(app)
    post(head, invoice.id, "confirm")
    assert "attach-specification" not in page(head, f"{URL}details/?id={invoice.id}")
    monkeypatch.setitem(app.config, "EINVOICE_ATTACH_SPECIFICATION", True)
    html = page(head, f"{URL}details/?id={invoice.id}")
    assert "every client's name, personal code" in html.replace("&#39;", "'")


def _statements(app, client, url: str) -> list[str]:
    """The SQL statements a GET of ``url`` sends."""
    sent = []

    def _watch(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", _watch)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", _watch)
    return sent


def test_an_unchanged_draft_is_shown_without_regrouping_its_deliveries_or_summing_its_lines(app, client, month):
    """A national month's draft has 80,000 lines from 82,000 deliveries: its details page asks a
    change counter whether it is stale and reads the totals kept with it, and still warns as soon
    as a delivery changes."""
    head = as_role(app, client, "head")
    generate(head)
    details = f"{URL}details/?id={the_invoice(app).id}"
    sent = _statements(app, head, details)
    assert not [s for s in sent if "FROM service_delivery" in s], "the details page regrouped the deliveries"
    assert not [s for s in sent if "sum(invoice_line." in s], "the details page summed the lines"
    html = page(head, details)
    assert "Märjamaa OÜ" in html and "Physical health" in html and 'class="alert alert-warning stale"' not in html
    with app.app_context():
        delivery = db.session.scalars(sa.select(ServiceDelivery).where(ServiceDelivery.client_id == month["kati"]))
        delivery.first().quantity = Decimal("3")
        db.session.commit()
    assert 'class="alert alert-warning stale"' in page(head, details)
