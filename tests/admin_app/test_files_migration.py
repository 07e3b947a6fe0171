"""The migration that moves files from instance/uploads/ into the database: every file found is kept
byte for byte with its record, a missing one becomes a note on its record (the migration does not
fail), and the old columns go. Run from the revision before, on SQLite and PostgreSQL."""

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from admin_app import create_app
from models import db
from tests.admin_app.test_materials import DOCX, PNG, real_pdf

BEFORE = "f4b2c8d1e6a9"  # the revision before the files migration
PDF = real_pdf("Enne")
NAMES = {"material": "a" * 32 + ".pdf", "answer": "b" * 32 + ".docx", "attachment": "c" * 32 + ".png"}
LOST = "d" * 32 + ".pdf"


@pytest.fixture
def old_app(app, tmp_path, monkeypatch):
    """An app on an empty database of its own (a schema of its own on PostgreSQL), instance in tmp_path."""
    monkeypatch.setenv("JUHTUM_INSTANCE", str(tmp_path))
    if app.config["BACKEND"] == "sqlite":
        other = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
        yield other
    else:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS files_migration CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA files_migration"))
        other = create_app(
            "test",
            SQLALCHEMY_DATABASE_URI=url,
            SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-csearch_path=files_migration,public"}},
        )
        # The tables go into the first schema on the path; the migrations' own bookkeeping too.
        other.extensions["migrate"].configure_args["version_table_schema"] = "files_migration"
        yield other
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA files_migration CASCADE"))
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _old_records(conn) -> dict[str, int]:
    today = date.today()
    ids = {}
    for title, stored in (("Leht", NAMES["material"]), ("Kadunud", LOST)):
        ids[title] = conn.execute(
            sa.text(
                "INSERT INTO material (title, kind, sent_on, note, file_name, stored_name, content_type, size, version)"
                " VALUES (:t, 'published', :d, :n, :f, :s, 'application/pdf', 10, 1) RETURNING id"
            ),
            {
                "t": title,
                "d": today,
                "n": "Vana märkus" if title == "Kadunud" else None,
                "f": f"{title}.pdf",
                "s": stored,
            },
        ).scalar_one()
    ids["letter"] = conn.execute(
        sa.text(
            "INSERT INTO letter (number, received_on, registered_on, kind, sender_kind, subject, status, due_on,"
            " late, private_life, restricted, answer_file_name, answer_stored_name, answer_content_type,"
            " answer_size, version) VALUES ('7-1/1', :d, :d, 'memorandum', 'person', 'Kiri', 'answered', :d,"
            " false, false, false, 'vastus.docx', :s, :c, 10, 1) RETURNING id"
        ),
        {
            "d": today,
            "s": NAMES["answer"],
            "c": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        },
    ).scalar_one()
    for name, stored in (("lisa.png", NAMES["attachment"]), ("kadunud lisa.pdf", "e" * 32 + ".pdf")):
        conn.execute(
            sa.text(
                "INSERT INTO letter_attachment (letter_id, file_name, stored_name, content_type, size)"
                " VALUES (:l, :f, :s, 'image/png', 10)"
            ),
            {"l": ids["letter"], "f": name, "s": stored},
        )
    return ids


def test_files_move_into_the_database_and_a_missing_one_becomes_a_note(old_app, tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "letters").mkdir(parents=True)
    (uploads / NAMES["material"]).write_bytes(PDF)
    (uploads / "letters" / NAMES["answer"]).write_bytes(DOCX)
    (uploads / "letters" / NAMES["attachment"]).write_bytes(PNG)
    with old_app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _old_records(conn)

        upgrade()

        with db.engine.connect() as conn:
            files = {
                r.id: r
                for r in conn.execute(sa.text("SELECT id, name, content_type, size, sha256, content FROM stored_file"))
            }
            material = dict(conn.execute(sa.text("SELECT title, document_id FROM material")).all())
            notes = dict(conn.execute(sa.text("SELECT title, note FROM material")).all())
            answer_id, letter_note = conn.execute(sa.text("SELECT answer_document_id, note FROM letter")).one()
            attachments = conn.execute(sa.text("SELECT document_id FROM letter_attachment")).scalars().all()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("material")}
    assert len(files) == 3
    leaflet = files[material["Leht"]]
    assert (leaflet.name, leaflet.content_type, leaflet.size) == ("Leht.pdf", "application/pdf", len(PDF))
    assert bytes(leaflet.content) == PDF and leaflet.sha256 == hashlib.sha256(PDF).hexdigest()
    assert bytes(files[answer_id].content) == DOCX and files[answer_id].name == "vastus.docx"
    assert [bytes(files[a].content) for a in attachments] == [PNG], "the attachment whose file is gone is dropped"
    assert material["Kadunud"] is None
    assert notes["Kadunud"].startswith("Vana märkus") and "Kadunud.pdf" in notes["Kadunud"]
    assert "ei leitud" in notes["Kadunud"] and "was missing" in notes["Kadunud"]
    assert "kadunud lisa.pdf" in letter_note, "the letter's note names the attachment that was lost"
    assert not {"file_name", "stored_name", "content_type", "size"} & columns
    assert (uploads / NAMES["material"]).exists(), "the old files are left for the operator to remove"


def test_downgrade_writes_the_files_back(old_app, tmp_path):
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / NAMES["material"]).write_bytes(PDF)
    with old_app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _old_records(conn)
        upgrade()
        (tmp_path / "uploads" / NAMES["material"]).unlink()
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT stored_name FROM material WHERE stored_name IS NOT NULL")).scalars()
            stored = list(stored)
            schema = "files_migration" if conn.dialect.name == "postgresql" else None
            tables = sa.inspect(conn).get_table_names(schema=schema)
    assert "stored_file" not in tables
    assert len(stored) == 1 and stored[0] != NAMES["material"], "written back under a new generated name"
    assert (tmp_path / "uploads" / stored[0]).read_bytes() == PDF
