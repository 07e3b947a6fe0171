"""The letter register (/admin/letters/): the registrar registers and assigns, the head assigns, a
case manager answers; deadlines are computed and coloured; bad input comes back with a message and
changes nothing; restricted letters show their content only to those who may see it."""

import io
import re
from datetime import date, timedelta
from pathlib import Path

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from admin_app.auth import create_user
from models import Letter, LetterAttachment, StoredFile, User
from models.terms import add_working_days
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    form_values,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    submit,
)
from tests.admin_app.test_materials import real_pdf
from tests.conftest import PASSWORD, count, create_letter, csrf_token, fetch

pytestmark = TUPLE_CHOICES

URL = "/admin/letters/"
TODAY = date.today()


def dmy(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def user_id(app, email: str) -> int:
    return fetch(app, User, User.email == email).id


def letter(app, **values) -> Letter:
    return make(app, create_letter, **values)


def edit(client, pk: int, changes: dict):
    return submit(client, f"{URL}edit/?id={pk}", changes)


def rows(html: str) -> dict[str, str]:
    """The list's rows by registration number: number -> the row's HTML."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        number = re.search(r'<td class="col-number">\s*([^<\s]+)', row)
        if number:
            found[number.group(1)] = row
    return found


def test_registrar_registers_a_letter_with_a_number_and_a_computed_deadline(app, client):
    signed_in(app, client, "registrar")
    form = form_values(page(client, f"{URL}new/"))
    # The registrar registers and assigns: no answers, no extensions, no link to a client's file.
    for field in ("status", "answered_on", "answer_text", "extended_until", "client", "unanswered_ground"):
        assert field not in form
    response = submit(
        client,
        f"{URL}new/",
        {
            "received_on": "30.10.2026",
            "registered_on": "02.11.2026",
            "kind": "memorandum",
            "sender_kind": "person",
            "sender_name": "Jaan Tamm",
            "sender_email": "jaan.tamm@example.ee",
            "subject": "Bussipeatuse varjualune",
            # Posted by hand: a field the registrar does not have is not taken.
            "status": "answered",
            "answered_on": "03.11.2026",
        },
    )
    saved(response)
    stored = fetch(app, Letter, Letter.subject == "Bussipeatuse varjualune")
    assert (stored.number, stored.due_on, stored.status, stored.answered_on) == (
        "7-1/2026/1",
        date(2026, 12, 2),
        "registered",
        None,
    )
    listing = page(client, URL)
    assert "7-1/2026/1" in listing and "02.12.2026" in listing


def test_a_bad_registration_comes_back_with_messages_and_takes_no_number(app, client):
    signed_in(app, client, "registrar")
    response = submit(
        client,
        f"{URL}new/",
        {
            "received_on": "05.11.2026",
            "registered_on": "02.11.2026",
            "kind": "memorandum",
            "sender_kind": "organisation",
            "sender_name": "",
            "subject": "Teede hooldus",
            "sender_email": "pole-aadress",
        },
    )
    refused(response, "registered_on")
    refused(response, "sender_name")
    refused(response, "sender_email")
    assert snapshot(app, Letter)["letter"] == []
    saved(submit(client, f"{URL}new/", {"registered_on": "02.11.2026", "received_on": "02.11.2026", "subject": "X"}))
    assert fetch(app, Letter, Letter.subject == "X").number == "7-1/2026/1"


def test_head_assigns_and_the_case_manager_answers_late_which_stays_recorded(app, client):
    registered = letter(app, registered_on=date(2026, 9, 1))  # due 01.10.2026
    answerer = app.test_client()
    signed_in(app, answerer, "case_manager")
    manager = user_id(app, "case-manager@test.ee")
    signed_in(app, client, "head")
    saved(edit(client, registered.id, {"answerer": str(manager)}))
    assert fetch(app, Letter, Letter.id == registered.id).status == "in_progress"

    before = snapshot(app, Letter)
    incomplete = edit(answerer, registered.id, {"status": "answered"})
    refused(incomplete, "answered_on")
    refused(incomplete, "outgoing_number")
    refused(incomplete, "answer_text")
    assert snapshot(app, Letter) == before

    answer = {
        "status": "answered",
        "answered_on": "05.10.2026",
        "outgoing_number": "7-1/2026/1-2",
        "answer_text": "Vastus",
    }
    saved(edit(answerer, registered.id, answer))
    stored = fetch(app, Letter, Letter.id == registered.id)
    assert (stored.status, stored.late, stored.answered_on) == ("answered", True, date(2026, 10, 5))
    # Moving the answer date afterwards does not wash the lateness away.
    saved(edit(answerer, registered.id, {"answered_on": "30.09.2026"}))
    assert fetch(app, Letter, Letter.id == registered.id).late is True
    assert "badge-danger" in rows(page(answerer, URL))["7-1/2026/1"]


def test_leaving_unanswered_needs_a_ground(app, client):
    registered = letter(app, registered_on=date(2026, 10, 1))
    signed_in(app, client, "case_manager")
    refused(edit(client, registered.id, {"status": "unanswered"}), "unanswered_ground")
    assert fetch(app, Letter, Letter.id == registered.id).status == "registered"
    saved(edit(client, registered.id, {"status": "unanswered", "unanswered_ground": "no_contact"}))
    assert fetch(app, Letter, Letter.id == registered.id).unanswered_ground == "no_contact"


def test_extension_beyond_two_months_is_refused_and_a_reason_alone_extends_to_the_limit(app, client):
    registered = letter(app, registered_on=date(2026, 10, 1))
    signed_in(app, client, "case_manager")
    told = {"extension_reason": "Vajab ekspertiisi", "sender_told_of_extension_on": "20.10.2026"}
    refused(edit(client, registered.id, {"extended_until": "02.12.2026", **told}), "extended_until", "01.12.2026")
    refused(edit(client, registered.id, {"extended_until": "20.11.2026"}), "extension_reason")
    assert fetch(app, Letter, Letter.id == registered.id).due_on == date(2026, 11, 2)
    saved(edit(client, registered.id, told))
    stored = fetch(app, Letter, Letter.id == registered.id)
    assert stored.extended_until == stored.due_on == date(2026, 12, 1)


def test_overdue_and_due_soon_letters_are_coloured(app, client):
    overdue = letter(app, registered_on=TODAY - timedelta(days=45))
    soon = letter(app, registered_on=TODAY, kind="information")  # 5 working days
    later = letter(app, registered_on=TODAY)  # 30 days
    done = letter(
        app,
        registered_on=TODAY - timedelta(days=45),
        status="answered",
        answered_on=TODAY - timedelta(days=40),
        outgoing_number="V-1",
        answer_text="Vastus",
    )
    signed_in(app, client, "registrar")
    listed = rows(page(client, URL))
    assert "letter-due overdue" in listed[overdue.number]
    assert "letter-due due-soon" in listed[soon.number] and dmy(add_working_days(TODAY, 5)) in listed[soon.number]
    assert "letter-due" not in listed[later.number]
    assert "letter-due" not in listed[done.number]


def test_home_page_lists_due_letters_of_the_person_answering_and_all_for_the_head(app, client):
    with app.app_context():
        mine = create_user("kask@test.ee", PASSWORD, ["case_manager"], "Juhan Kask").id
        theirs = create_user("saar@test.ee", PASSWORD, ["case_manager"], "Eva Saar").id
    a = letter(app, registered_on=TODAY - timedelta(days=45), answerer_id=mine)
    b = letter(app, registered_on=TODAY, kind="information", answerer_id=theirs)
    c = letter(app, registered_on=TODAY, answerer_id=mine)  # due in 30 days: not yet

    def listed(html: str) -> set[int]:
        section = html.split('id="letters-due"', 1)[1]
        return {int(x) for x in re.findall(r'class="item[^"]*" data-id="(\d+)"', section)}

    from tests.conftest import sign_in

    assert sign_in(client, "kask@test.ee").status_code == 302
    assert listed(page(client, "/admin/")) == {a.id}
    head = app.test_client()
    signed_in(app, head, "head")
    html = page(head, "/admin/")
    assert listed(html) == {a.id, b.id} and c.id not in listed(html)
    assert "Eva Saar" in html.split('id="letters-due"', 1)[1]


# --- Restricted letters ---------------------------------------------------------------------


SECRET = "Salajanepõdrasõnnik"


def test_private_life_letter_is_restricted_and_hidden_from_the_registrar(app, client):
    manager = app.test_client()
    signed_in(app, manager, "case_manager")
    saved(
        submit(
            manager,
            f"{URL}new/",
            {
                "registered_on": dmy(TODAY),
                "received_on": dmy(TODAY),
                "kind": "explanation",
                "sender_name": f"Mari {SECRET}",
                "subject": f"Toimetulekutoetus {SECRET}",
                "summary": f"Kodune olukord {SECRET}",
                "private_life": "y",
            },
        )
    )
    stored = fetch(app, Letter, Letter.private_life.is_(True))
    assert (stored.restricted, stored.restriction_basis) == (True, "AvTS § 35 lg 1 p 12")
    assert SECRET in page(manager, URL) and SECRET in page(manager, f"{URL}details/?id={stored.id}")

    signed_in(app, client, "registrar")
    for url in (URL, f"{URL}details/?id={stored.id}", f"{URL}edit/?id={stored.id}"):
        html = page(client, url)
        assert SECRET not in html, url
    # Searching for a hidden word does not find the letter (the search box only repeats the word).
    assert stored.number not in page(client, f"{URL}?search={SECRET}")
    assert "AK" in rows(page(client, f"{URL}?search={stored.number}"))[stored.number]
    # The registrar can still assign it, but not lift the restriction; its content stays as it was.
    assert "restricted" not in form_values(page(client, f"{URL}edit/?id={stored.id}"))
    saved(edit(client, stored.id, {"answerer": str(user_id(app, "case-manager@test.ee"))}))
    assert fetch(app, Letter, Letter.id == stored.id).subject == f"Toimetulekutoetus {SECRET}"


def _multipart(client, url: str, changes: dict):
    values = {k: v[0] if len(v) == 1 else v for k, v in form_values(page(client, url)).items()}
    values.update(changes)
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f'multipart/form-data; boundary="{boundary}"')


def _pdf(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(real_pdf("Kiri")), filename=name, content_type="application/pdf")


def test_attachments_and_answer_files_are_kept_and_served_only_to_those_who_may_see_them(app, client):
    open_letter = letter(app, registered_on=TODAY)
    closed = letter(app, registered_on=TODAY, private_life=True)
    signed_in(app, client, "case_manager")
    for pk in (open_letter.id, closed.id):
        saved(_multipart(client, f"{URL}edit/?id={pk}", {"attachment": _pdf("pöördumine.pdf")}))
    refused(
        _multipart(
            client,
            f"{URL}edit/?id={open_letter.id}",
            {"attachment": FileStorage(io.BytesIO(b"MZ\x90\x00"), filename="viirus.exe")},
        ),
        "attachment",
    )
    assert count(app, StoredFile) == 2, "the refused file is not kept"
    assert not (Path(app.instance_path) / "uploads").exists(), "nothing on the app's own disk"
    attachments = {a.letter_id: a.id for a in snapshot_attachments(app)}
    got = client.get(f"{URL}attachment/?id={attachments[open_letter.id]}")
    assert got.status_code == 200 and got.data == real_pdf("Kiri")
    assert "attachment" in got.headers["Content-Disposition"]
    got.close()

    # An answer given as a file needs no text.
    answer = {
        "status": "answered",
        "answered_on": dmy(TODAY),
        "outgoing_number": "V-7",
        "answer_file": _pdf("vastus.pdf"),
    }
    saved(_multipart(client, f"{URL}edit/?id={open_letter.id}", answer))
    assert fetch(app, Letter, Letter.id == open_letter.id).answer_document.name == "vastus.pdf"
    got = client.get(f"{URL}answer-file/?id={open_letter.id}")
    assert got.status_code == 200 and got.data == real_pdf("Kiri")
    assert got.headers["Content-Type"] == "application/pdf" and got.headers["X-Content-Type-Options"] == "nosniff"
    got.close()
    # A new answer file replaces the old one, which goes with the save.
    saved(_multipart(client, f"{URL}edit/?id={open_letter.id}", {"answer_file": _pdf("vastus 2.pdf")}))
    assert fetch(app, Letter, Letter.id == open_letter.id).answer_document.name == "vastus 2.pdf"
    assert count(app, StoredFile) == 3

    registrar = app.test_client()
    signed_in(app, registrar, "registrar")
    seen = registrar.get(f"{URL}attachment/?id={attachments[open_letter.id]}")
    assert seen.status_code == 200
    seen.close()
    # A restricted letter's files are "not found" for the registrar, as if there were none.
    assert registrar.get(f"{URL}attachment/?id={attachments[closed.id]}").status_code == 404
    assert registrar.get(f"{URL}answer-file/?id={closed.id}").status_code == 404
    assert registrar.get(f"{URL}answer-file/?id={open_letter.id}").status_code == 200


def snapshot_attachments(app) -> list[LetterAttachment]:
    from models import db

    with app.app_context():
        db.session.remove()
        found = db.session.query(LetterAttachment).order_by(LetterAttachment.id).all()
        db.session.expunge_all()
        return found


def test_the_registrar_never_sees_which_client_a_letter_concerns(app, client):
    from tests.conftest import create_client

    person = make(app, create_client, first_name="Kristjan", last_name="Tuvikene")
    linked = letter(app, registered_on=TODAY, client_id=person.id, subject="Tugiisiku teenus")
    signed_in(app, client, "registrar")
    html = page(client, f"{URL}details/?id={linked.id}")
    assert "Tugiisiku teenus" in html and "Tuvikene" not in html
    head = app.test_client()
    signed_in(app, head, "head")
    assert "Tuvikene" in page(head, f"{URL}details/?id={linked.id}")


def test_the_registrars_home_page_counts_letters_waiting_for_someone_to_answer(app, client):
    letter(app, registered_on=TODAY)
    letter(app, registered_on=TODAY)
    with app.app_context():
        manager = create_user("kask@test.ee", PASSWORD, ["case_manager"], "Juhan Kask").id
    letter(app, registered_on=TODAY, answerer_id=manager)
    signed_in(app, client, "registrar")
    html = page(client, "/admin/")
    assert shown(app, "Registered letters without a person answering: %(n)s", n=2) in html
    assert 'id="letters-due"' in html and 'class="item' not in html.split('id="letters-due"', 1)[1]


def test_a_removed_attachment_leaves_the_letter_and_the_database(app, client):
    registered = letter(app, registered_on=TODAY)
    signed_in(app, client, "case_manager")
    for name in ("pöördumine.pdf", "lisa.pdf"):
        saved(_multipart(client, f"{URL}edit/?id={registered.id}", {"attachment": _pdf(name)}))
    kept = {a.document.name: a for a in snapshot_attachments(app)}
    assert set(kept) == {"pöördumine.pdf", "lisa.pdf"}
    saved(submit(client, f"{URL}edit/?id={registered.id}", {"remove_attachments": [str(kept["lisa.pdf"].id)]}))
    assert [a.document.name for a in snapshot_attachments(app)] == ["pöördumine.pdf"]
    assert count(app, StoredFile) == 1, "the removed attachment's file is deleted with it"
    assert count(app, StoredFile, StoredFile.id == kept["pöördumine.pdf"].document_id) == 1
    with app.app_context():
        from models import db
        from models.file_owners import orphans

        assert db.session.scalars(orphans()).all() == [], "no file is left without its record"


def test_a_refused_save_keeps_none_of_its_files(app, client):
    registered = letter(app, registered_on=TODAY)
    signed_in(app, client, "case_manager")
    before = snapshot(app, Letter, LetterAttachment, StoredFile)
    # The attachment is fine, but an answered letter without an outgoing number is not.
    response = _multipart(
        client,
        f"{URL}edit/?id={registered.id}",
        {"attachment": _pdf("lisa.pdf"), "status": "answered", "answered_on": dmy(TODAY), "answer_file": _pdf("v.pdf")},
    )
    refused(response, "outgoing_number")
    assert snapshot(app, Letter, LetterAttachment, StoredFile) == before


def test_deleting_an_archived_letter_deletes_its_files_and_archiving_keeps_them(app, client):
    from models import db

    registered = letter(app, registered_on=TODAY)
    signed_in(app, client, "case_manager")
    saved(_multipart(client, f"{URL}edit/?id={registered.id}", {"attachment": _pdf("lisa.pdf")}))
    with app.app_context():
        record = db.session.get(Letter, registered.id)
        record.archive(None, today=TODAY - timedelta(days=366 * 30))
        db.session.commit()
    attachment = snapshot_attachments(app)[0]
    head = signed_in(app, app.test_client(), "head")
    got = head.get(f"{URL}attachment/?id={attachment.id}")
    assert got.status_code == 200 and got.data == real_pdf("Kiri"), "an archived letter keeps its files"
    got.close()
    admin = signed_in(app, app.test_client(), "admin")
    token = csrf_token(admin, f"{URL}details/?id={registered.id}&flt0_archived_on=1")
    admin.post(f"{URL}delete/", data={"id": str(registered.id), "csrf_token": token})
    assert count(app, Letter) == 0 and count(app, LetterAttachment) == 0
    assert count(app, StoredFile) == 0, "the deleted letter's files go with it"


def test_an_export_hides_restricted_subjects_and_senders_from_the_registrar(app, client):
    hidden = letter(app, registered_on=TODAY, private_life=True, sender_name=f"Mari {SECRET}", subject=f"Abi {SECRET}")
    shown_letter = letter(app, registered_on=TODAY, subject="Bussipeatus")
    signed_in(app, client, "registrar")
    exported = client.get(f"{URL}export/csv/")
    assert exported.status_code == 200
    text = exported.get_data(as_text=True)
    exported.close()
    assert hidden.number in text and shown_letter.number in text and "Bussipeatus" in text
    assert SECRET not in text
    head = app.test_client()
    signed_in(app, head, "head")
    full = head.get(f"{URL}export/csv/")
    assert SECRET in full.get_data(as_text=True)
    full.close()
