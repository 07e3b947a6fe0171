"""Flask-Admin's pages still work under the Content-Security-Policy: nothing the browser blocks."""

import re

import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from tests.conftest import PASSWORD, create_client, create_provider

EMAIL = "juhataja@rapla.ee"
# Pages with Flask-Admin's scripts at work: lists with filters and actions, forms with select2 and date pickers.
PAGES = ["/admin/", "/admin/clients/", "/admin/clients/new/", "/admin/providers/?flt0_0=1", "/admin/letters/new/"]


@pytest.mark.browser
def test_admin_pages_load_nothing_the_policy_blocks(app, page: Page):
    with app.app_context():
        create_user(EMAIL, PASSWORD, ["head"], full_name="Helle Hunt")
        create_client()
        create_provider()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: blocked.append(str(e)))

    page.goto("/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("form[name=login_user_form] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    for url in PAGES:
        response = page.goto(url)
        assert response.status < 400, url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # A select2 field still opens its search box (scripts and styles from the app's own origin ran).
    page.goto("/admin/clients/new/")
    page.wait_for_load_state("networkidle")
    assert page.locator(".select2-container").count() > 0
    assert not blocked, blocked
