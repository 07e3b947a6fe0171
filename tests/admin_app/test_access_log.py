"""Who saw a client's data: opening the client or a record of theirs, their case file or an export
of their rows is logged, and the head downloads the list as a workbook for the client."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from admin_app.access_rules import LOGS_ACCESS, SHOWS_NO_PERSON, access_rule
from admin_app.registers.seen import _clients_link, client_column
from models import AccessEvent, ActionPlan, Assessment, Client, Meeting, MeetingKind, db, generate_invoice
from tests.admin_app.helpers import TUPLE_CHOICES, admin_view, make, page, signed_in
from tests.conftest import create_client
from tests.deliveries import MONTH, active_client, create_delivery, setting

pytestmark = TUPLE_CHOICES


def accesses(app, *where) -> list[tuple]:
    """(client id, kind, table, record id, who) of every access row, oldest first."""
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(
            sa.select(
                AccessEvent.client_id,
                AccessEvent.kind,
                AccessEvent.table_name,
                AccessEvent.record_id,
                AccessEvent.actor,
            )
            .where(*where)
            .order_by(AccessEvent.id)
        ).all()
        return [tuple(r) for r in rows]


def _assessment(client: Client) -> Assessment:
    record = Assessment(client_id=client.id, assessed_on=date(2025, 3, 3), decision="services")
    db.session.add(record)
    db.session.commit()
    return record


@pytest.fixture
def head(app, client):
    return signed_in(app, client, "head")


def test_opening_a_client_their_record_and_case_file_is_logged(app, head):
    kati = make(app, create_client, first_name="Kati")
    other = make(app, create_client, first_name="Mari")
    with app.app_context():
        assessment_id = _assessment(db.session.get(Client, kati.id)).id

    page(head, f"/admin/clients/details/?id={kati.id}")
    page(head, f"/admin/clients/edit/?id={kati.id}")
    page(head, f"/admin/assessments/details/?id={assessment_id}")
    page(head, f"/admin/case-file/?client_id={kati.id}")
    page(head, "/admin/clients/")  # a list shows no one's record: not logged

    assert accesses(app) == [
        (kati.id, "details", "client", kati.id, "Head"),
        (kati.id, "edit", "client", kati.id, "Head"),
        (kati.id, "details", "assessment", assessment_id, "Head"),
        (kati.id, "case_file", "client", kati.id, "Head"),
    ]
    with app.app_context():
        urls = db.session.scalars(sa.select(AccessEvent.url).order_by(AccessEvent.id)).all()
    assert urls[0] == f"/admin/clients/details/?id={kati.id}"
    assert urls[3] == f"/admin/case-file/?client_id={kati.id}"
    assert accesses(app, AccessEvent.client_id == other.id) == []


def test_every_exported_row_is_logged_once(app, head):
    clients = [make(app, create_client, first_name=name) for name in ("Kati", "Mari", "Tiit")]
    with app.app_context():
        assessment_id = _assessment(db.session.get(Client, clients[0].id)).id

    response = head.get("/admin/clients/export/xlsx/?search=Mari")
    assert response.status_code == 200
    response.get_data()
    assert accesses(app) == [(clients[1].id, "export", "client", clients[1].id, "Head")]

    head.get("/admin/clients/export/csv/").get_data()
    head.get("/admin/assessments/export/xlsx/").get_data()
    exported = accesses(app, AccessEvent.kind == "export")
    assert sorted(exported[1:4]) == sorted((c.id, "export", "client", c.id, "Head") for c in clients)
    assert exported[4:] == [(clients[0].id, "export", "assessment", assessment_id, "Head")]


def test_the_head_downloads_who_saw_the_client_as_a_workbook(app, client):
    kati = make(app, create_client, first_name="Kati", last_name="Kask")
    manager = signed_in(app, client, "case_manager")
    page(manager, f"/admin/clients/details/?id={kati.id}")
    page(manager, f"/admin/case-file/?client_id={kati.id}")
    assert "/admin/access-log/" not in page(manager, f"/admin/clients/details/?id={kati.id}")
    client.get("/logout")
    head = signed_in(app, client, "head")

    details = page(head, f"/admin/clients/details/?id={kati.id}")
    assert f"/admin/access-log/?client_id={kati.id}" in details
    on_screen = page(head, f"/admin/access-log/?client_id={kati.id}")
    assert "Case Manager" in on_screen and "/admin/case-file/" in on_screen

    response = head.get(f"/admin/access-log/xlsx/?client_id={kati.id}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[1] in ("Case Manager", "Head")]
    assert "Kati Kask" in str(sheet["A1"].value)
    assert [r[1] for r in rows] == ["Case Manager", "Case Manager", "Case Manager", "Head"]
    assert all(isinstance(r[0], datetime) for r in rows)
    assert rows[0][0].date() == datetime.now(ZoneInfo("Europe/Tallinn")).date(), "the office's time (UTC+2/+3)"
    assert [r[4] for r in rows] == [kati.id] * 4
    assert rows[1][5] == f"/admin/case-file/?client_id={kati.id}"
    assert all(
        sheet.cell(row=n, column=2).data_type == "s"
        for n in range(1, sheet.max_row + 1)
        if sheet.cell(row=n, column=2).value
    )


def test_an_unknown_client_has_no_access_log(app, head):
    assert head.get("/admin/access-log/?client_id=999999").status_code == 404


def test_a_meeting_export_logs_every_client_at_each_meeting(app, head):
    kati, mari, tiit = (make(app, create_client, first_name=name) for name in ("Kati", "Mari", "Tiit"))
    with app.app_context():
        both = Meeting(held_on=date(2026, 3, 3), kind=MeetingKind.NETWORK, title="Võrgustikukohtumine")
        both.clients = [db.session.get(Client, kati.id), db.session.get(Client, mari.id)]
        alone = Meeting(held_on=date(2026, 3, 4), kind=MeetingKind.NETWORK, title="Koduvisiit")
        alone.clients = [db.session.get(Client, tiit.id)]
        db.session.add_all([both, alone])
        db.session.commit()
        both_id, alone_id = both.id, alone.id

    head.get("/admin/meetings/export/xlsx/?search=Võrgustik").get_data()
    assert sorted(accesses(app)) == sorted(
        [(kati.id, "export", "meeting", both_id, "Head"), (mari.id, "export", "meeting", both_id, "Head")]
    )
    head.get("/admin/meetings/export/csv/").get_data()
    assert (tiit.id, "export", "meeting", alone_id, "Head") in accesses(app)
    assert len(accesses(app)) == 5


def test_an_invoice_shown_or_downloaded_logs_the_clients_on_it(app, head, monkeypatch):
    """The details page logs the clients whose lines it shows (that page, that search); the
    workbook every client on the invoice."""
    monkeypatch.setattr(admin_view(app, "invoices"), "clients_per_page", 1)
    with app.app_context():
        provider, component, kati = setting()
        kati.last_name = "Aru"
        jaan = active_client(first_name="Jaan", last_name="Tamm")
        mari = active_client(first_name="Mari")  # no delivery
        for person in (kati, kati, jaan):
            create_delivery(provider=provider, component=component, client=person)
        ids = {"kati": kati.id, "jaan": jaan.id, "mari": mari.id}
        invoice_id = generate_invoice(MONTH).id

    details = f"/admin/invoices/details/?id={invoice_id}"
    assert "Aru" in page(head, details)  # page 1: Kati Aru alone
    assert accesses(app) == [(ids["kati"], "details", "invoice", invoice_id, "Head")]
    assert "Tamm" in page(head, f"{details}&page=2")
    assert accesses(app)[1:] == [(ids["jaan"], "details", "invoice", invoice_id, "Head")]
    assert "Tamm" in page(head, f"{details}&q=Tamm")
    assert accesses(app)[2:] == [(ids["jaan"], "details", "invoice", invoice_id, "Head")]
    page(head, f"{details}&q=Nobody")
    assert len(accesses(app)) == 3  # nobody shown, nobody logged
    head.get(f"/admin/invoices/{invoice_id}/download/").get_data()
    exported = accesses(app, AccessEvent.kind == "export")
    assert sorted(exported) == sorted(
        [(ids["kati"], "export", "invoice", invoice_id, "Head"), (ids["jaan"], "export", "invoice", invoice_id, "Head")]
    )
    assert accesses(app, AccessEvent.client_id == ids["mari"]) == []


def test_the_quality_of_life_page_and_the_plan_print_view_are_logged(app, head):
    kati = make(app, create_client, first_name="Kati")
    other = make(app, create_client, first_name="Mari")
    with app.app_context():
        plan = ActionPlan(client_id=kati.id, drawn_up_on=date(2026, 3, 10))
        db.session.add(plan)
        db.session.commit()
        plan_id = plan.id

    page(head, f"/admin/quality-of-life/client/?client_id={kati.id}")
    page(head, f"/admin/action-plans/print/?id={plan_id}")

    assert accesses(app) == [
        (kati.id, "details", "qol_answer_set", None, "Head"),
        (kati.id, "print", "action_plan", plan_id, "Head"),
    ]
    with app.app_context():
        urls = db.session.scalars(sa.select(AccessEvent.url).order_by(AccessEvent.id)).all()
    assert urls == [f"/admin/quality-of-life/client/?client_id={kati.id}", f"/admin/action-plans/print/?id={plan_id}"]
    assert accesses(app, AccessEvent.client_id == other.id) == []


def test_every_endpoint_declares_whether_it_logs_access_or_shows_no_person(app):
    """The next page cannot forget the access log: each endpoint says, next to its view (``@logs_access``,
    ``@shows_no_person``, a view's ``access_rules``), which it does."""
    endpoints = sorted({rule.endpoint for rule in app.url_map.iter_rules()})
    undeclared = [e for e in endpoints if access_rule(app, e) not in (LOGS_ACCESS, SHOWS_NO_PERSON)]
    assert undeclared == [], "declare @logs_access or @shows_no_person (admin_app/registers/seen.py)"
    for endpoint in ("quality_of_life.client_view", "action_plans.print_view", "case_file.index", "clients.export"):
        assert access_rule(app, endpoint) == LOGS_ACCESS, endpoint
    # A register whose rows name a client opens and exports them only with the log.
    admin = app.extensions["admin"][0]
    for view in admin._views:
        model = getattr(view, "model", None)
        if model is not None and (client_column(model) is not None or _clients_link(model) is not None):
            for method in ("details_view", "edit_view", "export"):
                assert access_rule(app, f"{view.endpoint}.{method}") == LOGS_ACCESS, (view.endpoint, method)
