""" "Add … for this client" links open a create form with the client already chosen."""

import pytest

from tests.admin_app.helpers import form_values, make, page, signed_in
from tests.conftest import create_client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/assessments/",
        "/admin/case-steps/",
        "/admin/counselling/",
        "/admin/action-plans/",
        "/admin/quality-of-life/",
    ],
)
def test_create_form_preselects_the_client(app, client, url):
    manager = signed_in(app, client, "case_manager")
    make(app, create_client, first_name="Muu", last_name="Klient")
    chosen = make(app, create_client, first_name="Valitud", last_name="Klient")

    values = form_values(page(manager, f"{url}new/?client_id={chosen.id}"))

    assert values["client"] == [str(chosen.id)]
