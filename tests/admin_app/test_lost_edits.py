"""No lost edits: two people open the same record; the first save goes through, the second is refused
with a clear message, its input still on the form, and nothing the first person saved is lost."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla import ModelView
from flask_babel import force_locale, format_datetime
from sqlalchemy.orm import Session

from admin_app.auth import new_user
from models import Client, Municipality, Offer, Provider, ProviderStaff, db
from models.base import RuleViolation, Versioned
from models.seed import demo
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    ajax_update,
    alerts,
    cell_version,
    form_values,
    make,
    page,
    saved,
    shown,
    signed_in,
)
from tests.conftest import create_client, create_municipality, create_offer, create_provider, csrf_token, fetch

pytestmark = TUPLE_CHOICES


def two_users(app, role: str = "case_manager"):
    first = signed_in(app, app.test_client(), role, "mari@test.ee")
    second = signed_in(app, app.test_client(), role, "jaan@test.ee")
    return first, second


def opened(client, url: str) -> dict:
    """The edit form as a user loaded it: what the browser would send back."""
    return form_values(page(client, url))


def send(client, url: str, form: dict, changes: dict):
    data = {**form, **{k: [v] for k, v in changes.items()}}
    return client.post(url, data=data)


def stale_start(app) -> str:
    """The words "someone else saved this record" begin with, in the screens' language."""
    start = shown(
        app,
        "Someone else saved this record at %(time)s — your changes are still in the form; reload to see theirs.",
        time="",
    )
    return start.split("—")[0].strip().rsplit(" ", 1)[0]


def stale_message_shown(app, html: str) -> bool:
    return any(a.startswith(stale_start(app)) for a in alerts(html))


# register, factory, role, (first person's field, value), (second person's field, value)
CASES = [
    (
        "providers",
        Provider,
        create_provider,
        "case_manager",
        ("name", "Päikese Tugi OÜ"),
        ("contact_person", "Jaan Jõgi"),
    ),
    ("clients", Client, create_client, "case_manager", ("phone", "5551111"), ("phone", "5552222")),
    ("offers", Offer, create_offer, "head", ("valid_until", "2026-12-31"), ("notes", "Teine pakkumine")),
    ("municipalities", Municipality, create_municipality, "admin", ("county", "Järvamaa"), ("county", "Harjumaa")),
]


@pytest.mark.parametrize(("endpoint", "model", "factory", "role", "first", "second"), CASES, ids=[c[0] for c in CASES])
def test_second_save_of_the_same_version_is_refused_and_keeps_its_input(
    app, endpoint, model, factory, role, first, second
):
    record = make(app, factory)
    url = f"/admin/{endpoint}/edit/?id={record.id}"
    mari, jaan = two_users(app, role)
    marys_form, jaans_form = opened(mari, url), opened(jaan, url)
    assert marys_form["version"] == ["1"]

    saved(send(mari, url, marys_form, dict([first])))
    answer = send(jaan, url, jaans_form, dict([second]))

    assert answer.status_code == 200, "the form comes back"
    html = answer.get_data(as_text=True)
    assert stale_message_shown(app, html), alerts(html)
    assert form_values(html)[second[0]] == [second[1]], "Jaan's input is still on the form"
    stored = fetch(app, model, model.id == record.id)
    assert str(getattr(stored, first[0])) == first[1], "Mari's save is kept"
    if second[0] != first[0]:
        assert getattr(stored, second[0]) != second[1], "Jaan's change did not slip in"
    assert stored.version == 2
    # After reloading, Jaan sees Mari's change and may save his own on top of it.
    saved(send(jaan, url, opened(jaan, url), dict([second])))
    stored = fetch(app, model, model.id == record.id)
    assert str(getattr(stored, second[0])) == second[1] and stored.version == 3


def test_message_says_when_the_other_save_was_made(app):
    provider = make(app, create_provider)
    url = f"/admin/providers/edit/?id={provider.id}"
    mari, jaan = two_users(app)
    jaans_form = opened(jaan, url)
    saved(send(mari, url, opened(mari, url), {"phone": "5550000"}))
    with app.app_context():
        saved_at = db.session.get(Provider, provider.id).saved_at
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        when = format_datetime(saved_at, "dd.MM.yyyy HH:mm")
    html = send(jaan, url, jaans_form, {"phone": "5559999"}).get_data(as_text=True)
    assert any(when in a for a in alerts(html)), alerts(html)


