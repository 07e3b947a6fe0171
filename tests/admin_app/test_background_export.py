"""Large exports run in the background: the user gets a progress page instead of a long wait, finds the
file under "My downloads" (theirs only), with the same rows the streamed export gives; files expire."""

import io
import uuid
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from admin_app.background import wait_for_local_jobs
from models import Download, DownloadChunk, User, db
from models.downloads import utcnow
from tests.admin_app.helpers import admin_view, filter_arg, signed_in, sort_arg
from tests.conftest import count, create_client

TITLE_ROWS = 4


def table(data: bytes) -> list[list]:
    """The header and the rows of the first sheet (the title block, with its time, left out)."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [list(r) for r in sheet.iter_rows(min_row=TITLE_ROWS + 1, values_only=True)]


@pytest.fixture
def small_threshold(app):
    before = app.config["BACKGROUND_EXPORT_ROWS"], app.config["REDIS_URL"]
    app.config["BACKGROUND_EXPORT_ROWS"] = 3
    app.config["REDIS_URL"] = ""
    yield
    app.config["BACKGROUND_EXPORT_ROWS"], app.config["REDIS_URL"] = before


@pytest.fixture
def head(app, client, small_threshold):
    return signed_in(app, client, "head")


@pytest.fixture
def clients(app):
    people = [
        ("Mari", "Tamm", "active"),
        ("Jüri", "Õunapuu", "applicant"),
        ("Anu", "Tammsaar", "active"),
        ("Peeter", "Tammik", "active"),
        ("Liis", "Tammela", "active"),
        ("Kalle", "Kask", "active"),
    ]
    with app.app_context():
        for first, last, status in people:
            create_client(first_name=first, last_name=last, status=status)


def streamed(app, client, url: str) -> list[list]:
    """The same export streamed at once (threshold out of reach)."""
    app.config["BACKGROUND_EXPORT_ROWS"] = 10**9
    try:
        response = client.get(url)
    finally:
        app.config["BACKGROUND_EXPORT_ROWS"] = 3
    assert response.status_code == 200
    return table(response.get_data())


def start(client, url: str) -> str:
    """Ask for the export; the answer is the progress page's address."""
    response = client.get(url)
    assert response.status_code == 302, "a large export is not streamed"
    progress = response.headers["Location"]
    assert "/admin/downloads/" in progress
    page = client.get(progress)
    assert page.status_code == 200
    assert 'class="progress' in page.get_data(as_text=True), "the user sees a progress bar"
    return progress


def finished(client, progress: str) -> dict:
    status = client.get(progress + "status").get_json()
    assert status["status"] == "done", status
    assert status["percent"] == 100
    assert status["rows_done"] == status["rows_total"]
    return status


def test_a_large_export_runs_in_the_background_and_lands_in_my_downloads(app, head, clients):
    status_arg = filter_arg(app, "clients", "Status", "FilterEqual")
    url = f"/admin/clients/export/xlsx/?search=Tamm&{status_arg}=active&{sort_arg(app, 'clients', 'last_name', True)}"
    progress = start(head, url)
    wait_for_local_jobs(app)

    status = finished(head, progress)
    assert status["rows_total"] == 4, "searched and filtered as on screen: four active Tamm…"
    file = head.get(status["file_url"])
    assert file.status_code == 200
    assert "attachment" in file.headers["Content-Disposition"]
    rows = table(file.get_data())
    assert rows == streamed(app, head, url), "the same columns and rows, in the same order"
    last = rows[0].index("Perekonnanimi")
    assert [r[last] for r in rows[1:]] == ["Tammsaar", "Tammik", "Tammela", "Tamm"]

    listing = head.get("/admin/downloads/").get_data(as_text=True)
    assert status["file_url"] in listing, "My downloads links the finished file"


def test_a_small_export_is_still_streamed_at_once(app, head, clients):
    response = head.get("/admin/clients/export/xlsx/?search=Kask")
    assert response.status_code == 200
    assert count(app, Download) == 0


def test_csv_in_the_background_matches_the_streamed_csv(app, head, clients):
    progress = start(head, "/admin/clients/export/csv/")
    wait_for_local_jobs(app)
    status = finished(head, progress)
    background = head.get(status["file_url"]).get_data()
    app.config["BACKGROUND_EXPORT_ROWS"] = 10**9
    assert background == head.get("/admin/clients/export/csv/").get_data()


def test_nobody_else_sees_or_downloads_my_file(app, head, clients):
    progress = start(head, "/admin/clients/export/xlsx/")
    wait_for_local_jobs(app)
    file_url = finished(head, progress)["file_url"]

    other = signed_in(app, app.test_client(), "case_manager")
    for url in (progress, progress + "status", file_url):
        assert other.get(url).status_code == 404, url
    assert file_url not in other.get("/admin/downloads/").get_data(as_text=True)
    assert head.get(file_url).status_code == 200


