"""Workbooks too long to make in a request (issue 17): a report over more than a year and the "who saw
the data" workbook of a busy client are made by a background job, as the user who asked; the file
under "My downloads" is the very workbook the request makes; nobody else sees it."""

import io
import re
from datetime import date

import openpyxl
import pytest

from admin_app.background import wait_for_local_jobs
from models import AccessEvent, Download
from tests.admin_app.helpers import make, page, signed_in
from tests.conftest import count, create_client

LONG = "start=01.01.2025&end=31.12.2026"


@pytest.fixture
def local_jobs(app):
    before = app.config["REDIS_URL"], app.config["BACKGROUND_ACCESS_LOG_ROWS"]
    app.config["REDIS_URL"] = ""
    yield
    wait_for_local_jobs(app)
    app.config["REDIS_URL"], app.config["BACKGROUND_ACCESS_LOG_ROWS"] = before


def cells(data: bytes) -> list[list]:
    """Every sheet's cells, the minute a workbook was made masked (the two were made a moment apart)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [
        [sheet.title]
        + [
            [re.sub(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", "<when>", v) if isinstance(v, str) else v for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        for sheet in book.worksheets
    ]


def by_job(app, browser, url: str) -> tuple[dict, bytes]:
    """Ask for ``url``, which must start a job; wait for it; its status and its file."""
    response = browser.get(url)
    assert response.status_code == 302 and "/admin/downloads/" in response.location, response.location
    wait_for_local_jobs(app)
    status = browser.get(response.location + "status").get_json()
    assert status["status"] == "done", status["error"]
    return status, browser.get(status["file_url"]).get_data()


def test_a_report_over_two_years_is_a_job_whose_workbook_is_the_request_s(app, client, local_jobs):
    for year in (1950, 1990, 2010):
        make(app, create_client, born=date(year, 5, 5))
    head = signed_in(app, client, "head")
    status, data = by_job(app, head, f"/admin/reports/statistics/xlsx/?{LONG}")
    assert status["percent"] == 100 and status["file_url"].endswith("/file")

    app.config["BACKGROUND_REPORT_DAYS"] = 10_000  # the request path makes the same period's workbook
    try:
        direct = head.get(f"/admin/reports/statistics/xlsx/?{LONG}")
    finally:
        app.config["BACKGROUND_REPORT_DAYS"] = 366
    assert direct.status_code == 200
    assert cells(data) == cells(direct.get_data())
    assert "01.01.2025–31.12.2026" in str(cells(data)[0][2])

    # On screen, a long period offers the job rather than counting in the request; a short one counts.
    html = page(head, f"/admin/reports/statistics/?{LONG}")
    assert 'id="make-workbook"' in html and "report-table" not in html
    assert 'id="make-workbook"' not in page(head, "/admin/reports/statistics/?start=01.01.2026&end=31.12.2026")

    other = signed_in(app, app.test_client(), "head", "other-head@test.ee")
    job_id = status["file_url"].split("/")[-2]
    for url in (f"/admin/downloads/{job_id}/", f"/admin/downloads/{job_id}/status", status["file_url"]):
        assert other.get(url).status_code == 404
    registrar = signed_in(app, app.test_client(), "registrar")
    assert registrar.get(f"/admin/reports/statistics/xlsx/?{LONG}").status_code == 403
    assert count(app, Download) == 1


def test_the_access_log_of_a_busy_client_is_a_job_whose_workbook_is_the_request_s(app, client, local_jobs):
    kati = make(app, create_client, first_name="Kati", last_name="Kask")
    manager = signed_in(app, client, "case_manager")
    for _ in range(3):
        page(manager, f"/admin/clients/details/?id={kati.id}")
    head = signed_in(app, app.test_client(), "head")
    page(head, f"/admin/case-file/?client_id={kati.id}")
    seen = count(app, AccessEvent, AccessEvent.client_id == kati.id)
    assert seen >= 4

    url = f"/admin/access-log/xlsx/?client_id={kati.id}"
    direct = head.get(url)
    assert direct.status_code == 200, "below the threshold, at once"
    app.config["BACKGROUND_ACCESS_LOG_ROWS"] = 2
    status, data = by_job(app, head, url)
    assert status["rows_done"] == status["rows_total"] == seen
    assert cells(data) == cells(direct.get_data())
    rows = [r for r in cells(data)[0][1:] if r[1] in ("Case Manager", "Head")]
    assert len(rows) == seen

    other = signed_in(app, app.test_client(), "head", "other-head@test.ee")
    job_id = status["file_url"].split("/")[-2]
    for url_ in (f"/admin/downloads/{job_id}/", f"/admin/downloads/{job_id}/status", status["file_url"]):
        assert other.get(url_).status_code == 404
    assert manager.get(url).status_code == 403, "a case manager does not read who saw the data"
    assert count(app, Download) == 1
