"""The delivery register (/admin/deliveries/): priced on save, refused with a reason, locked once
invoiced, loaded in bulk from Excel (all rows or none); the accountant sees no health data."""

import io
from datetime import date
from decimal import Decimal

import pytest
import xlsxwriter

from models import Client, Provider, ServiceComponent, ServiceDelivery, confirm_invoice, db, generate_invoice
from tests.admin_app.helpers import TUPLE_CHOICES, alerts, page, refused, saved, shown, submit
from tests.admin_app.test_invoices import as_role
from tests.conftest import count, create_component, csrf_token, fetch
from tests.deliveries import MONTH, active_client, contracted_provider, create_delivery

pytestmark = TUPLE_CHOICES

URL = "/admin/deliveries/"


@pytest.fixture
def parties(app):
    with app.app_context():
        component = create_component(code="ISTE-04", name="Igapäevaelu toetamine", price="28.00")
        provider = contracted_provider(component, name="Kohila SA")
        client = active_client(first_name="Kati", main_diagnosis="F20.0")
        exited = active_client(first_name="Jaan", status="exited", exit_date=date(2026, 8, 31), exit_reason="moved")
        return {
            "component": component.id,
            "provider": provider.id,
            "client": client.id,
            "exited": exited.id,
            "code": client.personal_code,
            "registry": provider.registry_code,
        }


def form(parties, **changes) -> dict:
    data = {
        "client": str(parties["client"]),
        "provider": str(parties["provider"]),
        "component": str(parties["component"]),
        "mode": "individual",
        "delivered_on": "14.09.2026",
        "quantity": "2,5",
        "notes": "",
    }
    data.update(changes)
    return data


def test_a_delivery_is_priced_on_save(app, client, parties):
    manager = as_role(app, client, "case_manager")
    saved(submit(manager, URL + "new/", form(parties)))
    d = fetch(app, ServiceDelivery)
    assert (d.quantity, d.unit_price, d.amount) == (Decimal("2.50"), Decimal("28.00"), Decimal("70.00"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quantity": "0"}, "quantity", "greater than zero"),
        ({"client": "exited"}, "client", "was not an active client"),
        ({"delivered_on": "14.09.2099"}, "delivered_on", "future"),
        ({"period_end": "02.10.2026"}, "period_end", "within one calendar month"),
    ],
)
def test_refusals_are_said_under_the_field(app, client, parties, changes, field, message):
    manager = as_role(app, client, "case_manager")
    changes = {k: str(parties[v]) if v in parties else v for k, v in changes.items()}
    refused(submit(manager, URL + "new/", form(parties, **changes)), field, message)
    assert count(app, ServiceDelivery) == 0


def test_an_invoiced_delivery_cannot_be_edited_or_deleted(app, client, parties):
    with app.app_context():
        d = create_delivery(
            provider=db.session.get(Provider, parties["provider"]),
            component=db.session.get(ServiceComponent, parties["component"]),
            client=db.session.get(Client, parties["client"]),
        )
        confirm_invoice(generate_invoice(MONTH))
        pk = d.id
    accountant = as_role(app, client, "accountant")
    response = submit(accountant, f"{URL}edit/?id={pk}", {"quantity": "9"})
    assert response.status_code == 200
    assert any("can no longer change" in a for a in alerts(response.get_data(as_text=True)))
    deleted = accountant.post(
        URL + "delete/", data={"id": pk, "csrf_token": csrf_token(accountant, URL)}, follow_redirects=True
    )
    assert any("Not deleted" in a for a in alerts(deleted.get_data(as_text=True)))
    assert fetch(app, ServiceDelivery).quantity == Decimal("2.00")


def test_the_accountant_sees_name_and_code_but_no_health_data(app, client, parties):
    manager = as_role(app, client, "case_manager")
    saved(submit(manager, URL + "new/", form(parties)))
    accountant = as_role(app, app.test_client(), "accountant")
    pk = fetch(app, ServiceDelivery).id
    for html in (page(accountant, URL), page(accountant, f"{URL}details/?id={pk}")):
        assert "Kati" in html and parties["code"] in html
        assert "F20.0" not in html


