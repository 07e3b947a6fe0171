"""In a real browser: a case manager attaches a PDF to an information material, finds it in the list
and downloads it unchanged (from the database, as an attachment); an SVG is refused on the form."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from models import Material
from tests.admin_app.helpers import shown
from tests.admin_app.test_materials import fields, real_pdf
from tests.browser.test_letter_flow import _save_button, _signed_in
from tests.conftest import PASSWORD, count, fetch

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.browser
def test_a_file_is_uploaded_listed_and_downloaded_unchanged(app, chromium, live_server, tmp_path, page: Page):
    with app.app_context():
        create_user("kask@rapla.ee", PASSWORD, ["case_manager"], full_name="Kadri Kask")
    pdf = real_pdf("Infoleht brauserist")
    leaflet = tmp_path / "Infoleht õigustest.pdf"
    leaflet.write_bytes(pdf)
    logo = tmp_path / "logo.svg"
    logo.write_bytes(SVG)
    values = fields(title="Infoleht brauserist")

    manager = _signed_in(chromium, live_server, "kask@rapla.ee")
    manager.goto("/admin/materials/new/")
    manager.fill("#title", values["title"])
    manager.locator("#kind").select_option(values["kind"], force=True)
    manager.fill("#sent_on", values["sent_on"])
    manager.locator("#file").set_input_files(str(logo))
    _save_button(manager).click()
    message = shown(app, "Only PDF, PNG, JPEG and office documents (docx, xlsx, pptx, odt, ods) can be attached.")
    expect(manager.locator("form.admin-form")).to_contain_text(message)
    assert count(app, Material) == 0, "a refused file saves nothing"

    manager.locator("#file").set_input_files(str(leaflet))
    _save_button(manager).click()
    manager.wait_for_url(re.compile(r"/admin/materials/(\?.*)?$"))
    link = manager.locator("table.model-list a", has_text="Infoleht õigustest.pdf")
    expect(link).to_be_visible()
    with manager.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "Infoleht õigustest.pdf"
    assert Path(download.path()).read_bytes() == pdf
    assert fetch(app, Material).document_id is not None
    manager.context.close()
