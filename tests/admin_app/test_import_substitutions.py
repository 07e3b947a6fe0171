"""Import into the substitution register: exported substitutions import back unchanged, a row matches
the substitution of the same two case managers and first day, the form's rules give the row errors,
only the head imports, and a substitution changed after the preview is refused."""

from datetime import date

import pytest
import sqlalchemy as sa

from admin_app.auth import create_user
from models import Substitution, db
from tests.admin_app.helpers import shown, signed_in
from tests.admin_app.test_import import _error_cells, confirm, expect, label, preview_page, summary, upload, xlsx
from tests.conftest import count

HEADINGS = ("Absent case manager", "Stands in", "From", "Until", "Note")


def managers(app) -> tuple[int, int, int]:
    with app.app_context():
        ids = tuple(
            create_user(email, "x" * 16, ["case_manager"], full_name=name).id
            for email, name in (("mari@test.ee", "Mari Maasikas"), ("jyri@test.ee", "Jüri Juurikas"))
        )
        ids += (create_user("kati@test.ee", "x" * 16, ["case_manager"], full_name="Kati Kask").id,)
        db.session.commit()
    return ids


def add(app, absent, substitute, starts_on, ends_on, note=None) -> int:
    with app.app_context():
        record = Substitution(
            absent_id=absent, substitute_id=substitute, starts_on=starts_on, ends_on=ends_on, note=note
        )
        db.session.add(record)
        db.session.commit()
        return record.id


@pytest.mark.parametrize("export_type", ["xlsx", "csv"])
def test_exported_substitutions_import_back_unchanged(app, client, export_type):
    mari, jyri, _ = managers(app)
    add(app, jyri, mari, date(2026, 7, 1), date(2026, 7, 31), "=puhkus")
    add(app, jyri, mari, date(2026, 9, 1), date(2026, 9, 5))
    head = signed_in(app, client, "head")
    exported = head.get(f"/admin/substitutions/export/{export_type}/")
    assert exported.status_code == 200
    _, html = preview_page(head, upload(head, "substitutions", exported.get_data(), f"eksport.{export_type}"))
    assert summary(app, html) == expect(app, unchanged=2), _error_cells(html)


def test_a_name_two_case_managers_share_is_refused(app, client):
    mari, jyri, _ = managers(app)
    with app.app_context():
        create_user("mari2@test.ee", "x" * 16, ["case_manager"], full_name="Mari Maasikas")
        db.session.commit()
    head = signed_in(app, client, "head")
    rows = [["Jüri Juurikas", "Mari Maasikas", "01.07.2026", "31.07.2026", None]]
    url, html = preview_page(head, upload(head, "substitutions", xlsx([label(app, h) for h in HEADINGS], rows)))
    assert [(r, h) for r, h, _ in _error_cells(html)] == [("2", label(app, "Stands in"))]
    assert shown(app, "More than one record is called %(text)s: write its code.", text="Mari Maasikas") in html


def test_substitutions_are_imported_and_updated_by_e_mail_or_name(app, client):
    mari, jyri, kati = managers(app)
    pk = add(app, jyri, kati, date(2026, 7, 1), date(2026, 7, 31), "puhkus")
    head = signed_in(app, client, "head")
    assert 'id="import-link"' in head.get("/admin/substitutions/").get_data(as_text=True)
    rows = [
        ["Jüri Juurikas", "kati@test.ee", date(2026, 7, 1), "15.07.2026", "puhkus"],  # ends earlier
        ["mari@test.ee", "Jüri Juurikas", "01.08.2026", "14.08.2026", None],  # new
    ]
    url, html = preview_page(head, upload(head, "substitutions", xlsx([label(app, h) for h in HEADINGS], rows)))
    assert summary(app, html) == expect(app, new=1, update=1), _error_cells(html)
    assert '<del class="text-muted">31.07.2026</del> → <mark>15.07.2026</mark>' in html
    confirm(head, url)
    with app.app_context():
        assert db.session.get(Substitution, pk).ends_on == date(2026, 7, 15)
        assert count(app, Substitution) == 2


def test_substitution_rows_get_the_forms_messages(app, client):
    mari, jyri, _ = managers(app)
    head = signed_in(app, client, "head")
    rows = [
        ["mari@test.ee", "mari@test.ee", "01.08.2026", "14.08.2026", None],  # row 2: oneself
        ["mari@test.ee", "jyri@test.ee", "01.08.2026", "14.07.2026", None],  # 3: ends before it starts
        ["mari@test.ee", "head@test.ee", "01.08.2026", "14.08.2026", None],  # 4: not a case manager
        ["mari@test.ee", "jyri@test.ee", "01.09.2026", None, None],  # 5: no last day
    ]
    url, html = preview_page(head, upload(head, "substitutions", xlsx([label(app, h) for h in HEADINGS], rows)))
    assert {(r, h) for r, h, _ in _error_cells(html)} == {
        ("2", label(app, "Stands in")),
        ("3", label(app, "Until")),
        ("4", label(app, "Stands in")),
        ("5", label(app, "Until")),
    }, _error_cells(html)
    assert shown(app, "Nobody stands in for themselves.") in html
    confirm(head, url)
    assert count(app, Substitution) == 0


def test_a_substitution_changed_after_the_preview_is_refused(app, client):
    mari, jyri, _ = managers(app)
    pk = add(app, jyri, mari, date(2026, 7, 1), date(2026, 7, 31))
    head = signed_in(app, client, "head")
    rows = [["jyri@test.ee", "mari@test.ee", "01.07.2026", "31.07.2026", "uus märkus"]]
    url, _ = preview_page(head, upload(head, "substitutions", xlsx([label(app, h) for h in HEADINGS], rows)))
    with app.app_context():
        db.session.get(Substitution, pk).ends_on = date(2026, 7, 20)  # the head changes it meanwhile
        db.session.commit()
    confirm(head, url)
    with app.app_context():
        saved = db.session.get(Substitution, pk)
        assert (saved.ends_on, saved.note) == (date(2026, 7, 20), None)


def test_only_the_head_imports_substitutions(app, client):
    manager = signed_in(app, client, "case_manager")
    assert 'id="import-link"' not in manager.get("/admin/substitutions/").get_data(as_text=True)
    assert manager.get("/admin/substitutions/import/").status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Substitution)) == 0
