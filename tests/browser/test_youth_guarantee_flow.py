"""In a real browser: a case manager imports a small youth guarantee list (preview, then confirm) and
sees the outreach list; the screenshots for the README are taken at 1366x768."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from models import Outreach
from tests.browser.test_letter_flow import _signed_in
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
    manager.context.close()
