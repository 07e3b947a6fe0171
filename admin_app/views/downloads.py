"""My downloads: the files background jobs made for the signed-in user, with their progress.

Each user sees only their own; anybody else's answers 404, as if it did not exist."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, abort, jsonify, stream_with_context, url_for
from flask_admin import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import undefer

from models import Download, DownloadStatus, db, purge_expired
from models.downloads import file_chunks, in_chunks

from ..access_rules import logs_access, shows_no_person
from ..background import LIVE
from ..registers.base import SecuredMixin


def own(download_id: int, *, with_file: bool = False) -> Download:
    """The signed-in user's download, or 404."""
    query = sa.select(Download).where(Download.id == download_id, Download.owner_id == current_user.id)
    if with_file:
        query = query.options(undefer(Download.file))
    download = db.session.scalar(query)
    if download is None:
        abort(404)
    return download


def local(moment: datetime) -> str:
    """A stored (UTC) time as the office reads it."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Tallinn")).strftime("%d.%m.%Y %H:%M")


def state(download: Download) -> dict:
    """What the progress bar shows, as the status endpoint sends it."""
    live = LIVE.get(download.id)
    if live is not None and download.status == DownloadStatus.RUNNING:
        download.rows_done = live
    done = download.status == DownloadStatus.DONE
    return {
        "status": download.status,
        "status_label": str(DownloadStatus(download.status)),
        "rows_done": download.rows_done,
        "rows_total": download.rows_total,
        "percent": download.percent,
        "seconds_left": download.seconds_left(),
        "error": download.error,
        "message": download.message,
        # A refused job (nothing saved) still leads on, e.g. to the preview built again.
        "result_url": download.result_url if done or download.status == DownloadStatus.FAILED else None,
        "file_url": url_for("downloads.file", download_id=download.id) if done and _has_file(download) else None,
    }


def _has_file(download: Download) -> bool:
    """An export always has a file; another job only when it wrote one (its size is kept)."""
    return download.kind == "export" or download.size is not None


class DownloadsView(SecuredMixin, BaseView):
    read_roles = ("head", "case_manager", "accountant", "registrar")

    @shows_no_person
    @expose("/")
    def index(self):
        purge_expired()
        downloads = db.session.scalars(
            sa.select(Download).where(Download.owner_id == current_user.id).order_by(Download.created_at.desc())
        ).all()
        return self.render("admin/downloads.html", downloads=downloads, state=state, local=local)

    @shows_no_person
    @expose("/<int:download_id>/")
    def progress(self, download_id: int):
        download = own(download_id)
        return self.render("admin/download_progress.html", download=download, state=state(download))

    @shows_no_person
    @expose("/<int:download_id>/status")
    def status(self, download_id: int):
        response = jsonify(state(own(download_id)))
        response.headers["Cache-Control"] = "no-store"
        return response

    @logs_access
    @expose("/<int:download_id>/file")
    def file(self, download_id: int):
        download = own(download_id)
        if download.status != DownloadStatus.DONE or not _has_file(download):
            abort(404)
        headers = {"Content-Disposition": f'attachment; filename="{download.file_name}"'}
        if download.size is not None:
            headers["Content-Length"] = str(download.size)
        if not in_chunks(download.id):  # made before downloads were kept in chunks
            whole = own(download_id, with_file=True).file
            if whole is None:
                abort(404)
            return Response(whole, mimetype=download.mimetype, headers=headers)
        # Sent piece by piece, each read when the last is sent: one chunk in memory at a time.
        body = stream_with_context(file_chunks(download.id))
        return Response(body, mimetype=download.mimetype, headers=headers)


def register(admin) -> None:
    admin.add_view(DownloadsView(name=_l("My downloads"), endpoint="downloads", url="downloads"))
