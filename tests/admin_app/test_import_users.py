"""Import into the user register: the administrator's only; matched by e-mail; roles by label or
code; passwords never imported (a new user cannot sign in until given one); exported users import
back unchanged."""

import pytest
import sqlalchemy as sa

from admin_app.auth import create_user
from models import AuditEvent, User, db
from tests.admin_app.helpers import shown, signed_in
from tests.admin_app.test_import import _error_cells, confirm, expect, label, preview_page, summary, upload, xlsx
from tests.conftest import sign_in

HEADINGS = ("E-mail", "Name", "Roles", "Active", "Language")


@pytest.mark.parametrize("export_type", ["xlsx", "csv"])
def test_exported_users_import_back_unchanged(app, client, export_type):
    with app.app_context():
        create_user("mari@test.ee", "x" * 16, ["case_manager", "registrar"], full_name="=Mari")
        create_user("raamat@test.ee", "x" * 16, ["accountant"])
    admin = signed_in(app, client, "admin")
    exported = admin.get(f"/admin/users/export/{export_type}/")
    assert exported.status_code == 200
    _, html = preview_page(admin, upload(admin, "users", exported.get_data(), f"eksport.{export_type}"))
    assert summary(app, html) == expect(app, unchanged=3), _error_cells(html)


def test_users_are_added_and_updated_by_e_mail_without_passwords(app, client):
    with app.app_context():
        mari = create_user("mari@test.ee", "x" * 16, ["case_manager"], full_name="Mari")
        password, version = mari.password, mari.version
    admin = signed_in(app, client, "admin")
    rows = [
        [" MARI@test.ee ", "Mari Maasikas", "case_manager; Registrar", "Jah", "et"],  # update
        ["jyri@test.ee", "Jüri", "Juhtumikorraldaja", None, "English"],  # new
    ]
    headings = [*(label(app, h) for h in HEADINGS), "Password"]
    url, html = preview_page(admin, upload(admin, "users", xlsx(headings, [[*r, "salasona123456"] for r in rows])))
    assert summary(app, html) == expect(app, new=1, update=1), _error_cells(html)
    assert "Password" in html, "the password column is listed as not imported"
    confirm(admin, url)
    with app.app_context():
        saved = db.session.scalars(sa.select(User).where(User.email == "mari@test.ee")).one()
        assert (saved.full_name, sorted(r.name for r in saved.roles), saved.password) == (
            "Mari Maasikas",
            ["case_manager", "registrar"],
            password,
        )
        assert saved.version == version + 1
        new = db.session.scalars(sa.select(User).where(User.email == "jyri@test.ee")).one()
        assert (new.full_name, [r.name for r in new.roles], new.locale, new.active, new.password) == (
            "Jüri",
            ["case_manager"],
            "en",
            True,
            None,
        )
        event = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.table_name == "user", AuditEvent.action == "create")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event.url == shown(app, "imported from %(file)s", file="fail.xlsx")
    # With no password the new user cannot sign in, and the sign-in page says so (no error page).
    response = sign_in(app.test_client(), "jyri@test.ee", "salasona123456")
    assert response.status_code == 200, "not signed in, the form shown again"


def test_user_rows_get_the_forms_messages(app, client):
    admin = signed_in(app, client, "admin")
    rows = [
        ["pole-aadress", "Mari", "case_manager", None, None],  # row 2: e-mail
        ["a@test.ee", "Mari", None, None, None],  # 3: no role
        ["b@test.ee", "Mari", "Kokk", None, None],  # 4: no such role
        ["c@test.ee", "Mari", "head", None, "Soome keel"],  # 5: no such language
        ["c@test.ee", "Mari", "head", None, None],  # 6: twice
    ]
    url, html = preview_page(admin, upload(admin, "users", xlsx([label(app, h) for h in HEADINGS], rows)))
    assert {(r, h) for r, h, _ in _error_cells(html)} == {
        ("2", label(app, "E-mail")),
        ("3", label(app, "Roles")),
        ("4", label(app, "Roles")),
        ("5", label(app, "Language")),
        ("6", label(app, "E-mail")),
    }, _error_cells(html)
    confirm(admin, url)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_only_the_administrator_imports_users(app, client):
    head = signed_in(app, client, "head")
    assert head.get("/admin/users/import/").status_code == 403
    assert head.get("/admin/users/import/template.xlsx").status_code == 403
    client.get("/logout")
    admin = signed_in(app, client, "admin")
    assert 'id="import-link"' in admin.get("/admin/users/").get_data(as_text=True)
