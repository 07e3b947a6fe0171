"""Work done in the background for one user ("My downloads"): an export too large to stream at once,
or any other job too long for a request (a big import, an invoice's confirmation, mail to thousands).
Its ``kind`` names the job; an export's is ``export``.

The file is kept in the database (a large binary) so that every app server can hand it out; it is
purged a day after it was asked for."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, db, utcnow
from .users import User


class DownloadStatus(Choice):
    QUEUED = "queued", _l("Waiting")
    RUNNING = "running", _l("Being written")
    DONE = "done", _l("Ready")
    FAILED = "failed", _l("Failed")


class Download(db.Model):
    __tablename__ = "download"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    owner: Mapped[User] = relationship()
    #: The job: ``export`` (a list's file) or a kind a module registered (``admin_app.background.job``).
    kind: Mapped[str] = mapped_column(sa.String(40), default="export", server_default="export")
    #: What the job works on (ids, choices), as JSON; an export's is its query string.
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    #: What the job ended with, shown on its page: a sentence, and where to see the result.
    message: Mapped[str | None] = mapped_column(sa.Text)
    result_url: Mapped[str | None] = mapped_column(sa.String(500))
    #: What to make: the register's endpoint, the file type and the list's query string.
    endpoint: Mapped[str] = mapped_column(sa.String(80))
    export_type: Mapped[str] = mapped_column(sa.String(10))
    query_string: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(5))
    title: Mapped[str] = mapped_column(sa.String(200))
    file_name: Mapped[str] = mapped_column(sa.String(200))
    mimetype: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(10), default=DownloadStatus.QUEUED.value)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: The file of a download made before it was kept in chunks (``DownloadChunk``); else empty.
    file: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    size: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime] = mapped_column(index=True)

    @property
    def percent(self) -> int:
        if self.status == DownloadStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    def seconds_left(self, now: datetime | None = None) -> int | None:
        """Time left at the pace so far (None before the first rows are written)."""
        if self.status != DownloadStatus.RUNNING or not self.started_at or not self.rows_done:
            return None
        spent = ((now or utcnow()) - self.started_at).total_seconds()
        return max(0, round(spent / self.rows_done * (self.rows_total - self.rows_done)))


class DownloadChunk(db.Model):
    """One piece of a download's file, in order: the job writes the file piece by piece and the
    download sends it so, so that neither holds a whole 50 MB workbook of a million rows in memory."""

    __tablename__ = "download_chunk"

    download_id: Mapped[int] = mapped_column(sa.ForeignKey("download.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


def store_file(download_id: int, handle, chunk_bytes: int) -> int:
    """Keep the file open in ``handle`` as the chunks of ``download_id``, each committed on its own
    (at most one chunk in memory); the size."""
    size, number = 0, 0
    while data := handle.read(chunk_bytes):
        db.session.execute(sa.insert(DownloadChunk).values(download_id=download_id, number=number, data=data))
        db.session.commit()
        size, number = size + len(data), number + 1
    return size


def in_chunks(download_id: int) -> bool:
    """True when the download's file is kept in chunks (every one made since migration d2a4c6e8f0b1)."""
    return bool(db.session.scalar(sa.select(sa.exists().where(DownloadChunk.download_id == download_id))))


def file_chunks(download_id: int):
    """The file's pieces in order, each read on its own: (bytes, …)."""
    number = 0
    while True:
        chunk = DownloadChunk.download_id == download_id, DownloadChunk.number == number
        data = db.session.scalar(sa.select(DownloadChunk.data).where(*chunk))
        if data is None:
            return
        yield data
        number += 1


def keep_until(hours: int) -> datetime:
    return utcnow() + timedelta(hours=hours)


def purge_expired(now: datetime | None = None) -> int:
    """Delete the downloads past their expiry (file and all); how many."""
    result = db.session.execute(sa.delete(Download).where(Download.expires_at <= (now or utcnow())))
    db.session.commit()
    return result.rowcount
