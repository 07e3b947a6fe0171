"""A big file's import runs in the background: past BACKGROUND_IMPORT_ROWS rows its preview and its save
are jobs with a progress bar; the finished preview waits under "My downloads" and shows the rows the
request would have shown; the save says how many records are new and updated. The same rules hold as
in the request: a record changed after the preview is refused and the preview rebuilt, and a case
manager's rows outside their scope are refused. The command line never queues."""

import os
import re
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale, format_number

from admin_app.background import wait_for_local_jobs
from models import AuditEvent, Download, ImportFile, Provider, User, db
from models.importing import count_rows
from tests.admin_app.helpers import shown, signed_in
from tests.admin_app.test_import import _error_cells, confirm, expect, label, summary, upload, xlsx
from tests.conftest import count, create_client, create_provider, csrf_token


@pytest.fixture
def background(app):
    """Jobs in the app's own worker thread, and a threshold a small file passes."""
    before = app.config["REDIS_URL"], app.config["BACKGROUND_IMPORT_ROWS"]
    app.config["REDIS_URL"], app.config["BACKGROUND_IMPORT_ROWS"] = "", 3
    yield
    app.config["REDIS_URL"], app.config["BACKGROUND_IMPORT_ROWS"] = before


def providers_file(app, codes_: list[str], changed: str) -> bytes:
    """Two new providers, one whose contact person changes, one unchanged, one with a bad registry code."""
    headings = [label(app, h) for h in ("Registry code", "Name", "Kinds", "Contact person")]
    rows = [
        [codes_[0], "Uus Üks OÜ", "base", "Mari"],
        [codes_[1], "Uus Kaks OÜ", "base", "Jaan"],
        [codes_[2], "Olemas OÜ", "base", changed],
        [codes_[3], "Sama OÜ", "base", "Anu"],
    ]
    return xlsx(headings, rows)


def existing(app) -> list[str]:
    from models import codes

    with app.app_context():
        a = create_provider(name="Olemas OÜ", kinds=("base",), contact_person="Kati")
        b = create_provider(name="Sama OÜ", kinds=("base",), contact_person="Anu")
        return [codes.make_registry_code("19", 1), codes.make_registry_code("19", 2), a.registry_code, b.registry_code]


def job_of(response) -> int:
    """The job a response sent the user to watch."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    found = re.fullmatch(r".*/admin/downloads/(\d+)/", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def finished(app, user, job_id: int, status: str = "done") -> dict:
    """The job's state once it ended; ``failed`` when the rules refused it (nothing saved)."""
    wait_for_local_jobs(app)
    state = user.get(f"/admin/downloads/{job_id}/status").get_json()
    assert state["status"] == status, state
    return state


def rows_table(html: str) -> str:
    return re.search(r'<table class="table table-sm table-bordered import-rows">.*?</table>', html, re.S).group(0)


def test_a_big_files_preview_is_a_job_showing_the_rows_the_request_would(app, client, background):
    codes_ = existing(app)
    data = providers_file(app, codes_, "Jüri")
    head = signed_in(app, client, "head")
    app.config["BACKGROUND_IMPORT_ROWS"] = 1000
    in_request = upload(head, "providers", data)
    assert in_request.status_code == 302 and "/import/" in in_request.headers["Location"]
    expected = head.get(in_request.headers["Location"]).get_data(as_text=True)

    app.config["BACKGROUND_IMPORT_ROWS"] = 3
    job_id = job_of(upload(head, "providers", data))
    status = finished(app, head, job_id)
    assert status["rows_total"] == 5, "four rows and the headings, counted from the workbook's size"
    assert status["percent"] == 100
    assert status["message"] == expect(app, new=2, update=1, unchanged=1)
    preview_url = status["result_url"]
    assert re.fullmatch(r"/admin/providers/import/[A-Za-z0-9_-]+/", preview_url)
    assert preview_url in head.get("/admin/downloads/").get_data(as_text=True), "the preview waits in My downloads"

    html = head.get(preview_url).get_data(as_text=True)
    assert summary(app, html) == summary(app, expected) == expect(app, new=2, update=1, unchanged=1)
    assert rows_table(html) == rows_table(expected)
    assert '<del class="text-muted">Kati</del> → <mark>Jüri</mark>' in html
    assert count(app, Provider) == 2, "a preview saves nothing"
    other = signed_in(app, app.test_client(), "head", "teine@test.ee")
    assert other.get(preview_url).status_code == 404


