"""Every list fits an office laptop's 1366×768 screen, as the head and as a case manager, with the
top bar in one row; a cut text keeps its whole text in a tooltip."""

import re

import pytest
from flask_admin.model import BaseModelView

from admin_app.auth import create_user
from tests.admin_app.helpers import TUPLE_CHOICES
from tests.conftest import PASSWORD, create_client, create_component, create_offer, create_provider

pytestmark = TUPLE_CHOICES
WIDTH, HEIGHT = 1366, 768


@pytest.mark.parametrize("role", ["head", "case_manager"])
def test_every_list_fits_1366_pixels(app, page, role):
    email = f"{role.replace('_', '-')}@test.ee"
    with app.app_context():
        create_user(email, PASSWORD, [role], full_name="Kadri-Liis Kaasik-Tammemägi")
        provider = create_provider(name="Mittetulundusühing Tugiteenuste Arenduskeskus " * 3)
        create_offer(provider=provider, component=create_component())
        # Demo-like rows: long names and a client the pilot does not fit, with its reason.
        for n in range(3):
            create_client(
                first_name="Kristiina-Marleen", last_name="Vahtramäe-Kõrvitsanurga", phone="+372 5555 555" + str(n)
            )
        urls = [v.url + "/" for v in app.extensions["admin"][0]._views if isinstance(v, BaseModelView)]
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    navbar = page.locator("nav.navbar").first.bounding_box()
    assert navbar["height"] < 70, f"the top bar takes {navbar['height']} px: more than one row"

    too_wide = {}
    opened = 0
    for url in urls:
        response = page.goto(url)
        if response.status == 403:
            continue
        assert response.status == 200, url
        opened += 1
        # The page, and each table within it (a table in a scrolling box leaves the page narrow).
        width = page.evaluate(
            "Math.max(document.documentElement.scrollWidth,"
            " ...[...document.querySelectorAll('table.model-list')]"
            ".map(t => Math.ceil(t.getBoundingClientRect().right)))"
        )
        if width > WIDTH:
            too_wide[url] = width
    assert opened >= 5
    assert not too_wide, f"lists wider than {WIDTH} px: {too_wide}"

    page.goto("/admin/providers/")
    cell = page.locator("table.model-list td.col-name").first
    assert cell.get_attribute("title").startswith("Mittetulundusühing Tugiteenuste Arenduskeskus")
