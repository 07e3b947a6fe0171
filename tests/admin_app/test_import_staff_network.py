"""Import of providers' staff and clients' networks (one row per person), from the providers' and the
clients' lists (the *Import* menu's second choice) and by the command line: matched by provider or
client and the person's name, checked by the provider's and client's rules, saved all or nothing and
audited, a record changed after the preview refused, a case manager kept to their clients."""

import io
import re
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from models import AuditEvent, ImportFile, NetworkMember, ProviderStaff, db, importing
from tests.admin_app.helpers import shown, signed_in
from tests.admin_app.test_import import _error_cells, confirm, expect, label, preview_page, summary, xlsx
from tests.admin_app.test_import_background import background, finished, job_of  # noqa: F401
from tests.conftest import count, create_client, create_provider, csrf_token

STAFF = ("Provider", "Name", "Qualification", "Certificate number", "Certificate valid until")
NETWORK = ("Personal ID code", "Role", "Name", "Relation", "Phone", "E-mail")


def run(app, tmp_path, register, headings, rows, *args):
    path = tmp_path / f"{register}.xlsx"
    path.write_bytes(xlsx([label(app, h) for h in headings], rows))
    return app.test_cli_runner().invoke(args=["import", register, str(path), *args])


def test_staff_are_added_and_updated_by_provider_and_name(app, tmp_path):
    with app.app_context():
        provider = create_provider(name="Tugi OÜ")
        provider.staff.append(ProviderStaff(name="Mari Maasikas", qualification="tegevusterapeut"))
        db.session.commit()
        code = provider.registry_code
    rows = [
        [code, "Mari Maasikas", "tegevusterapeut", "T-1", "31.12.2027"],  # update: a certificate
        ["Tugi OÜ", "Jüri Juurikas", "tugiisik", None, date(2027, 6, 30)],  # new, by the provider's name
        [code, "Kati Kask", None, None, "pole kuupäev"],  # a date that is none
    ]
    result = run(app, tmp_path, "provider_staff", STAFF, rows)
    assert result.exit_code == 1 and expect(app, new=1, update=1, error=1) in result.output
    assert f"row 4, {label(app, 'Certificate valid until')}:" in result.output
    assert count(app, ProviderStaff) == 1, "nothing saved while a row has an error"
    result = run(app, tmp_path, "provider_staff", STAFF, rows[:2])
    assert result.exit_code == 0, result.output
    with app.app_context():
        staff = db.session.scalars(sa.select(ProviderStaff).order_by(ProviderStaff.name)).all()
        assert [(p.provider.name, p.name, p.certificate_number, p.certificate_valid_until) for p in staff] == [
            ("Tugi OÜ", "Jüri Juurikas", None, date(2027, 6, 30)),
            ("Tugi OÜ", "Mari Maasikas", "T-1", date(2027, 12, 31)),
        ]
    # The same file again: unchanged.
    result = run(app, tmp_path, "provider_staff", STAFF, rows[:2], "--dry-run")
    assert expect(app, unchanged=2) in result.output


def test_a_network_is_imported_by_personal_code_and_checked(app, tmp_path):
    with app.app_context():
        person = create_client()
        code = person.personal_code
    rows = [
        [code, "Lähedane", "Mari Maasikas", "ema", "5555 1234", "mari@example.ee"],
        [code[:5] + " " + code[5:], "guardian", "Jüri Juurikas", None, None, None],  # a code with a space
        [code, "Naaber", "Kati Kask", None, None, None],  # no such role
        ["38001010000", "relative", "Keegi", None, None, None],  # no such personal ID code (check digit)
    ]
    result = run(app, tmp_path, "network", NETWORK, rows, "--dry-run")
    assert expect(app, new=2, error=2) in result.output, result.output
    assert f"row 4, {label(app, 'Role')}:" in result.output
    assert f"row 5, {label(app, 'Personal ID code')}:" in result.output
    result = run(app, tmp_path, "network", NETWORK, rows[:2])
    assert result.exit_code == 0, result.output
    with app.app_context():
        members = db.session.scalars(sa.select(NetworkMember).order_by(NetworkMember.name)).all()
        assert [(m.client.personal_code, m.role, m.name) for m in members] == [
            (code, "guardian", "Jüri Juurikas"),
            (code, "relative", "Mari Maasikas"),
        ]


def test_a_network_member_changed_after_the_preview_is_refused(app, tmp_path):
    with app.app_context():
        person = create_client()
        person.network.append(NetworkMember(role="relative", name="Mari Maasikas", phone="1"))
        db.session.commit()
        code, pk = person.personal_code, person.network[0].id
    path = tmp_path / "network.xlsx"
    path.write_bytes(xlsx([label(app, h) for h in NETWORK], [[code, "relative", "Mari Maasikas", None, "2", None]]))
    with app.test_request_context():
        preview = importing.preview("network", path, db.session)
        assert preview.counts["update"] == 1
        db.session.get(NetworkMember, pk).phone = "3"  # someone saves the client form meanwhile
        db.session.commit()
        result = importing.save("network", path, db.session, source="test", plan=preview.plan)
        assert not result.saved and result.stale == [2]
        assert db.session.get(NetworkMember, pk).phone == "3"


# --- From the list screens -------------------------------------------------------------------


