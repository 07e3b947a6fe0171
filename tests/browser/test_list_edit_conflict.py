"""Two case managers edit the same provider's phone in the list, in two real browsers: the second save,
based on the row as it was before the first, is refused on its cell, and the cell shows the stored
value again (``static/versioned_cells.js`` with ``registers/versions.py``)."""

import re

import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from models import Provider
from tests.browser.conftest import STEP_TIMEOUT_MS
from tests.conftest import PASSWORD, create_provider, fetch


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def _edit_phone(page: Page, provider_id: int, phone: str) -> None:
    """Click the row's phone cell, type the new number and press the check mark."""
    page.locator(f'a[data-role^="x-editable"][name="phone"][data-pk="{provider_id}"]').click()
    field = page.locator(".editable-container input")
    field.fill(phone)
    page.locator(".editable-container button[type=submit]").click()


@pytest.mark.browser
def test_a_stale_list_edit_is_refused_on_its_cell_and_the_stored_value_comes_back(app, chromium, live_server):
    with app.app_context():
        create_user("mari@rapla.ee", PASSWORD, ["case_manager"], full_name="Mari Maasikas")
        create_user("jaan@rapla.ee", PASSWORD, ["case_manager"], full_name="Jaan Tamm")
        provider_id = create_provider(name="Kõue Tugi OÜ", phone="5550000").id

    pages = []
    for email in ("mari@rapla.ee", "jaan@rapla.ee"):
        context = chromium.new_context(
            base_url=live_server.url, locale="et-EE", viewport={"width": 1366, "height": 768}
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        page = context.new_page()
        _sign_in(page, email)
        page.goto("/admin/providers/")
        pages.append(page)
    mari, jaan = pages  # both lists now show the row as it was

    _edit_phone(mari, provider_id, "5551111")
    cell = f'a[data-role^="x-editable"][name="phone"][data-pk="{provider_id}"]'
    expect(mari.locator(cell)).to_have_text("5551111")
    expect(mari.locator(".editable-container")).to_have_count(0)  # saved: the editor closed
    assert fetch(app, Provider).phone == "5551111"

    _edit_phone(jaan, provider_id, "5552222")
    refusal = jaan.locator(".editable-container .editable-error-block")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(re.compile(r"salvestas|saved", re.IGNORECASE))
    assert fetch(app, Provider).phone == "5551111", "the stale save changed nothing"

    # Cancelling the editor shows the value stored now, Mari's, not the one Jaan's list was drawn with.
    jaan.locator(".editable-container button.editable-cancel").click()
    expect(jaan.locator(".editable-container")).to_have_count(0)
    expect(jaan.locator(cell)).to_have_text("5551111")

    # Jaan's next edit is based on the stored version and is saved.
    _edit_phone(jaan, provider_id, "5553333")
    expect(jaan.locator(".editable-container")).to_have_count(0)
    expect(jaan.locator(cell)).to_have_text("5553333")
    assert fetch(app, Provider).phone == "5553333"
    for page in pages:
        page.context.close()
