"""Archiving, not deleting: clients, providers and letters are archived — hidden from daily lists and
from select boxes for new records, kept for details, case files and reports — and only the administrator
deletes one, after the retention period counted from archiving."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from models import Assessment, Client, Letter, Provider, User, db
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    alerts,
    filter_arg,
    form_values,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    submit,
)
from tests.conftest import count, create_client, create_letter, create_provider, csrf_token, fetch

pytestmark = [TUPLE_CHOICES, pytest.mark.usefixtures("shipped_questionnaire")]

# endpoint, model, factory, what the list shows of a record
REGISTERS = [
    ("clients", Client, create_client, lambda r: r.last_name),
    ("providers", Provider, create_provider, lambda r: r.name),
    ("letters", Letter, create_letter, lambda r: r.subject),
]
IDS = [r[0] for r in REGISTERS]


def act(client, endpoint: str, action: str, *ids: int):
    url = f"/admin/{endpoint}/"
    data = {"action": action, "rowid": [str(i) for i in ids], "csrf_token": csrf_token(client, url)}
    return client.post(url + "action/", data=data, follow_redirects=True)


def archive_long_ago(app, model, pk: int, years: int) -> None:
    with app.app_context():
        record = db.session.get(model, pk)
        record.archived_on = date.today() - relativedelta(years=years)
        db.session.commit()


@pytest.mark.parametrize(("endpoint", "model", "factory", "label"), REGISTERS, ids=IDS)
def test_archived_records_leave_the_daily_list_and_come_back_on_restore(app, endpoint, model, factory, label):
    kept, archived = make(app, factory), make(app, factory)
    head = signed_in(app, app.test_client(), "head")
    url = f"/admin/{endpoint}/"
    assert "execute('archive')" in page(head, url), "the list offers the Archive action"

    act(head, endpoint, "archive", archived.id)

    html = page(head, url)
    assert label(kept) in html and label(archived) not in html
    stored = fetch(app, model, model.id == archived.id)
    assert stored.archived_on == date.today()
    with app.app_context():
        assert db.session.get(User, stored.archived_by_id).email == "head@test.ee"
    show = filter_arg(app, endpoint, "Show archived", "ShowArchived")
    html = page(head, f"{url}?{show}=all")
    assert label(kept) in html and label(archived) in html
    html = page(head, f"{url}?{show}=only")
    assert label(kept) not in html and label(archived) in html
    # Its own page still opens: nothing is lost.
    assert label(archived) in page(head, f"{url}details/?id={archived.id}")

    act(head, endpoint, "restore", archived.id)
    assert label(archived) in page(head, url)
    stored = fetch(app, model, model.id == archived.id)
    assert stored.archived_on is None and stored.archived_by_id is None


def test_an_archived_client_is_kept_for_the_case_file_and_the_export(app):
    client = make(app, create_client)
    head = signed_in(app, app.test_client(), "head")
    act(head, "clients", "archive", client.id)
    assert client.last_name in page(head, f"/admin/case-file/?client_id={client.id}")
    show = filter_arg(app, "clients", "Show archived", "ShowArchived")
    exported = head.get(f"/admin/clients/export/csv/?{show}=all").get_data(as_text=True)
    assert client.last_name in exported
    assert client.last_name not in head.get("/admin/clients/export/csv/").get_data(as_text=True)


def test_an_archived_client_is_not_offered_for_a_new_record_but_stays_on_an_old_one(app):
    active, archived = make(app, create_client), make(app, create_client)
    manager = signed_in(app, app.test_client(), "case_manager")
    with app.app_context():
        old = Assessment(client_id=archived.id, assessed_on=date(2025, 3, 3), decision="services")
        db.session.add(old)
        db.session.commit()
        old_id = old.id
    act(manager, "clients", "archive", archived.id)

    offered = page(manager, "/admin/assessments/new/")
    assert active.last_name in offered and archived.last_name not in offered
    form = form_values(offered)
    form.update({"client": [str(archived.id)], "assessed_on": ["2026-03-03"], "decision": ["services"]})
    refused(manager.post("/admin/assessments/new/", data=form), "client")
    assert count(app, Assessment) == 1

    # The record already about the archived client keeps it and can still be edited.
    saved(submit(manager, f"/admin/assessments/edit/?id={old_id}", {"summary": "Ülevaade"}))
    assert fetch(app, Assessment).client_id == archived.id


@pytest.mark.parametrize(("endpoint", "model", "factory", "label"), REGISTERS, ids=IDS)
def test_only_the_admin_deletes_and_only_after_the_retention_period(app, endpoint, model, factory, label):
    record = make(app, factory)
    url = f"/admin/{endpoint}/"
    head = signed_in(app, app.test_client(), "head")
    admin = signed_in(app, app.test_client(), "admin")
    years = app.config["RETENTION_YEARS"]

    assert head.post(url + "delete/", data={"id": record.id, "csrf_token": csrf_token(head, url)}).status_code == 403
    assert f'action="{url}delete/' not in page(head, url)

    def admin_deletes():
        return admin.post(
            url + "delete/", data={"id": record.id, "csrf_token": csrf_token(admin, url)}, follow_redirects=True
        )

    not_archived = admin_deletes().get_data(as_text=True)
    assert any(
        shown(app, "Only an archived record can be deleted; archive it instead.") in a for a in alerts(not_archived)
    )
    archive_long_ago(app, model, record.id, years - 1)
    too_soon = admin_deletes().get_data(as_text=True)
    first_day = date.today() - relativedelta(years=years - 1) + relativedelta(years=years)
    assert any(f"{first_day:%d.%m.%Y}" in a for a in alerts(too_soon)), alerts(too_soon)
    assert count(app, model, model.id == record.id) == 1

    archive_long_ago(app, model, record.id, years)
    admin_deletes()
    assert count(app, model, model.id == record.id) == 0


def test_the_home_page_counts_no_archived_client(app):
    for _ in range(2):
        make(app, create_client, status="active", applied_on=date(2026, 1, 5), entry_date=date(2026, 2, 1))
    gone = fetch(app, Client, Client.id == max_id(app))
    head = signed_in(app, app.test_client(), "head")
    active = re.compile(rf"<td>{re.escape(shown(app, 'Active'))}</td><td class=\"text-right\">(\d+)</td>")
    assert active.search(page(head, "/admin/")).group(1) == "2"
    act(head, "clients", "archive", gone.id)
    assert active.search(page(head, "/admin/")).group(1) == "1"


def max_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Client.id)))


def test_readers_cannot_archive(app):
    provider = make(app, create_provider)
    accountant = signed_in(app, app.test_client(), "accountant")
    act(accountant, "providers", "archive", provider.id)
    assert fetch(app, Provider).archived_on is None
