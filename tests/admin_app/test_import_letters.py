"""Import into the letter register: matched by registration number, exported letters import back
unchanged (restricted ones too, for a user who sees "AK"), the form's rules give the row errors, the
registrar sets no answering fields, and the next letter registered in the form gets a new number."""

from datetime import date

import pytest
import sqlalchemy as sa

from models import AuditEvent, Letter, db
from tests.admin_app.helpers import shown, signed_in
from tests.admin_app.test_import import _error_cells, confirm, expect, label, preview_page, summary, upload, xlsx
from tests.conftest import count, create_letter


@pytest.mark.parametrize("export_type", ["xlsx", "csv"])
@pytest.mark.parametrize("role", ["head", "registrar"])
def test_exported_letters_import_back_unchanged(app, client, export_type, role):
    with app.app_context():
        create_letter(subject="=Taotlus", sender_name="-Mari")
        create_letter(kind="information", registered_on=date(2026, 10, 2))
        create_letter(private_life=True, subject="Tervis", summary="salajane")  # restricted: "AK" to the registrar
    user = signed_in(app, client, role)
    exported = user.get(f"/admin/letters/export/{export_type}/")
    assert exported.status_code == 200
    _, html = preview_page(user, upload(user, "letters", exported.get_data(), f"eksport.{export_type}"))
    assert summary(app, html) == expect(app, unchanged=3), _error_cells(html) or html[:3000]


def test_letters_move_in_with_their_numbers_and_the_form_numbers_on_after_them(app, client):
    head = signed_in(app, client, "head")
    headings = [
        label(app, h)
        for h in ("Registration number", "Received", "Registered", "Kind", "Sender", "Subject of the letter", "Status")
    ]
    rows = [
        ["7-1/2026/41", "01.10.2026", date(2026, 10, 1), "Märgukiri", "Mari Maasikas", "Trepp on katki", None],
        ["VANA-12", "02.10.2026", "02.10.2026", "memorandum", "Jüri", "Valgustus", "Registreeritud"],
    ]
    url, html = preview_page(head, upload(head, "letters", xlsx(headings, rows)))
    assert summary(app, html) == expect(app, new=2), _error_cells(html)
    confirm(head, url)
    with app.app_context():
        letters = db.session.scalars(sa.select(Letter).order_by(Letter.id)).all()
        assert [(x.number, x.subject, x.status) for x in letters] == [
            ("7-1/2026/41", "Trepp on katki", "registered"),
            ("VANA-12", "Valgustus", "registered"),
        ]
        assert letters[0].due_on is not None, "the deadline is computed as the form computes it"
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.table_name == "letter")).first()
        assert event.url == shown(app, "imported from %(file)s", file="fail.xlsx")
        # The next letter registered gets a number after the imported ones.
        assert create_letter(registered_on=date(2026, 10, 3)).number == "7-1/2026/42"


def test_letter_rows_get_the_forms_messages_and_nothing_is_saved(app, client):
    with app.app_context():
        number = create_letter(subject="Vana").number
    head = signed_in(app, client, "head")
    headings = [
        label(app, h)
        for h in ("Registration number", "Received", "Registered", "Kind", "Subject of the letter", "Status")
    ]
    rows = [
        [number, "01.10.2026", "01.10.2026", "memorandum", "Uus teema", None],  # row 2: an update, fine
        ["A-1", "05.10.2026", "04.10.2026", "memorandum", "Teema", None],  # 3: registered before received
        ["A-2", "01.10.2026", "01.10.2026", "memorandum", "   ", None],  # 4: no subject
        ["A-3", "01.10.2026", "01.10.2026", "Kiri", "Teema", None],  # 5: no such kind
        ["A-4", "01.10.2026", "01.10.2026", "memorandum", "Teema", "Answered"],  # 6: answered without an answer
        ["A-5", None, "01.10.2026", "memorandum", "Teema", None],  # 7: no day received
    ]
    url, html = preview_page(head, upload(head, "letters", xlsx(headings, rows)))
    assert {(r, h) for r, h, _ in _error_cells(html)} >= {
        ("3", label(app, "Registered")),
        ("4", label(app, "Subject of the letter")),
        ("5", label(app, "Kind")),
        ("6", label(app, "Answered on")),
        ("7", label(app, "Received")),
    }, _error_cells(html)
    assert {r for r, _, _ in _error_cells(html)} == {"3", "4", "5", "6", "7"}
    assert shown(app, "A letter cannot be registered before it was received.") in html
    confirm(head, url)
    with app.app_context():
        assert count(app, Letter) == 1
        assert db.session.scalar(sa.select(Letter.subject)) == "Vana"


def test_the_registrar_sets_no_answering_fields_and_no_hidden_content(app, client):
    with app.app_context():
        open_letter = create_letter().number
        hidden = create_letter(private_life=True, subject="Tervis").number
    registrar = signed_in(app, client, "registrar")
    assert 'id="import-link"' in registrar.get("/admin/letters/").get_data(as_text=True)
    headings = [label(app, h) for h in ("Registration number", "Sender", "Outgoing number")]
    rows = [
        [open_letter, None, "V-1"],  # an answering field
        [hidden, "Muu saatja", None],  # the content of a letter they may not read
    ]
    url, html = preview_page(registrar, upload(registrar, "letters", xlsx(headings, rows)))
    assert {(r, h) for r, h, _ in _error_cells(html)} == {
        ("2", label(app, "Outgoing number")),
        ("3", label(app, "Sender")),
    }, _error_cells(html)
    confirm(registrar, url)
    with app.app_context():
        assert db.session.scalar(sa.select(Letter.sender_name).where(Letter.number == hidden)) != "Muu saatja"
