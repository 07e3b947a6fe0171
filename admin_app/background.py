"""Long work off the request: an export too large to stream becomes a job that writes the file in the
background, reports its progress every chunk of rows and leaves the file under "My downloads".

Work of other kinds (a big import, an invoice's confirmation, mail to thousands) runs the same way: a
module registers a handler for its ``kind`` with ``@job("kind")`` and starts it with ``start_job``; the
handler runs in a request context of the user who asked (their rights, language and name in the audit)
and says what came of it in a ``JobOutcome``.

With ``REDIS_URL`` set, jobs go to RQ and run on workers (``make worker``), so several app servers share
them; without it, one worker thread in the app's own process runs them in turn."""

import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import force_locale, get_locale, gettext
from flask_login import current_user, login_user

from exports.tabular import CHUNK_ROWS, MIME, Conventions, csv_chunks, write_xlsx
from models import Download, DownloadStatus, db
from models.downloads import keep_until, purge_expired, store_file, utcnow

log = logging.getLogger(__name__)

#: Progress of running jobs on SQLite (one app server): a writer there would wait on the job's own
#: open read, so rows done are kept in memory and the status page reads them from here.
LIVE: dict[int, int] = {}
_lock = threading.Lock()
#: The process an RQ worker was started in; a job in a forked work horse opens its own connections.
_worker_pid: int | None = None


@dataclass
class JobOutcome:
    """What a job did: how many of its rows, a sentence for its page, where its result is, and whether
    it wrote a file (at the path it was given) to keep for download."""

    done: int
    message: str | None = None
    result_url: str | None = None
    has_file: bool = False
    #: The rules said no (e.g. a record changed since the preview): nothing was saved, the job shows as
    #: failed with ``message`` as its reason, and ``result_url`` still leads on (to the rebuilt preview).
    refused: bool = False


#: The handlers of job kinds other than ``export``: ``handler(download, path, report) -> JobOutcome``,
#: where ``report(done)`` moves the progress bar and ``path`` is a scratch file the job may write.
JOBS: dict[str, Callable] = {}


def job(kind: str):
    """Register the decorated function as the handler of background jobs of ``kind``."""

    def register(handler):
        JOBS[kind] = handler
        return handler

    return register


def start_job(
    kind: str,
    *,
    title: str,
    params: dict,
    rows_total: int,
    file_name: str = "",
    mimetype: str = "",
) -> Download:
    """Queue a job of ``kind`` for the signed-in user; its page (``downloads.progress``) shows how it goes."""
    if kind not in JOBS:
        raise LookupError(kind)
    download = Download(
        kind=kind,
        params=params,
        owner_id=current_user.id,
        endpoint=request.endpoint or "",
        export_type="",
        language=str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
        title=str(title)[:200],
        file_name=file_name[:200],
        mimetype=mimetype,
        rows_total=rows_total,
        expires_at=keep_until(current_app.config["DOWNLOAD_KEEP_HOURS"]),
    )
    return _queue(download)


def start_export(view, export_type: str, rows_total: int) -> Download:
    """Record a download of ``view``'s list as the request asks for it, and queue the job."""
    download = Download(
        owner_id=current_user.id,
        endpoint=view.endpoint,
        export_type=export_type,
        query_string=request.query_string.decode("utf-8", "replace"),
        language=str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
        title=str(view.name)[:200],
        file_name=view.export_file_name(export_type),
        mimetype=MIME[export_type],
        rows_total=rows_total,
        expires_at=keep_until(current_app.config["DOWNLOAD_KEEP_HOURS"]),
    )
    return _queue(download)


def _queue(download: Download) -> Download:
    db.session.add(download)
    db.session.commit()
    try:
        enqueue(download.id)
    except Exception as exc:  # Redis unreachable: say so on the progress page instead of a server error
        log.exception("queueing download %s", download.id)
        download.status, download.finished_at = DownloadStatus.FAILED.value, utcnow()
        download.error = gettext("The background workers could not be reached (%(error)s).", error=exc)
        db.session.commit()
    return download


def enqueue(download_id: int) -> None:
    app = current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if url:
        rq_queue(app).enqueue(run_job, download_id, job_timeout=app.config["BACKGROUND_JOB_TIMEOUT"])
    else:
        _local_queue(app).put(download_id)


def rq_queue(app):
    from redis import Redis
    from rq import Queue

    return Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))


def _local_queue(app) -> queue.Queue:
    with _lock:
        jobs = app.extensions.get("juhtum_jobs")
        if jobs is None:
            jobs = app.extensions["juhtum_jobs"] = queue.Queue()
            threading.Thread(target=_work, args=(app, jobs), name="juhtum-jobs", daemon=True).start()
    return jobs


def _work(app, jobs: queue.Queue) -> None:
    while True:
        download_id = jobs.get()
        try:
            with app.app_context():
                run_download(download_id)
        except Exception:  # the job has recorded its failure; the thread serves the next one
            log.exception("background job %s", download_id)
        finally:
            jobs.task_done()