def test_a_background_save_says_how_many_are_new_and_updated_and_is_audited(app, client, background):
    codes_ = existing(app)
    head = signed_in(app, client, "head")
    preview_url = finished(app, head, job_of(upload(head, "providers", providers_file(app, codes_, "Jüri"))))[
        "result_url"
    ]
    job_id = job_of(confirm(head, preview_url))
    status = finished(app, head, job_id)
    assert status["message"] == shown(
        app, "Imported %(file)s: %(new)s new, %(update)s updated.", file="fail.xlsx", new=2, update=1
    )
    assert status["result_url"] == "/admin/providers/"
    with app.app_context():
        assert (
            db.session.scalar(sa.select(Provider.contact_person).where(Provider.registry_code == codes_[2])) == "Jüri"
        )
        assert count(app, Provider) == 4
        head_id = db.session.scalar(sa.select(User.id).where(User.email == "head@test.ee"))
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.table_name == "provider")).all()
        imported = [e for e in events if e.url == shown(app, "imported from %(file)s", file="fail.xlsx")]
        assert sorted(e.action for e in imported) == ["create", "create", "update"]
        assert {e.user_id for e in imported} == {head_id}, "saved in the name of the user who asked"
        assert db.session.scalar(sa.select(sa.func.count(ImportFile.id))) == 0, "the saved upload is not kept"
    assert head.get(preview_url).status_code == 404


def test_an_edit_between_the_background_preview_and_confirm_is_refused_and_the_preview_rebuilt(app, client, background):
    codes_ = existing(app)
    head = signed_in(app, client, "head")
    preview_url = finished(app, head, job_of(upload(head, "providers", providers_file(app, codes_, "Jüri"))))[
        "result_url"
    ]
    with app.app_context():  # a colleague saves meanwhile
        db.session.scalars(sa.select(Provider).where(Provider.registry_code == codes_[2])).one().contact_person = "Tiit"
        db.session.commit()
    status = finished(app, head, job_of(confirm(head, preview_url)), "failed")
    assert status["error"] == shown(
        app,
        "Nothing was saved: %(n)s records were changed by someone else after the preview. "
        "The preview has been built again; check it and confirm again.",
        n=1,
    )
    assert status["result_url"] == preview_url
    with app.app_context():
        assert count(app, Provider) == 2, "nothing of the file was saved"
        assert (
            db.session.scalar(sa.select(Provider.contact_person).where(Provider.registry_code == codes_[2])) == "Tiit"
        )
    html = head.get(preview_url).get_data(as_text=True)
    assert '<del class="text-muted">Tiit</del> → <mark>Jüri</mark>' in html, "the preview was built again"
    finished(app, head, job_of(confirm(head, preview_url)))  # confirmed on the rebuilt preview: saved
    with app.app_context():
        assert (
            db.session.scalar(sa.select(Provider.contact_person).where(Provider.registry_code == codes_[2])) == "Jüri"
        )


def test_a_case_managers_rows_outside_their_scope_are_refused_in_the_background(app, client, background):
    from admin_app.auth import create_user
    from models import Client

    manager = signed_in(app, client, "case_manager", "mari@test.ee")
    with app.app_context():
        other = create_user("juri@test.ee", "x" * 16, ["case_manager"], full_name="Jüri Juhtumikorraldaja")
        me = db.session.scalars(sa.select(User).where(User.email == "mari@test.ee")).one()
        theirs = create_client(case_manager=other, phone="1").personal_code
        mine = [create_client(case_manager=me, phone="1").personal_code for _ in range(3)]
    headings = [label(app, h) for h in ("Personal ID code", "First name", "Last name", "Target group", "Phone")]
    rows = [[theirs, "Teise", "Klient", "Noor", "2"]] + [[code, "Minu", "Klient", "Noor", "2"] for code in mine]
    status = finished(app, manager, job_of(upload(manager, "clients", xlsx(headings, rows))))
    assert status["message"] == expect(app, update=3, error=1)
    html = manager.get(status["result_url"]).get_data(as_text=True)
    assert [(r, h) for r, h, _ in _error_cells(html)] == [("2", label(app, "Personal ID code"))]
    # Confirmed all the same (by a form of one's own): the job refuses it, as the request would.
    token = csrf_token(manager, "/admin/clients/import/")
    confirmed = manager.post(status["result_url"] + "confirm/", data={"csrf_token": token})
    status = finished(app, manager, job_of(confirmed), "failed")
    assert status["error"] == shown(app, "Nothing was saved: some rows have errors.")
    with app.app_context():
        assert set(db.session.scalars(sa.select(Client.phone))) == {"1"}


