"""Files kept in the database, not on the app's disk: two app servers (two apps with their own
instance folders on one database) hand out each other's uploads; a file is never served as something
a browser renders; a file kept under an old, looser type goes out as application/octet-stream."""

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from admin_app import create_app
from models import Material, StoredFile, db
from tests.admin_app.helpers import TUPLE_CHOICES, refused, saved, shown, signed_in
from tests.admin_app.test_materials import URL, download, fields, real_pdf, send, tables, uploads
from tests.conftest import fetch

pytestmark = TUPLE_CHOICES

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<html><body onload=alert(document.cookie)>x</body></html>"


@pytest.fixture
def second_server(app, tmp_path, monkeypatch):
    """Another app on the same database with an instance folder of its own (another machine)."""
    monkeypatch.setenv("JUHTUM_INSTANCE", str(tmp_path / "second-instance"))
    other = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    assert other.instance_path != app.instance_path
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_two_app_servers_on_one_database_hand_out_each_others_files(app, client, second_server):
    pdf, other_pdf = real_pdf("Esimene server"), real_pdf("Teine server")
    signed_in(app, client, "case_manager")
    saved(send(client, URL + "new/", fields(title="Esimeses"), (pdf, "esimene.pdf")))
    elsewhere = signed_in(second_server, second_server.test_client(), "head")
    saved(send(elsewhere, URL + "new/", fields(title="Teises"), (other_pdf, "teine.pdf")))

    first = fetch(app, Material, Material.title == "Esimeses")
    second = fetch(app, Material, Material.title == "Teises")
    got = download(elsewhere, first.id)
    assert got.status_code == 200 and got.get_data() == pdf, "the second server serves the first one's upload"
    got.close()
    got = download(client, second.id)
    assert got.status_code == 200 and got.get_data() == other_pdf, "and the other way round"
    got.close()


@pytest.mark.parametrize("content, name", [(SVG, "logo.svg"), (SVG, "logo.png"), (HTML, "leht.html")])
def test_svg_and_html_are_refused_whatever_their_name(app, client, content, name):
    signed_in(app, client, "case_manager")
    before, files = tables(app), uploads(app)
    response = send(client, URL + "new/", fields(), (content, name))
    refused(
        response,
        "file",
        shown(app, "Only PDF, PNG, JPEG and office documents (docx, xlsx, pptx, odt, ods) can be attached."),
    )
    assert tables(app) == before and uploads(app) == files


@pytest.mark.parametrize("kept_as", ["text/html", "image/svg+xml", "text/plain"])
def test_a_file_kept_with_a_type_a_browser_renders_is_served_as_octet_stream(app, client, kept_as):
    """A row written before these checks (e.g. moved in by the migration) with a dangerous type."""
    with app.app_context():
        document = StoredFile(
            name="vana.html",
            content_type=kept_as,
            size=len(HTML),
            sha256=hashlib.sha256(HTML).hexdigest(),
            content=HTML,
        )
        material = Material(title="Vana", kind="published", sent_on=date.today(), document=document)
        db.session.add(material)
        db.session.commit()
        material_id = material.id
    signed_in(app, client, "case_manager")
    got = download(client, material_id)
    assert got.status_code == 200 and got.get_data() == HTML
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    got.close()


def test_lists_never_read_the_files_content(app, client):
    """The content is a deferred column: the list page's statements never select it."""
    signed_in(app, client, "case_manager")
    for n in range(3):
        saved(send(client, URL + "new/", fields(title=f"Leht {n}"), (real_pdf(f"leht {n}"), f"leht{n}.pdf")))
    with app.app_context():
        engine = db.engine
    seen = []

    def _count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", _count)
    try:
        html = client.get(URL).get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", _count)
    assert "leht0.pdf" in html and "leht2.pdf" in html
    assert any("stored_file" in s for s in seen), "the file names are read with the list"
    assert not any("stored_file.content" in s for s in seen), "but never the files themselves"


ROLES = ["admin", "head", "case_manager", "registrar", "accountant"]


def test_every_role_downloads_a_file_only_where_it_may_see_the_record(app):
    """A download answers as its record's details page does (403 for a role the register is closed
    to), and a restricted letter's files are "not found" to those who may not see its content."""
    from tests.admin_app.helpers import make
    from tests.admin_app.test_letters import _multipart, _pdf, snapshot_attachments
    from tests.conftest import create_letter

    letters = "/admin/letters/"
    open_letter = make(app, create_letter, registered_on=date.today())
    closed = make(app, create_letter, registered_on=date.today(), private_life=True)
    writer = signed_in(app, app.test_client(), "head", email="kirjutaja@test.ee")
    saved(send(writer, URL + "new/", fields(), (real_pdf(), "infoleht.pdf")))
    for pk in (open_letter.id, closed.id):
        saved(_multipart(writer, f"{letters}edit/?id={pk}", {"attachment": _pdf("lisa.pdf")}))
    material = fetch(app, Material)
    attachment = {a.letter_id: a.id for a in snapshot_attachments(app)}

    seen = {}
    for role in ROLES:
        browser = signed_in(app, app.test_client(), role)
        urls = {
            "material details": f"{URL}details/?id={material.id}",
            "material file": f"{URL}download/?id={material.id}",
            "letter details": f"{letters}details/?id={open_letter.id}",
            "letter file": f"{letters}attachment/?id={attachment[open_letter.id]}",
            "restricted letter details": f"{letters}details/?id={closed.id}",
            "restricted letter file": f"{letters}attachment/?id={attachment[closed.id]}",
        }
        seen[role] = {name: browser.get(url).status_code for name, url in urls.items()}
    both = {"material details": 200, "material file": 200}
    letters_open = {"letter details": 200, "letter file": 200, "restricted letter details": 200}
    assert seen == {
        "admin": {**both, **letters_open, "restricted letter file": 200},
        "head": {**both, **letters_open, "restricted letter file": 200},
        "case_manager": {**both, **letters_open, "restricted letter file": 200},
        "registrar": {
            "material details": 403,
            "material file": 403,
            **letters_open,
            "restricted letter file": 404,
        },
        "accountant": {
            "material details": 403,
            "material file": 403,
            "letter details": 403,
            "letter file": 403,
            "restricted letter details": 403,
            "restricted letter file": 403,
        },
    }