def upload_part(app, client, endpoint: str, what: str, rows):
    """Upload ``rows`` of staff or network members, under their headings in the user's language."""
    headings = [label(app, h) for h in (STAFF if what == "provider_staff" else NETWORK)]
    url = f"/admin/{endpoint}/import/?what={what}"
    token = csrf_token(client, url)
    data = {"csrf_token": token, "file": (io.BytesIO(xlsx(headings, rows)), "osad.xlsx")}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_the_providers_list_offers_a_staff_import_with_its_own_template(app, client):
    head = signed_in(app, client, "head")
    menu = head.get("/admin/providers/").get_data(as_text=True)
    assert 'id="import-own"' in menu and 'id="import-provider_staff"' in menu
    assert label(app, "Staff who deliver services") in menu
    page = head.get("/admin/providers/import/?what=provider_staff").get_data(as_text=True)
    assert label(app, "Certificate valid until") in page and label(app, "IBAN") not in page
    template = head.get("/admin/providers/import/template.xlsx?what=provider_staff")
    headings = [c.value for c in next(openpyxl.load_workbook(io.BytesIO(template.get_data())).active.iter_rows())]
    assert headings == [label(app, h) for h in STAFF]
    # A name that is no import of this list is the list's own import, not an error page.
    own = head.get("/admin/providers/import/?what=network").get_data(as_text=True)
    assert label(app, "IBAN") in own


def test_staff_imported_from_the_providers_list_are_saved_and_audited(app, client):
    with app.app_context():
        provider = create_provider(name="Tugi OÜ")
        code = provider.registry_code
    head = signed_in(app, client, "head")
    rows = [[code, "Mari Maasikas", "tegevusterapeut", "T-1", "31.12.2027"], [code, "Kati Kask", None, None, "x"]]
    url, html = preview_page(head, upload_part(app, head, "providers", "provider_staff", rows))
    assert summary(app, html) == expect(app, new=1, error=1)
    assert [(r, h) for r, h, _ in _error_cells(html)] == [("3", label(app, "Certificate valid until"))]
    assert label(app, "Staff who deliver services") in html
    again = re.search(r'id="import-again" href="([^"]+)"', html).group(1)
    assert again.endswith("/admin/providers/import/?what=provider_staff"), "a corrected file goes the same way"
    confirm(head, url)
    assert count(app, ProviderStaff) == 0, "nothing saved while a row has an error"
    url, html = preview_page(head, upload_part(app, head, "providers", "provider_staff", rows[:1]))
    assert summary(app, html) == expect(app, new=1)
    saved = confirm(head, url)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/providers/")
    with app.app_context():
        person = db.session.scalars(sa.select(ProviderStaff)).one()
        assert (person.provider.name, person.name, person.certificate_valid_until) == (
            "Tugi OÜ",
            "Mari Maasikas",
            date(2027, 12, 31),
        )
        entry = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.table_name == "provider_staff", AuditEvent.action == "create")
        ).one()
        assert entry.url == shown(app, "imported from %(file)s", file="osad.xlsx") and entry.actor == "Head"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportFile)) == 1, "the refused one waits"


def test_a_staff_preview_is_not_confirmed_as_a_providers_import(app, client):
    """The kept upload remembers which import it is: another list cannot confirm it."""
    with app.app_context():
        code = create_provider(name="Tugi OÜ").registry_code
    head = signed_in(app, client, "head")
    rows = [[code, "Mari", None, None, None]]
    url, _ = preview_page(head, upload_part(app, head, "providers", "provider_staff", rows))
    token = re.search(r"/import/([^/]+)/$", url).group(1)
    assert head.get(f"/admin/clients/import/{token}/").status_code == 404
    confirm(head, url)
    assert count(app, ProviderStaff) == 1


def test_a_case_manager_imports_the_network_of_their_own_clients_only(app, client):
    manager = signed_in(app, client, "case_manager", "mari@test.ee")
    with app.app_context():
        from admin_app.auth import create_user as make_user
        from models import User

        other = make_user("juri@test.ee", "x" * 16, ["case_manager"], full_name="Jüri Juhtumikorraldaja")
        me = db.session.scalars(sa.select(User).where(User.email == "mari@test.ee")).one()
        mine, theirs = create_client(case_manager=me).personal_code, create_client(case_manager=other).personal_code
    assert 'id="import-network"' in manager.get("/admin/clients/").get_data(as_text=True)
    rows = [
        [mine, "relative", "Mari Maasikas", "ema", None, None],
        [theirs, "relative", "Jüri Juurikas", None, None, None],
    ]
    url, html = preview_page(manager, upload_part(app, manager, "clients", "network", rows))
    assert [(r, h) for r, h, _ in _error_cells(html)] == [("3", label(app, "Personal ID code"))]
    confirm(manager, url)
    assert count(app, NetworkMember) == 0
    url, html = preview_page(manager, upload_part(app, manager, "clients", "network", rows[:1]))
    confirm(manager, url)
    with app.app_context():
        assert [(m.client.personal_code, m.name) for m in db.session.scalars(sa.select(NetworkMember))] == [
            (mine, "Mari Maasikas")
        ]


@pytest.mark.usefixtures("background")
def test_a_big_staff_file_is_previewed_and_saved_in_the_background(app, client):
    with app.app_context():
        code = create_provider(name="Tugi OÜ").registry_code
    head = signed_in(app, client, "head")
    rows = [[code, f"Töötaja {n}", None, None, None] for n in range(4)]
    job = job_of(upload_part(app, head, "providers", "provider_staff", rows))
    url = finished(app, head, job)["result_url"]
    assert summary(app, head.get(url).get_data(as_text=True)) == expect(app, new=4)
    finished(app, head, job_of(confirm(head, url)))
    assert count(app, ProviderStaff) == 4