def test_a_file_the_job_cannot_read_fails_with_a_message(app, client, background):
    head = signed_in(app, client, "head")
    text = "Registrikood;Nimi\n" + "".join(f"{n};\xe4\n" for n in range(5))
    job_id = job_of(upload(head, "providers", text.encode("latin-1"), "fail.csv"))
    wait_for_local_jobs(app)
    status = head.get(f"/admin/downloads/{job_id}/status").get_json()
    assert status["status"] == "failed"
    assert status["error"] == shown(app, "The CSV file is not in UTF-8. Save it from Excel as 'CSV UTF-8'.")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ImportFile.id))) == 0


def test_the_upload_page_says_from_how_many_rows_the_import_runs_in_the_background(app, client, background):
    app.config["BACKGROUND_IMPORT_ROWS"] = 5000
    html = signed_in(app, client, "head").get("/admin/providers/import/").get_data(as_text=True)
    sentence = (
        "A file of more than %(n)s rows is checked and saved in the background: "
        "you may leave the page, and its preview waits under My downloads."
    )
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        number = format_number(5000)
    assert shown(app, sentence, n=number) in html


def test_the_command_line_imports_a_big_file_without_queueing(app, tmp_path, background):
    codes_ = existing(app)
    path = tmp_path / "pakkujad.xlsx"
    path.write_bytes(providers_file(app, codes_, "Jüri"))
    result = app.test_cli_runner().invoke(args=["import", "providers", str(path)])
    assert result.exit_code == 0, result.output
    assert expect(app, new=2, update=1, unchanged=1) in result.output
    assert count(app, Provider) == 4
    assert count(app, Download) == 0, "no job was queued"


def _redis() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        from redis import Redis

        Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return url


def test_a_worker_in_another_process_builds_the_preview_the_web_confirms(app, client, tmp_path):
    """An RQ worker with an instance folder of its own (as on another machine) builds the preview and
    saves; the web shows the preview and takes the confirm: they share only the database."""
    url = _redis()
    if url is None:
        pytest.skip("no Redis to queue on (TEST_REDIS_URL)")
    queue = f"juhtum-test-{uuid4().hex[:12]}"
    before = {k: app.config[k] for k in ("REDIS_URL", "RQ_QUEUE", "BACKGROUND_IMPORT_ROWS")}
    app.config.update(REDIS_URL=url, RQ_QUEUE=queue, BACKGROUND_IMPORT_ROWS=3)
    env = os.environ | {
        "JUHTUM_CONFIG": "test",
        "JUHTUM_INSTANCE": str(tmp_path / "worker"),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": url,
        "RQ_QUEUE": queue,
    }

    def work() -> None:
        command = [sys.executable, "-m", "flask", "--app", "admin_app", "worker", "--burst"]
        ran = subprocess.run(command, env=env, cwd=Path(__file__).parents[2], capture_output=True, text=True)
        assert ran.returncode == 0, ran.stderr[-3000:]

    try:
        codes_ = existing(app)
        head = signed_in(app, client, "head")
        job_id = job_of(upload(head, "providers", providers_file(app, codes_, "Jüri")))
        assert head.get(f"/admin/downloads/{job_id}/status").get_json()["status"] == "queued"
        work()
        status = head.get(f"/admin/downloads/{job_id}/status").get_json()
        assert status["status"] == "done", status
        html = head.get(status["result_url"]).get_data(as_text=True)
        assert summary(app, html) == expect(app, new=2, update=1, unchanged=1)
        job_id = job_of(confirm(head, status["result_url"]))
        work()
        status = head.get(f"/admin/downloads/{job_id}/status").get_json()
        assert status["message"] == shown(
            app, "Imported %(file)s: %(new)s new, %(update)s updated.", file="fail.xlsx", new=2, update=1
        )
        assert count(app, Provider) == 4
    finally:
        app.config.update(before)


def test_rows_are_counted_without_reading_the_table(tmp_path):
    book = openpyxl.Workbook(write_only=True)  # writes no sheet size: its rows are counted in the XML
    sheet = book.create_sheet()
    for n in range(1200):
        sheet.append([n, "x"])
    book.save(tmp_path / "a.xlsx")
    assert count_rows(tmp_path / "a.xlsx") == 1200
    (tmp_path / "b.csv").write_bytes(b"\xef\xbb\xbfa;b\r\n1;2\r\n3;4")
    assert count_rows(tmp_path / "b.csv") == 3
    (tmp_path / "c.xlsx").write_bytes(b"PK\x03\x04garbage")
    assert count_rows(tmp_path / "c.xlsx") == 0