def test_a_save_racing_another_is_refused_the_same_way(app):
    """Both forms carry the current version, but the other save lands between reading and writing."""
    provider = make(app, create_provider, contact_person="Algne")
    url = f"/admin/providers/edit/?id={provider.id}"
    mari, _ = two_users(app)
    form = opened(mari, url)

    done = []

    def the_other_save(session):
        if not done and any(isinstance(o, Provider) for o in session.dirty):
            done.append(True)
            with db.engine.begin() as conn:
                conn.execute(
                    sa.update(Provider.__table__)
                    .where(Provider.__table__.c.id == provider.id)
                    .values(contact_person="Teine", version=Provider.__table__.c.version + 1)
                )

    sa.event.listen(Session, "before_commit", the_other_save)
    try:
        answer = send(mari, url, form, {"contact_person": "Mari"})
    finally:
        sa.event.remove(Session, "before_commit", the_other_save)

    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert any("reload" in a or "laadi" in a for a in alerts(html)), alerts(html)
    assert form_values(html)["contact_person"] == ["Mari"]
    stored = fetch(app, Provider, Provider.id == provider.id)
    assert stored.contact_person == "Teine" and stored.version == 2


def test_a_change_to_inline_rows_only_raises_the_parents_version(app):
    provider = make(app, create_provider)
    url = f"/admin/providers/edit/?id={provider.id}"
    mari, jaan = two_users(app)
    jaans_form = opened(jaan, url)

    saved(send(mari, url, opened(mari, url), {"staff-0-name": "Tiina Tamm"}))
    assert fetch(app, Provider, Provider.id == provider.id).version == 2

    answer = send(jaan, url, jaans_form, {"phone": "5553333"})
    assert answer.status_code == 200 and stale_message_shown(app, answer.get_data(as_text=True))
    assert fetch(app, ProviderStaff).name == "Tiina Tamm", "Mari's new staff member is kept"


def test_a_plain_save_still_works_and_counts_versions(app):
    client = make(app, create_client, applied_on=date(2026, 1, 5))
    url = f"/admin/clients/edit/?id={client.id}"
    mari, _ = two_users(app)
    for n, phone in enumerate(("5550001", "5550002"), start=2):
        saved(send(mari, url, opened(mari, url), {"phone": phone}))
        assert fetch(app, Client, Client.id == client.id).version == n


# --- The version is required: a form without it (or with a garbled one) never saves over a newer save ---

#: Per versioned register, a text field of its edit form that "the other save" changes (None: no edit form).
FIELD_OF: dict[str, str | None] = {
    "clients": "notes",
    "providers": "notes",
    "municipalities": "county",
    "offers": "notes",
    "procurements": "notes",
    "service_components": "staff_qualification",
    "assessments": "summary",
    "case_steps": "note",
    "counselling": "note",
    "action_plans": "recommendations",
    "meetings": "minutes",
    "quality_of_life": "note",
    "qol_instruments": "scale_note",
    "supervision": "findings",
    "materials": "note",
    "deliveries": "notes",
    "invoices": None,  # no edit form: an invoice changes by its actions only (tested below)
    "letters": "note",
    "users": "full_name",
    "youth": "notes",
    "youth_mail": "body",
}


def versioned_views(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView) and issubclass(v.model, Versioned)]


OUT_OF_DATE = "The form is out of date: reload it. Your changes are still in the form, nothing was saved."


def out_of_date_shown(app, html: str) -> bool:
    return any(shown(app, OUT_OF_DATE) in a for a in alerts(html)) or stale_message_shown(app, html)


def may_change(app, model, pk: int, field: str) -> bool:
    """Whether the domain's rules let anyone change ``field`` of the record (tried, then undone)."""
    with app.app_context():
        setattr(db.session.get(model, pk), field, "?")
        try:
            db.session.flush()
        except RuleViolation:
            return False
        finally:
            db.session.rollback()
        return True


def opened_then_saved_by_someone_else(client, view, field: str) -> tuple[str, dict, int]:
    """Jaan opens the newest record of ``view`` whose edit form opens; then someone else saves "Teise
    salvestus" into ``field`` (a record the rules let change). Returns the URL, Jaan's form, the new version."""
    with client.application.app_context():
        ids = db.session.scalars(sa.select(view.model.id).order_by(view.model.id.desc())).all()
    for pk in ids:
        if not may_change(client.application, view.model, pk, field):
            continue  # e.g. an invoiced delivery: no one may change it
        url = f"{view.url}/edit/?id={pk}"
        response = client.get(url)
        form = form_values(response.get_data(as_text=True)) if response.status_code == 200 else {}
        if "version" not in form:
            continue
        with client.application.app_context():
            record = db.session.get(view.model, pk)
            setattr(record, field, "Teise salvestus")
            db.session.commit()
            return url, form, record.version
    raise AssertionError(f"no record of {view.endpoint} opens for editing")


