"""The head of department, in a real browser, makes last month's invoice from the demo data:
generates it, checks it, confirms it and downloads the workbook, whose total is the database's."""

import re
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user, new_user
from models import Invoice, InvoiceStatus
from models.seed import demo
from tests.conftest import PASSWORD, fetch

EMAIL = "juhataja@rapla.ee"


@pytest.mark.browser
@pytest.mark.usefixtures("shipped_questionnaire")
def test_head_makes_last_months_invoice_from_demo_data(app, page: Page, tmp_path):
    with app.app_context():
        demo.load(tmp_path / "instance", new_user)
        create_user(EMAIL, PASSWORD, ["head"], full_name="Hele Juhataja")

    page.goto("/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # The invoice register, its "generate" button, last month offered by the month picker.
    page.goto("/admin/invoices/")
    page.locator("#generate-invoice").click()
    page.wait_for_url(re.compile(r"/admin/invoices/generate/"))
    page.locator("#generate").click()
    page.wait_for_url(re.compile(r"/admin/invoices/details/"))
    expect(page.locator(".alert-success")).to_be_visible()

    # The draft to check: lines grouped by client, totals per provider and area, grand total.
    draft = fetch(app, Invoice, Invoice.status == InvoiceStatus.DRAFT)
    assert draft.status == InvoiceStatus.DRAFT and draft.total > 0
    expect(page.locator("tbody.client-group").first).to_be_visible()
    assert page.locator("tbody.client-group").count() > 5
    assert page.locator("table.by-provider tr").count() >= 2
    assert page.locator("table.by-area tr").count() >= 2

    # The search box finds a client's group among the invoice's lines; "show all" brings back the page.
    heading = page.locator("tbody.client-group tr.table-secondary th").nth(1).inner_text()
    name = heading.split(" (")[0]
    page.fill("input[name=q]", name)
    page.locator("#find-client").click()
    page.wait_for_url(re.compile(r"q="))
    expect(page.locator("tbody.client-group").first).to_contain_text(name)
    assert page.locator("tbody.client-group").count() >= 1
    page.locator("#show-all").click()
    page.wait_for_url(re.compile(r"/admin/invoices/details/\?id=\d+$"))

    # Confirming asks first; the invoice gets its number and reference number.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#confirm").click()
    page.wait_for_load_state()
    expect(page.locator(".reference-number")).not_to_be_empty()
    confirmed = fetch(app, Invoice, Invoice.id == draft.id)
    assert confirmed.status == InvoiceStatus.CONFIRMED and confirmed.number
    expect(page.locator(".record-title")).to_have_text(confirmed.number)
    expect(page.locator("#confirm")).to_have_count(0)

    # The workbook downloads, and its lines add up to the total in the database.
    with page.expect_download() as download:
        page.locator("#download").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == f"koondarve-{confirmed.number}.xlsx"
    lines = openpyxl.load_workbook(path, data_only=True).worksheets[1]
    amounts = [lines.cell(r, 11).value for r in range(2, lines.max_row)]
    assert all(isinstance(a, int | float) for a in amounts)
    assert Decimal(str(round(sum(amounts), 2))) == confirmed.total
