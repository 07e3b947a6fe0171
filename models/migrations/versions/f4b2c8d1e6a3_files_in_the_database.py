"""files in the database: materials' and letters' files move from instance/uploads/ into stored_file

Revision ID: f4b2c8d1e6a3
Revises: f4b2c8d1e6a9
Create Date: 2026-11-30 03:20:00

The app keeps no state on its own disk (issue 7 item 5): every kept file becomes a row of
``stored_file`` referred to by its record. Files already under the instance folder are read into it;
a file that is missing there becomes a note on its record (and a warning in the log), not a failure.
The files on disk are left where they were: delete ``instance/uploads/`` once the move is checked.
"""

import hashlib
import logging
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "f4b2c8d1e6a3"
down_revision = "f4b2c8d1e6a9"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
#: A generated name: never a path (a row cannot make the migration read outside the folder).
STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z]{3,4}")

stored_file = sa.table(
    "stored_file",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("content_type", sa.String),
    sa.column("size", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("content", sa.LargeBinary),
    sa.column("created_at", sa.DateTime),
    sa.column("created_by_id", sa.Integer),
)
material = sa.table(
    "material",
    sa.column("id", sa.Integer),
    sa.column("by_id", sa.Integer),
    sa.column("note", sa.Text),
    sa.column("file_name", sa.String),
    sa.column("stored_name", sa.String),
    sa.column("content_type", sa.String),
    sa.column("size", sa.Integer),
    sa.column("document_id", sa.Integer),
)
letter = sa.table(
    "letter",
    sa.column("id", sa.Integer),
    sa.column("note", sa.Text),
    sa.column("answer_file_name", sa.String),
    sa.column("answer_stored_name", sa.String),
    sa.column("answer_content_type", sa.String),
    sa.column("answer_size", sa.Integer),
    sa.column("answer_document_id", sa.Integer),
)
attachment = sa.table(
    "letter_attachment",
    sa.column("id", sa.Integer),
    sa.column("letter_id", sa.Integer),
    sa.column("file_name", sa.String),
    sa.column("stored_name", sa.String),
    sa.column("content_type", sa.String),
    sa.column("size", sa.Integer),
    sa.column("document_id", sa.Integer),
)


def _uploads() -> Path:
    return Path(current_app.instance_path) / "uploads"


def _read(folder: Path, stored_name: str | None) -> bytes | None:
    if not stored_name or not STORED_NAME.fullmatch(stored_name):
        return None
    path = folder / stored_name
    return path.read_bytes() if path.is_file() else None


def _keep(conn, data: bytes, name: str, content_type: str, by_id: int | None = None) -> int:
    return conn.execute(
        sa.insert(stored_file)
        .values(
            name=(name or "file")[:200],
            content_type=content_type or "application/octet-stream",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content=data,
            created_at=datetime.now(UTC).replace(tzinfo=None),
            created_by_id=by_id,
        )
        .returning(stored_file.c.id)
    ).scalar_one()


def _missing(name: str | None, stored_name: str | None) -> str:
    return (
        f"Faili «{name}» ei leitud, kui failid andmebaasi viidi; see tuleb uuesti lisada. "
        f"(The file «{name}», kept as {stored_name}, was missing when files moved into the database.)"
    )


def _add_note(conn, table, row_id: int, note: str | None, text: str) -> None:
    conn.execute(
        sa.update(table).where(table.c.id == row_id).values(note=f"{note}\n\n{text}" if note else text)
    )


def _move_files(conn) -> None:
    folder = _uploads()
    letters = folder / "letters"
    moved = missing = 0
    for row in conn.execute(sa.select(material).where(material.c.stored_name.is_not(None))).all():
        data = _read(folder, row.stored_name)
        if data is None:
            missing += 1
            log.warning("material %s: file %s not found under %s", row.id, row.stored_name, folder)
            _add_note(conn, material, row.id, row.note, _missing(row.file_name, row.stored_name))
            continue
        document = _keep(conn, data, row.file_name, row.content_type, row.by_id)
        conn.execute(sa.update(material).where(material.c.id == row.id).values(document_id=document))
        moved += 1
    notes = {}
    for row in conn.execute(sa.select(letter).where(letter.c.answer_stored_name.is_not(None))).all():
        data = _read(letters, row.answer_stored_name)
        if data is None:
            missing += 1
            log.warning("letter %s: answer file %s not found under %s", row.id, row.answer_stored_name, letters)
            notes.setdefault(row.id, []).append(_missing(row.answer_file_name, row.answer_stored_name))
            continue
        document = _keep(conn, data, row.answer_file_name, row.answer_content_type)
        conn.execute(sa.update(letter).where(letter.c.id == row.id).values(answer_document_id=document))
        moved += 1
    for row in conn.execute(sa.select(attachment)).all():
        data = _read(letters, row.stored_name)
        if data is None:
            # An attachment row without its file cannot be served: the letter's note says what was lost.
            missing += 1
            log.warning("letter %s: attachment %s not found under %s", row.letter_id, row.stored_name, letters)
            notes.setdefault(row.letter_id, []).append(_missing(row.file_name, row.stored_name))
            conn.execute(sa.delete(attachment).where(attachment.c.id == row.id))
            continue
        document = _keep(conn, data, row.file_name, row.content_type)
        conn.execute(sa.update(attachment).where(attachment.c.id == row.id).values(document_id=document))
        moved += 1
    for letter_id, texts in notes.items():
        note = conn.execute(sa.select(letter.c.note).where(letter.c.id == letter_id)).scalar()
        _add_note(conn, letter, letter_id, note, "\n\n".join(texts))
    if moved or missing:
        log.info("moved %s files from %s into the database; %s missing (noted on their records)", moved, folder, missing)


def upgrade():
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_stored_file_created_by_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
    )
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_file_created_by_id"), ["created_by_id"], unique=False)
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_document_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("letter_attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))

    _move_files(op.get_bind())

    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_material_stored_name"), type_="unique")
        batch_op.drop_column("file_name")
        batch_op.drop_column("stored_name")
        batch_op.drop_column("content_type")
        batch_op.drop_column("size")
        batch_op.create_index(batch_op.f("ix_material_document_id"), ["document_id"], unique=True)
        batch_op.create_foreign_key(batch_op.f("fk_material_document_id_stored_file"), "stored_file", ["document_id"], ["id"])
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_letter_answer_stored_name"), type_="unique")
        batch_op.drop_column("answer_file_name")
        batch_op.drop_column("answer_stored_name")
        batch_op.drop_column("answer_content_type")
        batch_op.drop_column("answer_size")
        batch_op.create_index(batch_op.f("ix_letter_answer_document_id"), ["answer_document_id"], unique=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_letter_answer_document_id_stored_file"), "stored_file", ["answer_document_id"], ["id"]
        )
    with op.batch_alter_table("letter_attachment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_letter_attachment_stored_name"), type_="unique")
        batch_op.drop_column("file_name")
        batch_op.drop_column("stored_name")
        batch_op.drop_column("content_type")
        batch_op.drop_column("size")
        batch_op.alter_column("document_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_letter_attachment_document_id"), ["document_id"], unique=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_letter_attachment_document_id_stored_file"), "stored_file", ["document_id"], ["id"]
        )