def test_every_versioned_register_is_covered(app):
    assert {v.endpoint for v in versioned_views(app)} == set(FIELD_OF)


def test_a_form_without_a_valid_version_never_saves_over_a_newer_save(app, tmp_path):
    """On every versioned register: Jaan opens a record, someone else saves it, then Jaan's save
    arrives with the version dropped, empty or garbled. It is refused and the other save is kept."""
    with app.app_context():
        demo.load(tmp_path, new_user)
    jaan = signed_in(app, app.test_client(), "admin", "jaan@test.ee")
    failures = []
    for view in versioned_views(app):
        field = FIELD_OF[view.endpoint]
        if field is None:
            with app.app_context():
                pk = db.session.scalar(sa.select(view.model.id).limit(1))
            assert jaan.get(f"{view.url}/edit/?id={pk}").status_code in (302, 403), f"{view.endpoint} has an edit form"
            continue
        url, jaans_form, newer = opened_then_saved_by_someone_else(jaan, view, field)
        pk = int(url.rsplit("=", 1)[1])
        for how, version in (("dropped", None), ("empty", ""), ("garbled", "abc")):
            form = {**jaans_form, field: ["Jaani muudatus"]}
            if version is None:
                form.pop("version")
            else:
                form["version"] = [version]
            answer = jaan.post(url, data=form)
            with app.app_context():
                stored = db.session.get(view.model, pk)
                kept = (getattr(stored, field), stored.version) == ("Teise salvestus", newer)
            html = answer.get_data(as_text=True)
            if not kept or answer.status_code != 200 or not out_of_date_shown(app, html):
                failures.append(f"{view.endpoint}, version {how}: {answer.status_code}, kept={kept}, {alerts(html)}")
                break
    assert not failures, "\n".join(failures)


# --- In-list editing (x-editable's ajax/update/) is versioned too ------------------------------------


def test_each_editable_cell_carries_its_rows_version(app):
    client = make(app, create_client)
    mari, _ = two_users(app)
    html = page(mari, "/admin/clients/")
    assert cell_version(html, client.id) == "1"
    script = re.search(r'<script src="([^"]*versioned_cells\.js)"', html)  # sends it with the cell's save
    assert script and "list_form_pk" in mari.get(script.group(1)).get_data(as_text=True)
    saved(send(mari, f"/admin/clients/edit/?id={client.id}", opened(mari, f"/admin/clients/edit/?id={client.id}"), {}))
    with app.app_context():  # someone else's save raises the version the list shows
        db.session.get(Client, client.id).phone = "5550000"
        db.session.commit()
    assert cell_version(page(mari, "/admin/clients/"), client.id) == "2"


def test_a_stale_in_list_edit_is_refused_on_its_cell_and_the_stored_value_put_back(app):
    provider = make(app, create_provider, phone="5550000")
    mari, jaan = two_users(app)
    url = "/admin/providers/"
    marys_version = cell_version(page(mari, url), provider.id)
    jaans_version = cell_version(page(jaan, url), provider.id)

    first = ajax_update(mari, url, provider.id, "phone", "5551111", version=marys_version)
    assert first.status_code == 200 and first.headers["X-Version"] == "2", "Mari's cells learn the new version"
    answer = ajax_update(jaan, url, provider.id, "phone", "5552222", version=jaans_version)

    assert answer.status_code == 409
    assert stale_start(app) in answer.get_data(as_text=True), "x-editable shows this under the cell"
    assert answer.headers["X-Stored-Value"] == "5551111", "the cell is put back to what is stored"
    assert answer.headers["X-Version"] == "2"
    stored = fetch(app, Provider, Provider.id == provider.id)
    assert (stored.phone, stored.version) == ("5551111", 2), "Mari's save is kept"
    # The next edit of another cell of the same row, with the version the answer gave, goes through.
    again = ajax_update(mari, url, provider.id, "contact_person", "Mari Maasikas", version=first.headers["X-Version"])
    assert again.status_code == 200 and fetch(app, Provider, Provider.id == provider.id).version == 3


