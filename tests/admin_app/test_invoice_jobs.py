"""Generating and confirming a big month's invoice runs as a background job (issue 17): the user
follows its progress and gets the same sentence and the same invoice as the request path gives a
small month; a refusal of the rules is the job's error in the same words; while one job of a month is
waiting or running a second is refused; only the roles that may do it today start it, the job runs
as them (the history names them) and nobody else sees it."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_login import login_user

from admin_app.background import JobOutcome, job, start_job, wait_for_local_jobs
from models import Download, Invoice, InvoiceStatus, User, db
from tests.admin_app import test_invoices
from tests.admin_app.helpers import alerts, page, signed_in
from tests.admin_app.test_invoices import URL, _events, as_role, generate, post, the_invoice
from tests.conftest import count, create_component, csrf_token, fetch
from tests.deliveries import active_client, contracted_provider, create_delivery

#: September 2026's four deliveries (tests/admin_app/test_invoices.py).
september = test_invoices.month

#: Holds the worker (so that the next job stays queued) until the test lets it go.
GATE = threading.Event()


@job("test-hold-the-worker")
def _hold(download, path, report):
    db.session.rollback()  # no read left open (SQLite would keep writers waiting on it)
    GATE.wait(timeout=60)
    return JobOutcome(0)


@pytest.fixture
def big(app):
    """Every month counts as big: generating and confirming go to jobs, run by the app's own worker."""
    before = app.config["BACKGROUND_INVOICE_DELIVERIES"], app.config["REDIS_URL"]
    app.config["BACKGROUND_INVOICE_DELIVERIES"], app.config["REDIS_URL"] = 0, ""
    yield
    wait_for_local_jobs(app)
    app.config["BACKGROUND_INVOICE_DELIVERIES"], app.config["REDIS_URL"] = before


def _hold_the_worker(app) -> None:
    """Queue a job that keeps the app's worker busy until ``GATE`` is set: the next jobs wait."""
    GATE.clear()
    with app.test_request_context("/admin/"):
        login_user(db.session.scalar(sa.select(User).where(User.email == "head@test.ee")))
        start_job("test-hold-the-worker", title="Holding", params={}, rows_total=0)


def _finished(app, browser, response) -> dict:
    """Wait for the job ``response`` redirected to, and give its status as its page polls it."""
    assert response.status_code == 302 and "/admin/downloads/" in response.location, response.location
    wait_for_local_jobs(app)
    return browser.get(response.location + "status").get_json()


def _confirm(browser, invoice_id):
    details = f"{URL}details/?id={invoice_id}"
    return browser.post(f"{URL}{invoice_id}/confirm/", data={"csrf_token": csrf_token(browser, details)})


def test_a_big_month_is_generated_by_a_job_that_says_what_the_request_says(app, client, september, big):
    accountant = as_role(app, client, "accountant")
    status = _finished(app, accountant, generate(accountant))
    invoice = the_invoice(app)
    assert status["status"] == "done" and status["percent"] == 100 and status["rows_total"] == 4
    assert status["message"] == "Draft invoice for 09.2026 made: 3 lines, 325.00 €."
    assert status["result_url"] == f"{URL}details/?id={invoice.id}"
    assert invoice.status == InvoiceStatus.DRAFT and invoice.total == Decimal("325.00")
    assert "3 lines, 325.00 €" in page(accountant, "/admin/downloads/")

    # The request path (a small month) makes the same draft and says the same.
    app.config["BACKGROUND_INVOICE_DELIVERIES"] = 5_000
    again = generate(accountant)
    assert again.location.endswith(f"details/?id={invoice.id}")
    assert alerts(page(accountant, again.location)) == [status["message"]]
    assert count(app, Invoice) == 1 and count(app, Download) == 1


def test_a_big_month_is_confirmed_by_a_job_run_as_the_head(app, client, september, big):
    head = as_role(app, client, "head")
    _finished(app, head, generate(head))
    invoice = the_invoice(app)
    status = _finished(app, head, _confirm(head, invoice.id))
    invoice = the_invoice(app)
    assert invoice.status == InvoiceStatus.CONFIRMED and invoice.number == f"{date.today().year}-0001"
    assert status["status"] == "done" and status["error"] is None
    assert status["message"] == f"Invoice {invoice.number} (09.2026) confirmed."
    assert status["result_url"] == f"{URL}details/?id={invoice.id}"
    assert [(e.status, e.by.full_name) for e in _events(app, invoice.id)] == [
        (InvoiceStatus.DRAFT, "Head"),
        (InvoiceStatus.CONFIRMED, "Head"),
    ]
    # Another user (even another head) does not see the job, nor its outcome.
    other = signed_in(app, app.test_client(), "head", "other-head@test.ee")
    assert status["message"] in head.get("/admin/downloads/").get_data(as_text=True)
    job_id = fetch(app, Download, Download.kind == "invoice-confirm").id
    for url in (f"/admin/downloads/{job_id}/", f"/admin/downloads/{job_id}/status"):
        assert other.get(url).status_code == 404
    assert status["message"] not in other.get("/admin/downloads/").get_data(as_text=True)


