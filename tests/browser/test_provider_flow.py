"""A case manager, in a real browser, adds a provider to the register and finds it again."""

import re

import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from models import Provider, codes
from tests.conftest import PASSWORD, count, create_provider, fetch

EMAIL = "juhtumikorraldaja@rapla.ee"
NAME = "Pilootteenus Kõue OÜ"


def _wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def _save_button(page: Page):
    """The form's plain "Save" button (not "save and add another" / "save and continue")."""
    return page.locator("form.admin-form .submit-row input[type=submit]:not([name])")


@pytest.mark.browser
def test_case_manager_adds_and_finds_a_provider(app, page: Page):
    code = codes.make_registry_code("10", 4521)
    bad_code = _wrong_check_digit(code)
    with app.app_context():
        create_user(EMAIL, PASSWORD, ["case_manager"], full_name="Kadri Kask")
        create_provider(name="Kõrvaline Abi MTÜ")  # must not match the search below

    # Anyone not signed in lands on the sign-in page, in Estonian.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.locator("html")).to_have_attribute("lang", "et")
    expect(page.locator("button[lang=en]")).to_have_text("English")  # the other language is offered
    expect(page.locator("h2"), "sign-in heading not in Estonian: run `make translations`").to_have_text("Logi sisse")

    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#signed-in-as")).to_contain_text("Kadri Kask")

    # The provider register, and its "create" tab.
    page.goto("/admin/providers/")
    expect(page.locator("table.model-list")).to_be_visible()
    page.locator("ul.nav-tabs a[href*='/admin/providers/new/']").click()
    page.wait_for_url(re.compile(r"/admin/providers/new/"))

    # A registry code with a wrong check digit is refused, with the reason under the field.
    page.fill("#registry_code", bad_code)
    page.fill("#name", NAME)
    page.check("#is_component")
    _save_button(page).click()
    page.wait_for_load_state()
    code_input = page.locator("#registry_code")
    expect(code_input).to_have_class(re.compile(r"\bis-invalid\b"))
    message = page.locator(".form-group", has=code_input).locator(".invalid-feedback")
    expect(message).to_be_visible()
    expect(message).to_contain_text(re.compile("registrikood", re.IGNORECASE))
    assert count(app, Provider, Provider.registry_code == bad_code) == 0

    # Corrected, it saves and the list comes back.
    page.fill("#registry_code", code)
    page.fill("#name", NAME)
    page.check("#is_component")
    _save_button(page).click()
    page.wait_for_url(re.compile(r"/admin/providers/(\?.*)?$"))
    expect(page.locator(".alert-success")).to_be_visible()

    # The list's search box finds it, and only it.
    search = page.locator("form[role=search] input[name=search]")
    search.fill("Pilootteenus")
    search.press("Enter")
    page.wait_for_url(re.compile(r"[?&]search=Pilootteenus"))
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.col-registry_code")).to_have_text(code)
    expect(rows.first.locator("td.col-name")).to_have_text(NAME)
    expect(page.locator("table.model-list")).not_to_contain_text("Kõrvaline Abi")

    saved = fetch(app, Provider, Provider.registry_code == code)
    assert saved.name == NAME
    assert (saved.is_base_support, saved.is_component, saved.is_supplementary) == (False, True, False)
    assert saved.active is True
