"""The head of department, in a real browser, imports a file too big to wait for: the progress bar
runs, the finished preview opens from it, the confirm runs in the background too and its outcome
says how many records are new, with a link to the register."""

import re

import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from models import Provider, codes
from tests.admin_app.test_import import xlsx
from tests.conftest import PASSWORD, count

EMAIL = "juhataja@rapla.ee"


@pytest.fixture
def background(app):
    before = app.config["REDIS_URL"], app.config["BACKGROUND_IMPORT_ROWS"]
    app.config["REDIS_URL"], app.config["BACKGROUND_IMPORT_ROWS"] = "", 3
    yield
    app.config["REDIS_URL"], app.config["BACKGROUND_IMPORT_ROWS"] = before


@pytest.mark.browser
def test_head_previews_and_saves_a_big_file_in_the_background(app, page: Page, tmp_path, background):
    with app.app_context():
        create_user(EMAIL, PASSWORD, ["head"], full_name="Helle Juhataja")
    headings = ["Registrikood", "Nimi", "Liigid", "Kontaktisik"]
    rows = [[codes.make_registry_code("19", n), f"Pakkuja {n} OÜ", "Baastoetus", "Mari"] for n in range(1, 5)]
    path = tmp_path / "suur.xlsx"
    path.write_bytes(xlsx(headings, rows))

    page.goto("/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto("/admin/providers/import/")
    expect(page.locator("#import-background")).to_contain_text("3 rea")
    page.set_input_files("input[name=file]", str(path))
    page.locator("form button[type=submit].btn-primary").click()
    expect(page).to_have_url(re.compile(r"/admin/downloads/\d+/$"))
    expect(page.locator("#download-message")).to_have_text("4 uut, 0 muudetud, 0 muutmata, 0 viga")
    page.locator("#download-result").click()
    expect(page.locator(".import-summary")).to_have_text("4 uut, 0 muudetud, 0 muutmata, 0 viga")
    assert count(app, Provider) == 0

    page.locator("#import-confirm").click()
    expect(page).to_have_url(re.compile(r"/admin/downloads/\d+/$"))
    expect(page.locator("#download-message")).to_have_text("Imporditud suur.xlsx: 4 uut, 0 muudetud.")
    page.locator("#download-result").click()
    expect(page).to_have_url(re.compile(r"/admin/providers/$"))
    assert count(app, Provider) == 4
