"""The head, in a real browser, generates and confirms a big month's invoice (issue 17): each button
leads to the job's progress page, whose bar fills and which then offers the invoice."""

import re

import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from models import Invoice, InvoiceStatus
from tests.admin_app.test_invoices import month as september  # noqa: F401 (the fixture)
from tests.conftest import PASSWORD, fetch

EMAIL = "juhataja@rapla.ee"


@pytest.fixture
def big(app):
    before = app.config["BACKGROUND_INVOICE_DELIVERIES"], app.config["REDIS_URL"]
    app.config["BACKGROUND_INVOICE_DELIVERIES"], app.config["REDIS_URL"] = 0, ""
    yield
    app.config["BACKGROUND_INVOICE_DELIVERIES"], app.config["REDIS_URL"] = before


@pytest.mark.browser
def test_head_generates_and_confirms_a_big_month_through_its_jobs(app, page: Page, september, big):  # noqa: F811
    with app.app_context():
        create_user(EMAIL, PASSWORD, ["head"], full_name="Hele Juhataja")
    page.goto("/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto("/admin/invoices/generate/")
    page.fill("#month", "2026-09")
    page.locator("#generate").click()
    page.wait_for_url(re.compile(r"/admin/downloads/\d+/$"))
    expect(page.locator("#download-message")).to_contain_text("09.2026")
    expect(page.locator("#download-bar")).to_have_text("100%")
    page.locator("#download-result").click()
    page.wait_for_url(re.compile(r"/admin/invoices/details/"))

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#confirm").click()
    page.wait_for_url(re.compile(r"/admin/downloads/\d+/$"))
    expect(page.locator("#download-message")).to_be_visible()
    invoice = fetch(app, Invoice, Invoice.status == InvoiceStatus.CONFIRMED)
    expect(page.locator("#download-message")).to_contain_text(invoice.number)
    page.locator("#download-result").click()
    page.wait_for_url(re.compile(r"/admin/invoices/details/"))
    expect(page.locator(".record-title")).to_have_text(invoice.number)
    expect(page.locator("#confirm")).to_have_count(0)