def sheet(rows) -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["Isikukood", "Registrikood", "Kood", "Kuupäev", "Lõpp", "Kogus", "Viis", "Märkused"])
    date_format = book.add_format({"num_format": "dd.mm.yyyy"})
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                ws.write_datetime(r, c, value, date_format)
            elif value is not None:
                ws.write(r, c, value)
    book.close()
    buffer.seek(0)
    return buffer


def upload(client, rows):
    token = csrf_token(client, URL + "upload/")
    return client.post(
        URL + "upload/",
        data={"sheet": (sheet(rows), "osutamised.xlsx"), "csrf_token": token},
        content_type="multipart/form-data",
    )


def test_bulk_load_saves_every_row(app, client, parties):
    accountant = as_role(app, client, "accountant")
    rows = [
        [parties["code"], parties["registry"], "ISTE-04", date(2026, 9, 1), None, 2, None, "Kodus"],
        [parties["code"], int(parties["registry"]), "ISTE-04", "15.09.2026", "16.09.2026", "1,5", "individual", None],
    ]
    response = upload(accountant, rows)
    assert response.status_code == 302
    assert count(app, ServiceDelivery) == 2
    with app.app_context():
        amounts = sorted(d.amount for d in db.session.query(ServiceDelivery))
    assert amounts == [Decimal("42.00"), Decimal("56.00")]


def test_bulk_load_saves_nothing_when_a_row_is_wrong_and_says_which(app, client, parties):
    accountant = as_role(app, client, "accountant")
    rows = [
        [parties["code"], parties["registry"], "ISTE-04", date(2026, 9, 1), None, 2, None, None],
        [parties["code"], parties["registry"], "NOPE", date(2026, 9, 2), None, 1, None, None],
        [parties["code"], parties["registry"], "ISTE-04", "31.02.2026", None, 1, None, None],
        [parties["code"], parties["registry"], "ISTE-04", date(2026, 9, 3), None, -1, None, None],
    ]
    html = upload(accountant, rows).get_data(as_text=True)
    assert "Nothing was loaded" in html
    assert "No service component with code NOPE" in html
    assert "is not a date" in html and "greater than zero" in html
    assert '<td class="text-right">3</td>' in html and '<td class="text-right">1</td>' not in html
    assert count(app, ServiceDelivery) == 0


def test_bulk_load_refuses_a_file_that_is_not_a_workbook(app, client, parties):
    accountant = as_role(app, client, "accountant")
    token = csrf_token(accountant, URL + "upload/")
    response = accountant.post(
        URL + "upload/",
        data={"sheet": (io.BytesIO(b"not,a,workbook"), "x.xlsx"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert "not an Excel workbook" in response.get_data(as_text=True)
    assert count(app, ServiceDelivery) == 0


def test_the_export_names_each_delivery_s_invoice_reading_columns_not_records(app, client, parties):
    """A delivery's invoice is its month's confirmed invoice with a line of its key (no column of the
    delivery): the export reads it as one SQL column beside the others, as it reads every other column,
    instead of building a record per row (a million deliveries: 128 s against the floor's 47 s)."""
    import openpyxl

    from models import Invoice

    with app.app_context():
        who = {k: db.session.get(m, parties[k]) for k, m in (("provider", Provider), ("component", ServiceComponent))}
        kati = db.session.get(Client, parties["client"])
        create_delivery(**who, client=kati)  # MONTH: invoiced below
        create_delivery(**who, client=kati, day=date(2026, 10, 5))  # the next month: not yet
        number = confirm_invoice(generate_invoice(MONTH)).number
        assert number and db.session.query(Invoice).count() == 1
        view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "deliveries")
        with app.test_request_context():
            assert view._projection([name for name, _ in view.export_columns()]) is not None
    head = as_role(app, client, "head")
    sheet = openpyxl.load_workbook(io.BytesIO(head.get(URL + "export/xlsx/").get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] in ("Date", shown(app, "Date")))  # the user's language
    at = len(rows[header]) - 1  # the list's last column: the invoice
    assert rows[header][at] in ("Invoice", shown(app, "Invoice"))
    assert sorted((r[at] or "") for r in rows[header + 1 :]) == ["", number]