def test_the_request_path_says_the_same_of_a_small_month(app, client, september):
    head = as_role(app, client, "head")
    generate(head)
    invoice = the_invoice(app)
    html = post(head, invoice.id, "confirm").get_data(as_text=True)
    assert alerts(html) == [f"Invoice {date.today().year}-0001 (09.2026) confirmed."]
    assert count(app, Download) == 0, "a small month is confirmed at once"


def test_a_refused_confirmation_is_the_job_s_error_in_the_same_words(app, client, september, big):
    head = as_role(app, client, "head")
    _finished(app, head, generate(head))
    invoice = the_invoice(app)
    with app.app_context():  # a delivery of the month added after the draft was made
        extra = create_component(code="ISTE-99", name="Lisa", price="10.00", area="mental_health")
        create_delivery(provider=contracted_provider(extra, name="Lisa OÜ"), component=extra, client=active_client())
    status = _finished(app, head, _confirm(head, invoice.id))
    assert status["status"] == "failed" and status["message"] is None and status["result_url"] is None
    assert status["error"] == (
        "The deliveries of this month changed after the draft was made; generate it again first."
    )
    assert the_invoice(app).status == InvoiceStatus.DRAFT and the_invoice(app).number is None

    # The request path refuses in the same words.
    app.config["BACKGROUND_INVOICE_DELIVERIES"] = 5_000
    assert status["error"] in alerts(post(head, invoice.id, "confirm").get_data(as_text=True))


def test_two_clicks_make_one_confirmation(app, client, september, big):
    head = as_role(app, client, "head")
    _finished(app, head, generate(head))
    invoice = the_invoice(app)
    _hold_the_worker(app)
    try:
        first = _confirm(head, invoice.id)
        assert "/admin/downloads/" in first.location, "the first click starts the job (it waits its turn)"
        details = page(head, f"{URL}details/?id={invoice.id}")
        assert "This invoice is being confirmed in the background (asked by Head)." in details
        assert 'id="confirm"' not in details and 'id="regenerate"' not in details
        second = _confirm(head, invoice.id)
        assert second.location.endswith(f"details/?id={invoice.id}"), "no second job"
        refusal = "The invoice of 09.2026 is already being confirmed (asked by Head); wait until it is done."
        assert refusal in alerts(page(head, second.location))
        # Generating the month again meanwhile is refused too.
        assert refusal in generate(head).get_data(as_text=True)
        # So is the list's bulk action.
        token = csrf_token(head, URL)
        listed = head.post(
            URL + "action/", data={"action": "confirm", "rowid": invoice.id, "csrf_token": token}, follow_redirects=True
        )
        assert refusal in alerts(listed.get_data(as_text=True))
    finally:
        GATE.set()
    wait_for_local_jobs(app)
    assert count(app, Download, Download.kind == "invoice-confirm") == 1
    invoice = the_invoice(app)
    assert invoice.number == f"{date.today().year}-0001"
    assert [e.status for e in _events(app, invoice.id)].count(InvoiceStatus.CONFIRMED) == 1


def test_only_the_roles_of_today_start_the_jobs(app, client, september, big):
    accountant = as_role(app, client, "accountant")
    _finished(app, accountant, generate(accountant))
    invoice = the_invoice(app)
    assert _confirm(accountant, invoice.id).status_code == 403
    manager = as_role(app, app.test_client(), "case_manager")
    token = csrf_token(manager, URL)
    assert manager.post(URL + "generate/", data={"month": "2026-09", "csrf_token": token}).status_code == 403
    assert count(app, Download) == 1, "only the accountant's generation"
    assert the_invoice(app).status == InvoiceStatus.DRAFT


def test_a_head_who_lost_the_role_before_the_job_ran_is_refused(app, client, september, big):
    head = as_role(app, client, "head")
    _finished(app, head, generate(head))
    invoice = the_invoice(app)
    _hold_the_worker(app)
    try:
        started = _confirm(head, invoice.id)
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == "head@test.ee"))
            user.roles = [r for r in user.roles if r.name != "head"]
            db.session.commit()
    finally:
        GATE.set()
    wait_for_local_jobs(app)
    assert "/admin/downloads/" in started.location
    failed = fetch(app, Download, Download.kind == "invoice-confirm")  # (no longer a head, they cannot open it)
    assert failed.status == "failed" and failed.error == "head@test.ee may no longer confirm invoices."
    assert the_invoice(app).status == InvoiceStatus.DRAFT


def test_the_bulk_confirmation_of_a_big_month_is_a_job(app, client, september, big):
    head = as_role(app, client, "head")
    _finished(app, head, generate(head))
    invoice = the_invoice(app)
    token = csrf_token(head, URL)
    listed = head.post(
        URL + "action/", data={"action": "confirm", "rowid": invoice.id, "csrf_token": token}, follow_redirects=True
    )
    assert "is being confirmed in the background" in " ".join(alerts(listed.get_data(as_text=True)))
    wait_for_local_jobs(app)
    assert the_invoice(app).status == InvoiceStatus.CONFIRMED
