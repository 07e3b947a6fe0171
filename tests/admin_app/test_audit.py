"""The audit trail (/admin/audit/): every change through the screens is recorded with who, which
record and each field's old and new value; refused or rolled-back changes leave nothing; nobody can
change the log, and on PostgreSQL neither can SQL."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from models import AuditEvent, Client, NetworkMember, User, db
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    ajax_update,
    archived_long_ago,
    delete,
    make,
    page,
    saved,
    signed_in,
    submit,
)
from tests.conftest import count, create_client, csrf_token, fetch, post_form

pytestmark = TUPLE_CHOICES

URL = "/admin/clients/"
CODE = "48504121235"


def events(app, table: str, *where) -> list[AuditEvent]:
    """The audit rows of ``table``, oldest first, read in a fresh session."""
    with app.app_context():
        db.session.remove()
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.table_name == table, *where).order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return rows


def new_client(**changes) -> dict:
    data = {
        "personal_code": CODE,
        "first_name": "Maie",
        "last_name": "Mägi",
        "target_group": "pilot",
        "status": "applicant",
        "disability": "severe",
        "network-0-role": "guardian",
        "network-0-name": "Jaan Mägi",
    }
    data.update(changes)
    return data


@pytest.fixture
def head(app, client):
    return signed_in(app, client, "head")


def test_create_update_delete_through_the_screens_are_recorded_with_old_and_new_values(app, head):
    saved(post_form(head, URL + "new/", new_client()))
    client_id = fetch(app, Client).id

    saved(submit(head, f"{URL}edit/?id={client_id}", {"first_name": "Mari", "phone": "5551234"}))
    assert ajax_update(head, URL, client_id, "phone", "5559999").status_code == 200
    archived_long_ago(app, Client, client_id)  # a client is archived first, then deleted by the admin
    delete(signed_in(app, app.test_client(), "admin"), URL, client_id)

    created, edited, inline, archived, deleted = events(app, "client")
    assert (created.action, created.record_id, created.actor) == ("create", str(client_id), "Head")
    assert created.changes["first_name"] == [None, "Maie"]
    assert created.changes["birth_date"] == [None, "1985-04-12"]
    assert edited.action == "update"
    assert edited.changes["first_name"] == ["Maie", "Mari"]
    assert edited.changes["phone"] == [None, "5551234"]
    assert "last_name" not in edited.changes  # only what changed
    bookkeeping = {"version", "saved_at"}
    assert {k: v for k, v in inline.changes.items() if k not in bookkeeping} == {"phone": ["5551234", "5559999"]}
    assert archived.action == "update" and "archived_on" in archived.changes
    assert deleted.action == "delete" and deleted.changes["first_name"] == ["Mari", None]
    assert edited.user_id == created.user_id is not None
    assert edited.url.startswith(f"{URL}edit/")


def test_an_inline_row_change_is_recorded_under_its_own_table(app, head):
    saved(post_form(head, URL + "new/", new_client()))
    client_id = fetch(app, Client).id
    member = fetch(app, NetworkMember)
    (created,) = events(app, "network_member")
    assert created.changes["name"] == [None, "Jaan Mägi"] and created.changes["client_id"] == [None, client_id]

    saved(submit(head, f"{URL}edit/?id={client_id}", {"network-0-name": "Jaan Mets"}))

    changed = events(app, "network_member", AuditEvent.action == "update")
    assert [(e.record_id, e.changes["name"]) for e in changed] == [(str(member.id), ["Jaan Mägi", "Jaan Mets"])]


def test_a_refused_save_leaves_no_audit_row(app, head):
    before = count(app, AuditEvent)
    response = post_form(head, URL + "new/", new_client(personal_code="48504121236"))  # wrong check digit
    assert response.status_code == 200
    assert count(app, Client) == 0
    assert count(app, AuditEvent) == before


def test_a_rolled_back_change_leaves_no_audit_row_and_a_committed_one_does(app):
    with app.app_context():
        client = create_client()
        client.phone = "5550000"
        db.session.flush()  # written to the audit inside the transaction …
        db.session.rollback()  # … and gone with it
        db.session.remove()
    (only,) = events(app, "client")
    assert only.action == "create" and only.actor == "system"


def test_secrets_are_recorded_as_changed_only(app, client):
    admin = signed_in(app, client, "admin")
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id))
    saved(submit(admin, f"/admin/users/edit/?id={user_id}", {"new_password": "uus-salasona-123456"}))

    (changed,) = events(app, "user", AuditEvent.action == "update")
    assert changed.changes["password"] == "changed"
    (created,) = events(app, "user", AuditEvent.action == "create")
    assert created.changes["password"] == "changed" and created.changes["fs_uniquifier"] == "changed"
    assert "$argon2" not in str(created.changes)


def test_many_to_many_links_are_recorded(app, client):
    admin = signed_in(app, client, "admin")
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id))
        from models import Role

        roles = dict(db.session.execute(sa.select(Role.name, Role.id)).all())
    saved(submit(admin, f"/admin/users/edit/?id={user_id}", {"roles": [str(roles["registrar"])]}))

    (changed,) = events(app, "user", AuditEvent.action == "update")
    assert changed.changes["roles"] == [[str(roles["admin"])], [str(roles["registrar"])]]


def test_the_audit_list_filters_by_record_and_links_from_details(app, head):
    one = make(app, create_client, first_name="Üks")
    two = make(app, create_client, first_name="Kaks")

    details = page(head, f"{URL}details/?id={one.id}")
    link = f"/admin/audit/?table=client&amp;record={one.id}"
    assert link in details

    html = page(head, link.replace("&amp;", "&"))
    assert "Üks" in html and "Kaks" not in html
    assert "Kaks" in page(head, "/admin/audit/")
    assert two.id


WRITE_URLS = ("new/", "edit/?id={pk}", "delete/", "ajax/update/", "action/")


@pytest.mark.parametrize("role", ("admin", "head"))
def test_nobody_can_change_the_audit_through_the_screens(app, client, role):
    user = signed_in(app, client, role)
    make(app, create_client)
    with app.app_context():
        pk = db.session.scalar(sa.select(AuditEvent.id))
    before = count(app, AuditEvent)
    token = csrf_token(user, "/admin/audit/")
    data = {"csrf_token": token, "id": pk, "rowid": pk, "action": "delete", "list_form_pk": pk, "actor": "x"}

    answers = {url: user.post("/admin/audit/" + url.format(pk=pk), data=data).status_code for url in WRITE_URLS}
    answers["new (GET)"] = user.get("/admin/audit/new/").status_code
    answers["edit (GET)"] = user.get(f"/admin/audit/edit/?id={pk}").status_code

    assert {url: code for url, code in answers.items() if code != 403} == {}
    assert count(app, AuditEvent) == before
    assert fetch(app, AuditEvent, AuditEvent.id == pk).actor != "x"


@pytest.mark.parametrize("role", ("case_manager", "accountant", "registrar"))
def test_other_roles_cannot_open_the_audit(app, client, role):
    user = signed_in(app, client, role)
    pk = make(app, create_client).id
    assert user.get("/admin/audit/").status_code == 403
    assert user.get(f"/admin/access-log/?client_id={pk}").status_code == 403
    assert user.get(f"/admin/access-log/xlsx/?client_id={pk}").status_code == 403


@pytest.mark.parametrize("statement", ("UPDATE {t} SET actor = 'x'", "DELETE FROM {t}"))
@pytest.mark.parametrize("table", ("audit_event", "access_event"))
def test_postgresql_refuses_to_change_the_log(app, statement, table):
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    with app.app_context():
        client = create_client()
        db.session.execute(
            sa.text("INSERT INTO access_event (at, actor, client_id, kind) VALUES (:at, 'test', :client, 'details')"),
            {"at": date.today(), "client": client.id},
        )
        db.session.commit()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(sa.text(statement.format(t=table)))
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(sa.text(f"SELECT count(*) FROM {table}")) >= 1


def test_a_change_from_the_command_line_names_the_command(app):
    from tests.conftest import PASSWORD

    result = app.test_cli_runner().invoke(
        args=["create-user", "uus@test.ee", "--role", "registrar", "--password-stdin"], input=PASSWORD
    )
    assert result.exit_code == 0, result.output
    (created,) = events(app, "user", AuditEvent.action == "create")
    assert created.actor.startswith("CLI: ") and "create-user" in created.actor
    assert created.user_id is None and created.changes["email"] == [None, "uus@test.ee"]


def test_a_stored_file_is_logged_by_name_size_and_hash_never_by_its_bytes(app, client):
    import hashlib
    import json

    from models import Material
    from tests.admin_app.test_materials import URL as MATERIALS
    from tests.admin_app.test_materials import fields, real_pdf, send

    signed_in(app, client, "case_manager")
    pdf = real_pdf("Salajane sisu")
    saved(send(client, MATERIALS + "new/", fields(), (pdf, "infoleht.pdf")))
    (created,) = events(app, "stored_file", AuditEvent.action == "create")
    assert created.changes["name"] == [None, "infoleht.pdf"]
    assert created.changes["size"] == [None, len(pdf)]
    assert created.changes["sha256"] == [None, hashlib.sha256(pdf).hexdigest()]
    assert created.changes["content"] == [None, f"<{len(pdf)} bytes>"]
    material = fetch(app, Material)
    assert events(app, "material", AuditEvent.action == "create")[0].changes["document_id"] == [
        None,
        material.document_id,
    ]

    delete(client, MATERIALS, material.id)
    (deleted,) = events(app, "stored_file", AuditEvent.action == "delete")
    assert deleted.changes["name"] == ["infoleht.pdf", None] and "content" not in deleted.changes
    logged = json.dumps([e.changes for e in events(app, "stored_file") + events(app, "material")])
    assert "Salajane sisu" not in logged and "%PDF" not in logged, "no file bytes in the log"