def wait_for_local_jobs(app) -> None:
    """Block until the in-process worker has run every job queued so far."""
    jobs = app.extensions.get("juhtum_jobs")
    if jobs is not None:
        jobs.join()


def run_job(download_id: int) -> None:
    """RQ's entry point: runs in the app context of the worker command (``flask worker``)."""
    if _worker_pid is not None and os.getpid() != _worker_pid:
        db.engine.dispose(close=False)  # a forked work horse must not share its parent's connections
    run_download(download_id)


def view_of(endpoint: str):
    """The admin view registered under ``endpoint``, or None."""
    admin = current_app.extensions["admin"][0]
    return next((v for v in admin._views if v.endpoint == endpoint), None)


def _progress(download_id: int):
    if db.engine.dialect.name == "sqlite":

        def report(done: int) -> None:
            LIVE[download_id] = done

        return report

    def report(done: int) -> None:
        # Its own connection: the job's read stays open on the session's.
        with db.engine.begin() as conn:
            conn.execute(sa.update(Download).where(Download.id == download_id).values(rows_done=done))

    return report


class Counted:
    """Rows passed on one by one, with the progress reported every ``every`` rows and at the end."""

    def __init__(self, rows, report, every: int):
        self.rows, self.report, self.every, self.done = rows, report, every, 0

    def __iter__(self):
        for row in self.rows:
            yield row
            self.done += 1
            if self.done % self.every == 0:
                self.report(self.done)
        self.report(self.done)


def run_download(download_id: int) -> None:
    """Write the file of one queued download, then keep it in the database (or record why it failed)."""
    purge_expired()
    download = db.session.get(Download, download_id)
    if download is None or download.status != DownloadStatus.QUEUED:
        return
    download.status = DownloadStatus.RUNNING.value
    download.started_at = utcnow()
    db.session.commit()
    fd, path = tempfile.mkstemp(prefix="juhtum-download-", suffix=f".{download.export_type or 'job'}")
    os.close(fd)
    try:
        if download.kind == "export":
            outcome = JobOutcome(_write(download, path, _progress(download_id), CHUNK_ROWS), has_file=True)
        else:
            outcome = _run_handler(download, path, _progress(download_id))
        size = None
        if outcome.has_file:
            # Kept in chunks, one in memory at a time: a million rows' workbook (~50 MB) is never
            # held whole by the job (nor by the web process that sends it).
            with open(path, "rb") as handle:
                size = store_file(download_id, handle, current_app.config["DOWNLOAD_CHUNK_BYTES"])
        download = db.session.get(Download, download_id)
        download.size, download.rows_done = size, outcome.done
        download.message, download.result_url = outcome.message, outcome.result_url
        if outcome.refused:
            download.status, download.finished_at = DownloadStatus.FAILED.value, utcnow()
            download.error, download.message = outcome.message, None
            db.session.commit()
            return
        download.status, download.finished_at = DownloadStatus.DONE.value, utcnow()
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        db.session.execute(
            sa.update(Download)
            .where(Download.id == download_id)
            .values(status=DownloadStatus.FAILED.value, error=str(exc) or type(exc).__name__, finished_at=utcnow())
        )
        db.session.commit()
        raise
    finally:
        LIVE.pop(download_id, None)
        os.unlink(path)


def _run_handler(download: Download, path: str, report) -> JobOutcome:
    """Run a registered job as the user who asked for it, in their language."""
    handler = JOBS.get(download.kind)
    if handler is None:
        raise LookupError(gettext("This installation cannot run jobs of the kind %(kind)s.", kind=download.kind))
    owner = download.owner
    with current_app.test_request_context("/admin/"), force_locale(download.language):
        if not login_user(owner):
            raise PermissionError(gettext("%(who)s may no longer sign in.", who=owner))
        return handler(download, path, report)


def _write(download: Download, path: str, report, every: int) -> int:
    """The export of the list as its owner asked for it: same view, columns, search, filters, sort, language."""
    view = view_of(download.endpoint)
    if view is None:
        raise LookupError(gettext("The register %(register)s no longer exists.", register=download.title))
    owner = download.owner
    url = f"{view.url}/export/{download.export_type}/"
    with current_app.test_request_context(url, query_string=download.query_string), force_locale(download.language):
        if not login_user(owner) or not view.is_accessible():
            raise PermissionError(gettext("%(who)s may no longer read %(register)s.", who=owner, register=view.name))
        view_args = view._get_list_extra_args()
        names = [name for name, _ in view.export_columns()]
        sheet = view.export_sheet(view_args)
        conventions = Conventions.for_language(download.language)
        rows = Counted(view._rows(view._export_query(view_args), names), report, every)
        if download.export_type == "csv":
            with open(path, "wb") as handle:
                for chunk in csv_chunks(sheet, rows, conventions):
                    handle.write(chunk)
        else:
            max_rows = current_app.config.get("EXPORT_SHEET_ROWS")
            write_xlsx(path, sheet, rows, conventions, **({"max_rows": max_rows} if max_rows else {}))
    return rows.done