def _write_back(conn, folder: Path, document_id: int) -> tuple[str, dict]:
    """Write a stored file back under ``folder`` by a generated name: (stored name, its columns)."""
    row = conn.execute(sa.select(stored_file).where(stored_file.c.id == document_id)).one()
    extension = Path(row.name).suffix.lower() if re.fullmatch(r"\.[a-z]{3,4}", Path(row.name).suffix.lower()) else ".bin"
    stored = f"{uuid.uuid4().hex}{extension}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(row.content)
    return stored, {"file_name": row.name, "content_type": row.content_type, "size": row.size}


def downgrade():
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("stored_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("content_type", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_file_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("answer_stored_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("answer_content_type", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("answer_size", sa.Integer(), nullable=True))
    with op.batch_alter_table("letter_attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("stored_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("content_type", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))

    conn = op.get_bind()
    folder = _uploads()
    for row in conn.execute(sa.select(material.c.id, material.c.document_id).where(material.c.document_id.is_not(None))).all():
        stored, columns = _write_back(conn, folder, row.document_id)
        conn.execute(sa.update(material).where(material.c.id == row.id).values(stored_name=stored, **columns))
    answers = sa.select(letter.c.id, letter.c.answer_document_id).where(letter.c.answer_document_id.is_not(None))
    for row in conn.execute(answers).all():
        stored, columns = _write_back(conn, folder / "letters", row.answer_document_id)
        values = {f"answer_{k}": v for k, v in columns.items()}
        conn.execute(sa.update(letter).where(letter.c.id == row.id).values(answer_stored_name=stored, **values))
    for row in conn.execute(sa.select(attachment.c.id, attachment.c.document_id)).all():
        stored, columns = _write_back(conn, folder / "letters", row.document_id)
        conn.execute(sa.update(attachment).where(attachment.c.id == row.id).values(stored_name=stored, **columns))

    with op.batch_alter_table("letter_attachment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_letter_attachment_document_id_stored_file"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_letter_attachment_document_id"))
        batch_op.drop_column("document_id")
        for name, type_ in (("file_name", sa.String(200)), ("stored_name", sa.String(80)), ("content_type", sa.String(120)), ("size", sa.Integer())):
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_letter_attachment_stored_name"), ["stored_name"])
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_letter_answer_document_id_stored_file"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_letter_answer_document_id"))
        batch_op.drop_column("answer_document_id")
        batch_op.create_unique_constraint(batch_op.f("uq_letter_answer_stored_name"), ["answer_stored_name"])
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_material_document_id_stored_file"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_material_document_id"))
        batch_op.drop_column("document_id")
        batch_op.create_unique_constraint(batch_op.f("uq_material_stored_name"), ["stored_name"])
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_file_created_by_id"))
    op.drop_table("stored_file")
