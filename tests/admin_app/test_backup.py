"""``backup FILE`` and ``restore FILE``: the demo database makes the round trip row for row,
on SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""

import pytest
import sqlalchemy as sa

from admin_app.auth import new_user
from models import Client, Letter, LetterAttachment, Material, StoredFile, audit, db
from models.files import stored_file
from models.seed import demo
from tests.admin_app.test_materials import DOCX, PNG, real_pdf
from tests.conftest import KEEP, count, create_client

#: Files kept with the demo records: an information material's, a letter's attachment and answer.
FILES = {"infoleht.pdf": real_pdf("Infoleht"), "lisa.png": PNG, "vastus.docx": DOCX}


def _attach_files() -> None:
    material = db.session.scalars(sa.select(Material).order_by(Material.id)).first()
    material.document = stored_file(FILES["infoleht.pdf"], "infoleht.pdf")
    letter = db.session.scalars(sa.select(Letter).order_by(Letter.id)).first()
    letter.attachments.append(LetterAttachment(document=stored_file(FILES["lisa.png"], "lisa.png")))
    letter.answer_document = stored_file(FILES["vastus.docx"], "vastus.docx")
    db.session.commit()


def _files() -> dict[str, bytes]:
    db.session.remove()
    rows = db.session.execute(sa.select(StoredFile.name, StoredFile.content)).all()
    return {name: bytes(content) for name, content in rows}


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def _run(*args):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return _run


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, read in a fresh session."""
    db.session.remove()
    rows = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return rows


def _wipe() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            audit.wipe(conn, table, *KEEP.get(table.name, ()))


@pytest.fixture
def demo_database(app, tmp_path):
    """The demo municipality loaded; yields every table's rows as they were."""
    with app.app_context():
        demo.load(tmp_path, new_user)
        _attach_files()
        yield _snapshot()


def test_the_demo_database_survives_a_round_trip(app, run, demo_database, tmp_path):
    file = tmp_path / "juhtum.backup"
    result = run("backup", str(file))
    assert result.exit_code == 0, result.output
    assert file.stat().st_size > 0 and file.stat().st_mode & 0o077 == 0, "the copy is for its owner's eyes only"
    with app.app_context():
        _wipe()
    assert count(app, Client) == 0 and count(app, StoredFile) == 0
    result = run("restore", str(file))
    assert result.exit_code == 0, result.output
    with app.app_context():
        after = _snapshot()
    assert sum(len(rows) for rows in demo_database.values()) > 100
    for table, rows in demo_database.items():
        assert after[table] == rows, f"table {table} differs after the round trip"
    with app.app_context():
        files = _files()
    assert FILES.items() <= files.items(), "every kept file comes back byte for byte"
    assert len(files) == len(demo_database["stored_file"]) > len(FILES), "the demo's own documents too"


def test_restore_refuses_to_overwrite_data_without_force(app, run, demo_database, tmp_path):
    file = tmp_path / "juhtum.backup"
    assert run("backup", str(file)).exit_code == 0
    clients = count(app, Client)
    with app.app_context():
        create_client(first_name="Pärast", last_name="Varukoopiat")
    refused = run("restore", str(file))
    assert refused.exit_code != 0 and "--force" in refused.output
    assert count(app, Client) == clients + 1, "nothing was replaced"
    forced = run("restore", "--force", str(file))
    assert forced.exit_code == 0, forced.output
    assert count(app, Client) == clients


def test_backup_does_not_overwrite_a_file_without_force(app, run, tmp_path):
    file = tmp_path / "old.backup"
    file.write_text("an older backup")
    refused = run("backup", str(file))
    assert refused.exit_code != 0 and "--force" in refused.output
    assert file.read_text() == "an older backup"
    assert run("backup", "--force", str(file)).exit_code == 0


def test_restore_refuses_a_file_that_is_no_backup(app, run, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a database")
    result = run("restore", str(file))
    assert result.exit_code != 0 and "not" in result.output and "backup" in result.output
