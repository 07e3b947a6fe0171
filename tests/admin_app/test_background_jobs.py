"""Long work of any kind runs as a background job: the user who asked sees its progress and its outcome
(a sentence, a link to the result, a file when it made one) under "My downloads"; nobody else sees it;
a job that fails says why. The handler runs as the user who asked, in their language."""

import pytest
import sqlalchemy as sa
from flask_babel import get_locale
from flask_login import current_user, login_user

from admin_app.background import JOBS, JobOutcome, job, start_job, wait_for_local_jobs
from models import Client, Download, User, db
from tests.admin_app.helpers import signed_in
from tests.conftest import create_client


@job("test-count-clients")
def _count_clients(download, path, report):
    """Counts the clients whose last name is the job's parameter, and writes their names to a file."""
    names = db.session.scalars(
        sa.select(Client.first_name).where(Client.last_name == download.params["last_name"]).order_by(Client.first_name)
    ).all()
    for done, _ in enumerate(names, 1):
        report(done)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(names))
    return JobOutcome(
        len(names),
        message=f"{len(names)} found by {current_user.email} in {get_locale()}",
        result_url="/admin/clients/",
        has_file=download.params.get("file", False),
    )


@job("test-refuse")
def _refuse(download, path, report):
    raise ValueError("The month changed after the draft was made; generate it again first.")


@pytest.fixture
def local_jobs(app):
    before = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = ""
    yield
    app.config["REDIS_URL"] = before


def started(app, email: str, kind: str, **params) -> int:
    with app.test_request_context("/admin/"):
        login_user(db.session.scalar(sa.select(User).where(User.email == email)))
        download = start_job(kind, title="Counting", params=params, rows_total=3, file_name="names.txt")
        return download.id


def test_a_job_runs_as_its_user_and_shows_its_outcome(app, client, local_jobs):
    head = signed_in(app, client, "head")
    with app.app_context():
        for first in ("Mari", "Anu", "Liis"):
            create_client(first_name=first, last_name="Kask")
        job_id = started(app, "head@test.ee", "test-count-clients", last_name="Kask")
    wait_for_local_jobs(app)

    status = head.get(f"/admin/downloads/{job_id}/status").get_json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["message"] == "3 found by head@test.ee in et", "ran as the head, in Estonian"
    assert status["result_url"] == "/admin/clients/"
    assert status["file_url"] is None, "no file was kept, so none is offered"
    assert head.get(f"/admin/downloads/{job_id}/file").status_code == 404

    page = head.get(f"/admin/downloads/{job_id}/").get_data(as_text=True)
    assert "3 found by head@test.ee" in page and 'href="/admin/clients/"' in page
    listing = head.get("/admin/downloads/").get_data(as_text=True)
    assert "3 found by head@test.ee" in listing


def test_a_job_that_writes_a_file_offers_it(app, client, local_jobs):
    head = signed_in(app, client, "head")
    with app.app_context():
        create_client(first_name="Mari", last_name="Tamm")
        job_id = started(app, "head@test.ee", "test-count-clients", last_name="Tamm", file=True)
    wait_for_local_jobs(app)
    status = head.get(f"/admin/downloads/{job_id}/status").get_json()
    assert head.get(status["file_url"]).get_data(as_text=True) == "Mari"


def test_a_failed_job_says_why_and_nobody_else_sees_it(app, client, local_jobs):
    head = signed_in(app, client, "head")
    with app.app_context():
        job_id = started(app, "head@test.ee", "test-refuse")
    wait_for_local_jobs(app)
    status = head.get(f"/admin/downloads/{job_id}/status").get_json()
    assert status["status"] == "failed"
    assert status["error"] == "The month changed after the draft was made; generate it again first."
    assert status["file_url"] is None and status["result_url"] is None

    other = signed_in(app, app.test_client(), "case_manager")
    for url in (f"/admin/downloads/{job_id}/", f"/admin/downloads/{job_id}/status"):
        assert other.get(url).status_code == 404


def test_an_unknown_kind_is_not_queued(app, client, local_jobs):
    signed_in(app, client, "head")
    with app.app_context(), pytest.raises(LookupError):
        started(app, "head@test.ee", "no-such-kind")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Download.id))) == 0
    assert "test-count-clients" in JOBS


@job("test-refused")
def _refused_by_the_rules(download, path, report):
    return JobOutcome(0, message="Nothing was saved: 2 records changed.", result_url="/admin/clients/", refused=True)


def test_a_job_the_rules_refused_shows_as_failed_and_still_leads_on(app, client, local_jobs):
    head = signed_in(app, client, "head")
    with app.app_context():
        job_id = started(app, "head@test.ee", "test-refused")
    wait_for_local_jobs(app)
    status = head.get(f"/admin/downloads/{job_id}/status").get_json()
    assert status["status"] == "failed", "not a green 'done' when nothing was saved"
    assert status["error"] == "Nothing was saved: 2 records changed." and status["message"] is None
    assert status["result_url"] == "/admin/clients/", "the way on (e.g. the preview built again) stays"
    page = head.get(f"/admin/downloads/{job_id}/").get_data(as_text=True)
    assert 'id="download-result" class="btn btn-primary" href="/admin/clients/"' in page
