"""The invoice screens (/admin/invoices/): generate a month, check it, confirm (the head only), send,
mark paid, credit chosen lines, download the workbook; and what is refused on the way."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from models import Invoice, InvoiceKind, InvoiceStatus, Provider, db
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
    assert "Confirmed." in alerts(confirmed.get_data(as_text=True))
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
