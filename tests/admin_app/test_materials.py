"""The information-material register (/admin/materials/): the attached file is checked by its
content and size, kept in the database with its record (nothing on the app's disk), served only as an
attachment to those who may read the register, and never left behind when nothing was saved."""

import hashlib
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from models import Material, StoredFile, User, db
from models.files import simple_pdf
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    delete,
    filter_arg,
    form_values,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
)
from tests.conftest import count, create_client, csrf_token, fetch

pytestmark = TUPLE_CHOICES

URL = "/admin/materials/"
TODAY = date.today()


def real_pdf(text: str = "Infoleht") -> bytes:
    """A small, well-formed one-page PDF (the demo's own maker, ``models.files.simple_pdf``)."""
    return simple_pdf(text)


def office(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


DOCX = office({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


def uploads(app) -> set[int]:
    """The ids of the files kept in the database."""
    with app.app_context():
        db.session.remove()
        return set(db.session.scalars(sa.select(StoredFile.id)))


def stored(app, document_id: int) -> StoredFile:
    """A kept file with its content loaded, detached."""
    with app.app_context():
        db.session.remove()
        found = db.session.get(StoredFile, document_id, options=[sa.orm.undefer(StoredFile.content)])
        db.session.expunge(found)
        return found


def on_disk(app) -> dict:
    """Every file under the instance folder but the SQLite database (and its journal), with its size."""
    return {
        p: p.stat().st_size
        for p in Path(app.instance_path).rglob("*")
        if p.is_file() and not p.name.startswith("test.db")
    }


def fields(**changes) -> dict:
    data = {
        "title": "Infoleht: isikukeskne erihoolekanne",
        "kind": "published",
        "sent_on": f"{TODAY - timedelta(days=3):%d.%m.%Y}",
        "url": "https://rapla.ee/infoleht",
        "note": "Avaldatud valla kodulehel.",
    }
    data.update(changes)
    return data


def send(client, url: str, data: dict, file: tuple[bytes, str] | None = None, *, edit: bool = False):
    """Submit the create (or edit) form with an optional file, as a browser sends a multipart form."""
    if edit:
        values: dict = form_values(page(client, url))
        values.update({k: [v] for k, v in data.items()})
    else:
        values = {**data, "csrf_token": csrf_token(client, url)}
    if file is not None:
        values["file"] = upload(*file)
    return post_multipart(client, url, values)


def upload(content: bytes, name: str) -> FileStorage:
    """A file as a browser sends it: its name and bytes (the type it claims is never trusted)."""
    return FileStorage(io.BytesIO(content), filename=name, content_type="application/octet-stream")


def post_multipart(client, url: str, values: dict):
    # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f'multipart/form-data; boundary="{boundary}"')


def download(client, material_id: int):
    return client.get(f"{URL}download/?id={material_id}")


def tables(app):
    return snapshot(app, Material)


def test_a_real_pdf_is_kept_and_downloaded_unchanged_as_an_attachment(app, manager):
    pdf = real_pdf()
    before, disk = uploads(app), on_disk(app)

    saved(send(manager, URL + "new/", fields(), (pdf, "Infoleht 2026.pdf")))

    material = fetch(app, Material)
    kept = stored(app, material.document_id)
    assert (kept.name, kept.content_type, kept.size, kept.sha256) == (
        "Infoleht 2026.pdf",
        "application/pdf",
        len(pdf),
        hashlib.sha256(pdf).hexdigest(),
    )
    assert kept.content == pdf and kept.created_by_id == material.by_id
    assert uploads(app) - before == {material.document_id}
    assert on_disk(app) == disk, "nothing is written to the app's own disk"
    assert not (Path(app.instance_path) / "uploads").exists()

    response = download(manager, material.id)
    assert response.status_code == 200
    assert response.get_data() == pdf
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Infoleht 2026.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()

    html = page(manager, URL)
    assert f"download/?id={material.id}" in html and "Infoleht 2026.pdf" in html


def test_by_defaults_to_the_signed_in_user(app, manager):
    me = fetch(app, User, User.email == "case-manager@test.ee")
    html = page(manager, URL + "new/")
    assert form_values(html)["by"] == [str(me.id)]
    assert "remove_file" not in form_values(html), "nothing to remove on a new record"

    saved(send(manager, URL + "new/", fields()))

    material = fetch(app, Material)
    assert (material.by_id, material.document_id) == (me.id, None), "a record without a file is fine"


@pytest.mark.parametrize(
    "content, name, content_type",
    [
        (DOCX, "juhend.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (PNG, "plakat.png", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "foto.jpeg", "image/jpeg"),
    ],
    ids=["docx", "png", "jpeg"],
)
def test_other_accepted_types(app, manager, content, name, content_type):
    saved(send(manager, URL + "new/", fields(), (content, name)))

    material = fetch(app, Material)
    kept = stored(app, material.document_id)
    assert (kept.content_type, kept.name) == (content_type, name)
    response = download(manager, material.id)
    assert response.get_data() == content and response.headers["Content-Type"] == content_type
    response.close()


REFUSED = [
    (
        "HTML renamed .pdf",
        HTML,
        "infoleht.pdf",
        "Only PDF, PNG, JPEG and office documents (docx, xlsx, pptx, odt, ods) can be attached.",
    ),
    (
        "a zip renamed .docx",
        office({"a.txt": "x"}),
        "juhend.docx",
        "Only PDF, PNG, JPEG and office documents (docx, xlsx, pptx, odt, ods) can be attached.",
    ),
    ("an empty file", b"", "tyhi.pdf", "The file is empty."),
]


@pytest.mark.parametrize("content, name, message", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_a_file_not_of_an_accepted_type_is_refused_and_nothing_kept(app, manager, content, name, message):
    before, files = tables(app), uploads(app)

    response = send(manager, URL + "new/", fields(), (content, name))

    refused(response, "file", shown(app, message))
    assert tables(app) == before and uploads(app) == files


def test_a_file_over_the_size_limit_is_refused_and_nothing_kept(app, manager, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    big = real_pdf() + b"%" * (1024 * 1024)
    before, files = tables(app), uploads(app)

    response = send(manager, URL + "new/", fields(), (big, "suur.pdf"))

    refused(response, "file", shown(app, "The file is larger than %(mb)s MB.", mb=1))
    assert tables(app) == before and uploads(app) == files


def test_a_request_far_over_the_limit_is_cut_off(app, manager, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    before, files = tables(app), uploads(app)

    response = send(manager, URL + "new/", fields(), (real_pdf() + b"%" * (128 * 1024), "suur.pdf"))

    assert response.status_code == 413
    assert shown(app, "The file is too large") in response.get_data(as_text=True)
    assert tables(app) == before and uploads(app) == files


def test_a_file_name_with_a_path_and_markup_is_sanitised(app, manager):
    saved(send(manager, URL + "new/", fields(), (real_pdf(), "../../evil<script>.pdf")))

    material = fetch(app, Material)
    assert stored(app, material.document_id).name == "evil_script.pdf"
    response = download(manager, material.id)
    assert response.headers["Content-Disposition"] == "attachment; filename=evil_script.pdf"
    response.close()
    assert "<script>" not in page(manager, URL)


def test_estonian_letters_stay_in_the_name_and_a_wrong_extension_is_put_right(app, manager):
    saved(send(manager, URL + "new/", fields(), (real_pdf(), "Infoleht õigustest.exe")))

    material = fetch(app, Material)
    assert stored(app, material.document_id).name == "Infoleht õigustest.exe.pdf"
    response = download(manager, material.id)
    assert "filename*=UTF-8''Infoleht%20%C3%B5igustest.exe.pdf" in response.headers["Content-Disposition"]
    response.close()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": " "}, "title", None),
        ({"sent_on": f"{TODAY + timedelta(days=2):%d.%m.%Y}"}, "sent_on", "This date is in the future."),
        ({"url": "javascript:alert(1)"}, "url", "Give a web address starting with https://."),
    ],
    ids=["no title", "date in the future", "not a web address"],
)
def test_a_bad_record_keeps_no_file(app, manager, changes, field, message):
    before, files = tables(app), uploads(app)

    response = send(manager, URL + "new/", fields(**changes), (real_pdf(), "infoleht.pdf"))

    refused(response, field, message and shown(app, message))
    assert tables(app) == before and uploads(app) == files


def test_replacing_the_file_removes_the_old_one(app, manager):
    saved(send(manager, URL + "new/", fields(), (real_pdf("vana"), "vana.pdf")))
    old = fetch(app, Material)
    url = f"{URL}edit/?id={old.id}"
    assert "vana.pdf" in page(manager, url), "the edit form names the file attached"

    saved(send(manager, url, {"note": "Uuendatud"}, (DOCX, "uus.docx"), edit=True))

    new = fetch(app, Material)
    assert (stored(app, new.document_id).name, new.note) == ("uus.docx", "Uuendatud")
    assert uploads(app) == {new.document_id}, "the replaced file is deleted with the change"
    response = download(manager, new.id)
    assert response.get_data() == DOCX
    response.close()


def test_a_refused_replacement_keeps_the_old_file(app, manager):
    pdf = real_pdf("vana")
    saved(send(manager, URL + "new/", fields(), (pdf, "vana.pdf")))
    material = fetch(app, Material)
    before, files = tables(app), uploads(app)

    response = send(manager, f"{URL}edit/?id={material.id}", {"title": "Muudetud"}, (HTML, "uus.pdf"), edit=True)

    refused(response, "file")
    assert tables(app) == before and uploads(app) == files
    response = download(manager, material.id)
    assert response.get_data() == pdf
    response.close()


def test_editing_without_a_file_keeps_it_and_removing_it_deletes_it(app, manager):
    saved(send(manager, URL + "new/", fields(), (real_pdf(), "infoleht.pdf")))
    material = fetch(app, Material)
    url = f"{URL}edit/?id={material.id}"

    saved(send(manager, url, {"title": "Uus pealkiri"}, edit=True))
    assert fetch(app, Material).document_id == material.document_id
    assert uploads(app) == {material.document_id}

    saved(send(manager, url, {"remove_file": "y"}, edit=True))
    kept = fetch(app, Material)
    assert (kept.title, kept.document_id) == ("Uus pealkiri", None)
    assert uploads(app) == set()
    assert download(manager, material.id).status_code == 404


def test_deleting_the_record_deletes_its_file(app, manager):
    saved(send(manager, URL + "new/", fields(), (real_pdf(), "infoleht.pdf")))
    material = fetch(app, Material)

    delete(manager, URL, material.id)

    assert count(app, Material) == 0 and uploads(app) == set()


def test_deleting_selected_records_deletes_their_files(app, manager):
    saved(send(manager, URL + "new/", fields(title="Esimene"), (real_pdf(), "a.pdf")))
    saved(send(manager, URL + "new/", fields(title="Teine"), (PNG, "b.png")))
    assert len(uploads(app)) == 2
    ids = [str(fetch(app, Material, Material.title == t).id) for t in ("Esimene", "Teine")]

    data = {"action": "delete", "rowid": ids, "csrf_token": csrf_token(manager, URL)}
    assert manager.post(URL + "action/", data=data).status_code == 302

    assert count(app, Material) == 0 and uploads(app) == set()


def test_search_and_filter(app, manager):
    saved(send(manager, URL + "new/", fields(title="Infoleht osalejatele")))
    saved(send(manager, URL + "new/", fields(title="Aruanne SKA-le", kind="forwarded_to_ska", note="Kvartaliaruanne")))

    html = page(manager, URL + "?search=kvartali")
    assert "Aruanne SKA-le" in html and "Infoleht osalejatele" not in html
    html = page(manager, URL + "?" + filter_arg(app, "materials", "Kind", "FilterEqual") + "=forwarded_to_ska")
    assert "Aruanne SKA-le" in html and "Infoleht osalejatele" not in html


def test_download_of_a_missing_record_is_not_found(app, manager):
    assert download(manager, 999).status_code == 404
    assert manager.get(URL + "download/?id=x").status_code == 404


@pytest.mark.parametrize("role", ["head", "case_manager"])
def test_head_and_case_manager_read_write_and_download(app, client, role):
    signed_in(app, client, role)
    saved(send(client, URL + "new/", fields(), (real_pdf(), "infoleht.pdf")))
    material = fetch(app, Material)
    page(client, URL)
    page(client, f"{URL}details/?id={material.id}")
    saved(send(client, f"{URL}edit/?id={material.id}", {"title": "Muudetud"}, edit=True))
    response = download(client, material.id)
    assert response.status_code == 200
    response.close()


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_accountant_and_registrar_are_refused_also_the_download(app, client, role):
    make(app, create_client)  # unrelated data, so the register is not simply empty
    signed_in(app, client, "case_manager")
    saved(send(client, URL + "new/", fields(), (real_pdf(), "infoleht.pdf")))
    material = fetch(app, Material)
    before, files = tables(app), uploads(app)

    other = signed_in(app, app.test_client(), role)
    for url in (URL, URL + "new/", f"{URL}details/?id={material.id}", f"{URL}edit/?id={material.id}"):
        assert other.get(url).status_code == 403, url
    assert download(other, material.id).status_code == 403
    token = csrf_token(other, "/admin/")
    assert other.post(URL + "delete/", data={"id": str(material.id), "csrf_token": token}).status_code == 403
    response = post_multipart(
        other, URL + "new/", {**fields(), "csrf_token": token, "file": upload(real_pdf(), "x.pdf")}
    )
    assert response.status_code == 403
    assert tables(app) == before and uploads(app) == files
