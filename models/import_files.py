"""A file uploaded for import and its preview, kept between the upload and the confirm.

They are kept in the database, not on the web server's disk, so that the preview and the confirm may
run in different processes or on different machines: a big file's preview and save run as background
jobs on a worker (admin_app/registers/import_jobs.py). The file is kept in pieces (at most one in
memory) and the preview as JSON; both go a day after the upload, or when the import is saved.

This is scratch storage, not a register: it is written with plain statements on the session's
connection, so the audit trail does not copy the preview into itself. The records an import saves
are audited as any form's."""

import secrets
from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import db, utcnow
from .downloads import keep_until

CHUNK_BYTES = 1 << 20


class ImportFile(db.Model):
    __tablename__ = "import_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The preview's address: unguessable, and only its owner's in any case.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The register's view (its endpoint) the file is imported into.
    register: Mapped[str] = mapped_column(sa.String(80))
    file_name: Mapped[str] = mapped_column(sa.String(200))
    #: Rows of the file, counted cheaply at the upload (headings included): decides the background.
    rows_total: Mapped[int] = mapped_column(default=0)
    #: The preview (``result_json``); empty while a background job builds it.
    result: Mapped[dict | None] = mapped_column(sa.JSON, deferred=True)
    #: The background job working on it last (its preview or its save), if any.
    download_id: Mapped[int | None] = mapped_column(sa.ForeignKey("download.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ImportFileChunk(db.Model):
    """One piece of an uploaded file, in order."""

    __tablename__ = "import_file_chunk"

    import_file_id: Mapped[int] = mapped_column(sa.ForeignKey("import_file.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


def _conn():
    return db.session.connection()


def keep_upload(handle, *, owner_id: int, register: str, file_name: str, rows_total: int, hours: int) -> ImportFile:
    """Keep the file open in ``handle`` (binary) for ``owner_id``'s import into ``register``; committed."""
    purge_expired_imports()
    token = secrets.token_urlsafe(24)
    values = dict(
        token=token,
        owner_id=owner_id,
        register=register,
        file_name=file_name[:200],
        rows_total=rows_total,
        created_at=utcnow(),
        expires_at=keep_until(hours),
    )
    import_id = _conn().execute(sa.insert(ImportFile).values(**values).returning(ImportFile.id)).scalar_one()
    number = 0
    while data := handle.read(CHUNK_BYTES):
        _conn().execute(sa.insert(ImportFileChunk).values(import_file_id=import_id, number=number, data=data))
        number += 1
    db.session.commit()
    return db.session.get(ImportFile, import_id)


def find(token: str) -> ImportFile | None:
    return db.session.scalar(sa.select(ImportFile).where(ImportFile.token == token))


def write_file(import_id: int, path) -> None:
    """Write the kept file to ``path``, one piece at a time."""
    with open(path, "wb") as handle:
        number = 0
        while True:
            where = ImportFileChunk.import_file_id == import_id, ImportFileChunk.number == number
            data = db.session.scalar(sa.select(ImportFileChunk.data).where(*where))
            if data is None:
                return
            handle.write(data)
            number += 1


def set_result(import_id: int, result, *, download_id: int | None = None) -> None:
    """Keep ``result`` as the preview of ``import_id`` (None: being built again); committed."""
    values = {"result": None if result is None else result_json(result)}
    if download_id is not None:
        values["download_id"] = download_id
    _conn().execute(sa.update(ImportFile).where(ImportFile.id == import_id).values(**values))
    db.session.commit()
    db.session.expire_all()


def set_job(import_id: int, download_id: int) -> None:
    _conn().execute(sa.update(ImportFile).where(ImportFile.id == import_id).values(download_id=download_id))
    db.session.commit()


def stored_result(import_file: ImportFile):
    data = import_file.result
    return None if data is None else result_from(data)


def forget(import_id: int) -> None:
    """The import was saved (or its file could not be read): its file and preview go; committed."""
    _conn().execute(sa.delete(ImportFileChunk).where(ImportFileChunk.import_file_id == import_id))
    _conn().execute(sa.delete(ImportFile).where(ImportFile.id == import_id))
    db.session.commit()


def purge_expired_imports(now: datetime | None = None) -> int:
    """Delete the uploads nobody confirmed in time (file and preview); how many. Not committed."""
    expired = sa.select(ImportFile.id).where(ImportFile.expires_at <= (now or utcnow()))
    _conn().execute(sa.delete(ImportFileChunk).where(ImportFileChunk.import_file_id.in_(expired)))
    return _conn().execute(sa.delete(ImportFile).where(ImportFile.expires_at <= (now or utcnow()))).rowcount


def result_json(result) -> dict:
    """A ``models.importing.Result`` as JSON."""
    return {
        "headings": [None if h is None else str(h) for h in result.headings],
        "counts": dict(result.counts),
        "rows": [vars(r) | {"record": None} for r in result.rows],
        "plan": result.plan,
        "ignored": result.ignored_headings,
        "stale": result.stale,
    }


def result_from(data: dict):
    from .importing.engine import Result, RowOutcome

    result = Result(headings=data["headings"], counts=Counter(data["counts"]), plan=data["plan"])
    result.rows = [RowOutcome(**row) for row in data["rows"]]
    result.ignored_headings, result.stale = data["ignored"], data["stale"]
    return result
