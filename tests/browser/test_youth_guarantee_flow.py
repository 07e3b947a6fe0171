"""In a real browser: a case manager imports a small youth guarantee list (preview, then confirm),
assigns it to herself, records a phone call in which a young person asked for help, and makes a client
of them; the screenshots for the README are taken at 1366x768."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from models import Client, ContactAttempt, Outreach, OutreachStatus, User, db
from tests.browser.test_letter_flow import _save_button, _signed_in
from tests.conftest import PASSWORD, count
from tests.models.test_youth_guarantee_rules import code, xlsx, young


@pytest.mark.browser
def test_a_list_is_imported_through_its_preview(app, chromium, live_server, tmp_path, shots, page: Page):
    with app.app_context():
        create_user("noor@vaike-maarja.ee", PASSWORD, ["case_manager"], full_name="Kadri Kask")
    file = tmp_path / "STAR nimekiri.xlsx"
    file.write_bytes(xlsx([young(1), young(2), [code(date(1990, 1, 1), 8), "Vana", "Inimene"], young(3), young(1)]))
    manager = _signed_in(chromium, live_server, "noor@vaike-maarja.ee")
    manager.set_viewport_size({"width": 1366, "height": 768})
    manager.goto("/admin/youth/import/")
    received = date.today() - timedelta(days=3)
    manager.fill("#received_on", f"{received:%d.%m.%Y}")
    manager.fill("#queried_on", f"{received - timedelta(days=5):%d.%m.%Y}")
    manager.locator("input[name=list]").set_input_files(str(file))
    manager.locator("form.youth-import-form button.btn-primary").click()
    expect(manager.locator("table.youth-preview")).to_be_visible()
    expect(manager.locator("table.youth-preview tr.table-danger")).to_have_count(2)
    assert count(app, Outreach) == 0
    manager.screenshot(path=str(shots / "18-youth-import-preview.png"))
    manager.locator("button.youth-confirm").click()
    manager.wait_for_url(re.compile(r"/admin/youth/(\?.*)?$"))
    expect(manager.locator("table.model-list")).to_contain_text("Noor3")
    assert count(app, Outreach) == 3
    manager.screenshot(path=str(shots / "19-youth-outreach-list.png"))

    # Assign the whole list to herself.
    manager.locator("a.youth-assign-all").click()
    manager.wait_for_url(re.compile(r"/admin/youth/assign/"))
    manager.select_option("#case_manager", label="Kadri Kask")
    manager.locator("form.youth-assign button[type=submit]").click()
    manager.wait_for_url(re.compile(r"/admin/youth/(\?.*)?$"))
    with app.app_context():
        me = db.session.scalar(sa.select(User.id).where(User.email == "noor@vaike-maarja.ee"))
        noor1 = db.session.scalar(sa.select(Outreach.id).where(Outreach.first_name == "Noor1"))
    assert count(app, Outreach, Outreach.case_manager_id == me) == 3
    expect(manager.locator("table.model-list")).to_contain_text("Kadri Kask")

    # A phone call: she reached Noor1, who wants help.
    manager.goto(f"/admin/youth/edit/?id={noor1}")
    manager.locator("#attempts-button").click()
    manager.fill("#attempts-0-made_on", f"{date.today():%d.%m.%Y}")
    manager.keyboard.press("Escape")  # the date picker closes
    manager.select_option("#attempts-0-channel", "phone", force=True)
    manager.select_option("#attempts-0-outcome", "reached", force=True)
    manager.select_option("#status", "wants_help", force=True)
    manager.fill("#answer", "Soovin abi töö leidmisel")
    manager.locator("h4, h3, .page-title").first.click()
    _save_button(manager).click()
    manager.wait_for_url(re.compile(r"/admin/youth/(\?.*)?$"))
    expect(manager.locator("body")).not_to_contain_text("Traceback")
    assert count(app, ContactAttempt, ContactAttempt.channel == "phone") == 1
    assert count(app, Outreach, Outreach.status == OutreachStatus.WANTS_HELP.value) == 1

    # From outreach to a case: tick the record, "Became a client".
    manager.check(f"input.action-checkbox[value='{noor1}']")
    to_client = manager.locator("a[onclick*=\"modelActions.execute('to_client')\"]")
    manager.locator(".nav-tabs li.dropdown", has=to_client).locator(".dropdown-toggle").click()
    manager.once("dialog", lambda dialog: dialog.accept())
    to_client.click()
    manager.wait_for_url(re.compile(r"/admin/youth/(\?.*)?$"))
    expect(manager.locator("table.model-list")).to_contain_text("Ava juhtumi toimik")
    assert count(app, Client, Client.first_name == "Noor1") == 1
    assert count(app, Outreach, Outreach.status == OutreachStatus.BECAME_CLIENT.value) == 1
    manager.context.close()