@pytest.mark.parametrize("version", ["", "abc", None], ids=["empty", "garbled", "dropped"])
def test_an_in_list_edit_without_a_valid_version_is_refused(app, version):
    client = make(app, create_client, phone="5550000")
    mari, _ = two_users(app)
    data = {"list_form_pk": str(client.id), "phone": "5559999", "csrf_token": csrf_token(mari, "/admin/clients/")}
    if version is not None:
        data["version"] = version
    answer = mari.post("/admin/clients/ajax/update/", data=data)
    assert answer.status_code == 409
    assert shown(app, OUT_OF_DATE) in answer.get_data(as_text=True)
    assert fetch(app, Client, Client.id == client.id).phone == "5550000"


def test_an_in_list_edit_of_a_checkbox_puts_the_stored_tick_back(app):
    provider = make(app, create_provider)
    mari, jaan = two_users(app)
    jaans_version = cell_version(page(jaan, "/admin/providers/"), provider.id)
    assert ajax_update(mari, "/admin/providers/", provider.id, "active", "").status_code == 200
    answer = ajax_update(jaan, "/admin/providers/", provider.id, "active", "1", version=jaans_version)
    assert answer.status_code == 409 and answer.headers["X-Stored-Value"] == ""
    assert fetch(app, Provider, Provider.id == provider.id).active is False


# --- Every other path that writes a versioned record raises its version ---------------------------


@pytest.mark.parametrize(
    ("endpoint", "model", "factory", "field"),
    [("clients", Client, create_client, "phone"), ("providers", Provider, create_provider, "phone")],
    ids=["clients", "providers"],
)
def test_an_edit_opened_before_an_archive_action_is_refused_after_it(app, endpoint, model, factory, field):
    record = make(app, factory)
    url = f"/admin/{endpoint}/edit/?id={record.id}"
    mari, jaan = two_users(app, "head")
    jaans_form = opened(jaan, url)
    act = {"action": "archive", "rowid": [str(record.id)], "csrf_token": csrf_token(mari, f"/admin/{endpoint}/")}
    assert mari.post(f"/admin/{endpoint}/action/", data=act).status_code == 302

    answer = send(jaan, url, jaans_form, {field: "5557777"})

    assert answer.status_code == 200 and stale_message_shown(app, answer.get_data(as_text=True))
    stored = fetch(app, model, model.id == record.id)
    assert stored.archived_on is not None and stored.version == 2 and getattr(stored, field) != "5557777"


def test_invoice_actions_raise_the_version(app):
    from models import Invoice
    from models.invoicing import generate_invoice
    from tests.conftest import create_component
    from tests.deliveries import MONTH, active_client, contracted_provider, create_delivery

    with app.app_context():
        psych = create_component(code="ISTE-01", name="Psühholoog", price="58.00", area="mental_health")
        create_delivery(provider=contracted_provider(psych), component=psych, client=active_client())
        invoice_id = generate_invoice(MONTH).id
        db.session.commit()
    head = signed_in(app, app.test_client(), "head")
    versions = [fetch(app, Invoice, Invoice.id == invoice_id).version]
    for step in ("confirm", "sent", "paid"):
        data = {"action": step, "rowid": [str(invoice_id)], "csrf_token": csrf_token(head, "/admin/invoices/")}
        assert head.post("/admin/invoices/action/", data=data).status_code == 302
        versions.append(fetch(app, Invoice, Invoice.id == invoice_id).version)
    assert versions == sorted(set(versions)), f"each step raised the version: {versions}"


def test_an_inline_row_changed_meanwhile_is_not_overwritten(app):
    provider = make(app, create_provider)
    url = f"/admin/providers/edit/?id={provider.id}"
    mari, jaan = two_users(app)
    saved(send(mari, url, opened(mari, url), {"staff-0-name": "Tiina Tamm"}))
    marys_form, jaans_form = opened(mari, url), opened(jaan, url)

    saved(send(mari, url, marys_form, {"staff-0-name": "Tiina Kask"}))
    answer = send(jaan, url, jaans_form, {"staff-0-name": "Tiina Mets"})

    assert answer.status_code == 200 and stale_message_shown(app, answer.get_data(as_text=True))
    assert form_values(answer.get_data(as_text=True))["staff-0-name"] == ["Tiina Mets"], "Jaan's input is kept"
    assert [s.name for s in [fetch(app, ProviderStaff)]] == ["Tiina Kask"]
