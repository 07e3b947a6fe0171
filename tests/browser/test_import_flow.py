"""The head of department, in a real browser, imports a providers file with one bad registry code,
sees the error on its row, fixes the file, imports it again and confirms; then, from the same list's
Import menu, the staff of one of the new providers."""

import re

import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from models import Provider, ProviderStaff, codes
from tests.admin_app.test_import import label, xlsx
from tests.conftest import PASSWORD, count

EMAIL = "juhataja@rapla.ee"


@pytest.mark.browser
def test_head_imports_providers_fixes_a_bad_code_and_confirms(app, page: Page, tmp_path, shots):
    good = [codes.make_registry_code("19", n) for n in range(1, 4)]
    bad = good[2][:-1] + str((int(good[2][-1]) + 1) % 10)
    with app.app_context():
        create_user(EMAIL, PASSWORD, ["head"], full_name="Helle Juhataja")
    headings = ["Registrikood", "Nimi", "Liigid", "Kontaktisik"]
    rows = [[good[0], "Esimene OÜ", "Teenuskomponendid", "Mari"], [good[1], "Teine OÜ", "Baastoetus", "Jüri"]]
    first = tmp_path / "pakkujad.xlsx"
    first.write_bytes(xlsx(headings, [*rows, [bad, "Kolmas OÜ", "Teenuskomponendid", "Kati"]]))

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto("/admin/providers/")
    page.locator("#import-link").click()  # a menu: the providers, or their staff
    page.locator("#import-own").click()
    page.set_input_files("input[name=file]", str(first))
    page.locator("form button[type=submit].btn-primary").click()
    expect(page.locator(".import-summary")).to_have_text("2 uut, 0 muudetud, 0 muutmata, 1 viga")
    expect(page.locator("tr.import-error")).to_contain_text("Registrikood")
    expect(page.locator("#import-confirm")).to_have_count(0)
    page.screenshot(path=str(shots / "import-preview.png"), full_page=True)  # the README's picture
    assert count(app, Provider) == 0

    fixed = tmp_path / "pakkujad-parandatud.xlsx"
    fixed.write_bytes(xlsx(headings, [*rows, [good[2], "Kolmas OÜ", "Teenuskomponendid", "Kati"]]))
    page.locator("a.btn", has_text="Impordi parandatud fail").click()
    page.set_input_files("input[name=file]", str(fixed))
    page.locator("form button[type=submit].btn-primary").click()
    expect(page.locator(".import-summary")).to_have_text("3 uut, 0 muudetud, 0 muutmata, 0 viga")
    page.locator("#import-confirm").click()
    expect(page).to_have_url(re.compile(r"/admin/providers/"))
    expect(page.locator(".alert-success")).to_contain_text("pakkujad-parandatud.xlsx")
    assert count(app, Provider) == 3

    # The same menu imports the providers' staff: one row per person, matched by provider and name.
    staff = tmp_path / "tootajad.xlsx"
    staff_headings = [label(app, h) for h in ("Provider", "Name", "Qualification")]
    staff.write_bytes(xlsx(staff_headings, [[good[0], "Mari Maasikas", "tegevusterapeut"]]))
    page.wait_for_load_state("load")  # the menu opens by Bootstrap's script, bound once the page has loaded
    page.locator("#import-link").click()
    expect(page.locator("#import-provider_staff")).to_be_visible()
    page.screenshot(path=str(shots / "import-menu.png"))  # the README's picture of the menu
    page.locator("#import-provider_staff").click()
    page.set_input_files("input[name=file]", str(staff))
    page.locator("form button[type=submit].btn-primary").click()
    expect(page.locator(".import-summary")).to_have_text("1 uut, 0 muudetud, 0 muutmata, 0 viga")
    expect(page.locator(".import-into")).to_contain_text(label(app, "Staff who deliver services"))
    page.locator("#import-confirm").click()
    expect(page).to_have_url(re.compile(r"/admin/providers/"))
    assert count(app, ProviderStaff) == 1
