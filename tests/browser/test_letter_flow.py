"""In a real browser: the registrar registers a letter, the head assigns it, the case manager answers it,
and the public document register shows it, without signing in."""

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from admin_app.auth import create_user
from models import Letter
from tests.conftest import PASSWORD, fetch

SUBJECT = "Lumetõrje Alu alevikus"
TODAY = f"{date.today():%d.%m.%Y}"


def _save_button(page: Page):
    """The form's plain "Save" button (not "save and add another" / "save and continue")."""
    return page.locator("form.admin-form .submit-row input[type=submit]:not([name])")


def _signed_in(chromium: Browser, live_server, email: str) -> Page:
    context = chromium.new_context(base_url=live_server.url, locale="et-EE", timezone_id="Europe/Tallinn")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    return page


@pytest.mark.browser
def test_a_letter_from_registration_to_the_public_register(app, chromium, live_server, page: Page):
    with app.app_context():
        create_user("asjaajaja@rapla.ee", PASSWORD, ["registrar"], full_name="Ene Vaher")
        create_user("juhataja@rapla.ee", PASSWORD, ["head"], full_name="Maie Kuusk")
        manager = create_user("kask@rapla.ee", PASSWORD, ["case_manager"], full_name="Kadri Kask").id

    # The registrar registers it; the number and the deadline are not typed but given.
    registrar = _signed_in(chromium, live_server, "asjaajaja@rapla.ee")
    registrar.goto("/admin/letters/new/")
    registrar.fill("#sender_name", "Anne Rebane")
    registrar.fill("#sender_email", "anne.rebane@example.ee")
    registrar.fill("#subject", SUBJECT)
    registrar.locator("#kind").select_option("memorandum", force=True)
    _save_button(registrar).click()
    registrar.wait_for_url(re.compile(r"/admin/letters/(\?.*)?$"))
    letter = fetch(app, Letter, Letter.subject == SUBJECT)
    row = registrar.locator("table.model-list tbody tr", has_text=letter.number)
    expect(row).to_contain_text(SUBJECT)
    expect(row.locator("td.col-due_on")).to_contain_text(f"{letter.due_on:%d.%m.%Y}")
    registrar.context.close()

    # The head assigns it to a case manager.
    head = _signed_in(chromium, live_server, "juhataja@rapla.ee")
    head.goto(f"/admin/letters/edit/?id={letter.id}")
    head.locator("#answerer").select_option(str(manager), force=True)
    _save_button(head).click()
    head.wait_for_url(re.compile(r"/admin/letters/(\?.*)?$"))
    expect(head.locator("table.model-list tbody tr", has_text=letter.number)).to_contain_text("Kadri Kask")
    head.context.close()
    assert fetch(app, Letter, Letter.id == letter.id).status == "in_progress"

    # The case manager answers it: first without the outgoing number (refused, said why), then in full.
    answerer = _signed_in(chromium, live_server, "kask@rapla.ee")
    expect(answerer.locator("#letters-due")).to_be_visible()
    answerer.goto(f"/admin/letters/edit/?id={letter.id}")
    answerer.locator("#status").select_option("answered", force=True)
    answerer.fill("#answered_on", TODAY)
    answerer.fill("#answer_text", "Lumetõrje on tellitud ka Alu alevikku.")
    _save_button(answerer).click()
    number_input = answerer.locator("#outgoing_number")
    expect(number_input).to_have_class(re.compile(r"\bis-invalid\b"))
    answerer.fill("#outgoing_number", "7-1/2026/1-2")
    _save_button(answerer).click()
    answerer.wait_for_url(re.compile(r"/admin/letters/(\?.*)?$"))
    answerer.context.close()
    answered = fetch(app, Letter, Letter.id == letter.id)
    assert (answered.status, answered.outgoing_number, answered.late) == ("answered", "7-1/2026/1-2", False)

    # Anyone, not signed in, finds it in the public register; the private sender is not named.
    page.goto("/register/")
    page.fill("#q", "Lumetõrje")
    page.locator("form[role=search] button[type=submit]").click()
    rows = page.locator("#register tbody tr.letter")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.number")).to_have_text(letter.number)
    expect(rows.first.locator("td.subject")).to_have_text(SUBJECT)
    expect(rows.first).to_contain_text("7-1/2026/1-2")
    expect(page.locator("#register")).not_to_contain_text("Anne Rebane")