def test_expired_downloads_are_purged(app, head, clients):
    progress = start(head, "/admin/clients/export/xlsx/")
    wait_for_local_jobs(app)
    file_url = finished(head, progress)["file_url"]
    with app.app_context():
        db.session.execute(sa.update(Download).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()

    assert file_url not in head.get("/admin/downloads/").get_data(as_text=True)
    assert count(app, Download) == 0, "file and all deleted"
    assert head.get(file_url).status_code == 404


@pytest.fixture
def rq_queue(app, small_threshold):
    from redis import Redis

    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/5"
    app.config["RQ_QUEUE"] = f"juhtum-test-{uuid.uuid4().hex[:8]}"
    from admin_app.background import rq_queue as make_queue

    queue = make_queue(app)
    yield queue
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    queue.delete(delete_jobs=True)
    Redis.from_url(app.config["REDIS_URL"]).close()
    app.config["RQ_QUEUE"] = "juhtum"


def run_worker(app, queue) -> None:
    from rq import SimpleWorker

    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_with_redis_the_job_runs_on_an_rq_worker(app, client, rq_queue, clients):
    head = signed_in(app, client, "head")
    progress = start(head, "/admin/clients/export/xlsx/")
    assert head.get(progress + "status").get_json()["status"] == "queued", "waiting for a worker"
    assert rq_queue.count == 1

    run_worker(app, rq_queue)

    status = finished(head, progress)
    assert table(head.get(status["file_url"]).get_data()) == streamed(app, head, "/admin/clients/export/xlsx/")


def test_a_failed_job_says_why_and_leaves_no_file(app, client, rq_queue, clients):
    head = signed_in(app, client, "head")
    progress = start(head, "/admin/clients/export/xlsx/")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == "head@test.ee").values(active=False))
        db.session.commit()
    run_worker(app, rq_queue)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == "head@test.ee").values(active=True))
        db.session.commit()

    status = head.get(progress + "status").get_json()
    assert status["status"] == "failed"
    with app.test_request_context(), force_locale("et"):
        register = str(admin_view(app, "clients").name)
    assert register in status["error"], "the failure says why: the user may no longer read the register"
    assert status["file_url"] is None
    with app.app_context():
        assert db.session.scalar(sa.select(Download.file)) is None


def test_the_progress_bar_shows_rows_done_and_time_left_while_the_job_runs(app, client, rq_queue, clients):
    from admin_app.background import _progress

    head = signed_in(app, client, "head")
    progress = start(head, "/admin/clients/export/xlsx/")
    with app.app_context():
        download = db.session.scalar(sa.select(Download))
        download.status, download.started_at = "running", utcnow() - timedelta(seconds=10)
        db.session.commit()
        _progress(download.id)(2)  # what the job reports after a chunk of two rows

    status = head.get(progress + "status").get_json()
    assert (status["rows_done"], status["rows_total"], status["percent"]) == (2, 6, 33)
    assert status["seconds_left"] is not None and status["seconds_left"] >= 0
    assert status["file_url"] is None


def test_when_the_workers_cannot_be_reached_the_progress_page_says_so(app, client, rq_queue, clients):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/5"  # nothing listens there
    head = signed_in(app, client, "head")
    progress = start(head, "/admin/clients/export/xlsx/")
    status = head.get(progress + "status").get_json()
    assert status["status"] == "failed"
    assert "127.0.0.1:1" in status["error"] or "onnect" in status["error"]
    assert status["file_url"] is None


def test_the_file_is_kept_and_sent_in_chunks_and_arrives_whole(app, head, clients):
    """The job stores the workbook piece by piece and the download sends the pieces in order (so
    neither holds a million rows' file whole); what arrives is the streamed export, byte for byte."""
    before = app.config["DOWNLOAD_CHUNK_BYTES"]
    app.config["DOWNLOAD_CHUNK_BYTES"] = 100
    try:
        progress = start(head, "/admin/clients/export/csv/")
        wait_for_local_jobs(app)
        status = finished(head, progress)
    finally:
        app.config["DOWNLOAD_CHUNK_BYTES"] = before
    with app.app_context():
        download = db.session.scalars(sa.select(Download)).one()
        pieces = db.session.scalar(
            sa.select(sa.func.count()).select_from(DownloadChunk).where(DownloadChunk.download_id == download.id)
        )
        assert download.file is None and pieces == -(-download.size // 100) > 1
    file = head.get(status["file_url"])
    assert file.headers["Content-Length"] == str(len(file.get_data()))
    app.config["BACKGROUND_EXPORT_ROWS"] = 10**9
    assert file.get_data() == head.get("/admin/clients/export/csv/").get_data()
