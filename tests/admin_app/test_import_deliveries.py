"""Import into the delivery register: exported deliveries import back unchanged, new ones are priced by
the form's rules, the older sheet's headings are read too, the yearly cap counts the rows above in the
same file, and a case manager names only clients in their scope."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import ServiceDelivery, db
from tests.admin_app.helpers import TUPLE_CHOICES, shown, signed_in
from tests.admin_app.test_import import _error_cells, confirm, expect, label, preview_page, summary, upload, xlsx
from tests.conftest import count, create_component
from tests.deliveries import active_client, contracted_provider, create_delivery

pytestmark = TUPLE_CHOICES


@pytest.fixture
def parties(app):
    with app.app_context():
        component = create_component(code="ISTE-04", name="Igapäevaelu toetamine", price="28.00")
        provider = contracted_provider(component, name="Kohila SA")
        client = active_client(first_name="Kati", main_diagnosis="F20.0")
        return {
            "component": component.id,
            "provider": provider.id,
            "client": client.id,
            "code": client.personal_code,
            "registry": provider.registry_code,
        }


@pytest.mark.parametrize("export_type", ["xlsx", "csv"])
def test_exported_deliveries_import_back_unchanged(app, client, parties, export_type):
    with app.app_context():
        from models import Client, Provider, ServiceComponent

        who = {
            "provider": db.session.get(Provider, parties["provider"]),
            "component": db.session.get(ServiceComponent, parties["component"]),
            "client": db.session.get(Client, parties["client"]),
        }
        create_delivery(**who, day=date(2026, 9, 1), quantity="2")
        create_delivery(**who, day=date(2026, 9, 2), quantity="1.5", notes="=kodus")
    accountant = signed_in(app, client, "accountant")
    exported = accountant.get(f"/admin/deliveries/export/{export_type}/")
    assert exported.status_code == 200
    _, html = preview_page(accountant, upload(accountant, "deliveries", exported.get_data(), f"e.{export_type}"))
    assert summary(app, html) == expect(app, unchanged=2), _error_cells(html)


def test_new_deliveries_are_priced_and_the_older_sheet_headings_are_read(app, client, parties):
    accountant = signed_in(app, client, "accountant")
    assert 'id="import-link"' in accountant.get("/admin/deliveries/").get_data(as_text=True)
    headings = [label(app, h) for h in ("Personal ID code", "Provider's registry code", "Component code", "Date")]
    headings += [label(app, "Quantity"), label(app, "Mode")]
    rows = [
        [parties["code"], parties["registry"], "ISTE-04", date(2026, 9, 1), 2, None],
        [parties["code"], "Kohila SA", "ISTE-04", "15.09.2026", "1,5", "individual"],
    ]
    url, html = preview_page(accountant, upload(accountant, "deliveries", xlsx(headings, rows)))
    assert summary(app, html) == expect(app, new=2), _error_cells(html)
    assert count(app, ServiceDelivery) == 0, "the preview saves nothing"
    confirm(accountant, url)
    with app.app_context():
        amounts = sorted(d.amount for d in db.session.scalars(sa.select(ServiceDelivery)))
    assert amounts == [Decimal("42.00"), Decimal("56.00")]


def test_delivery_rows_get_the_forms_messages_and_the_yearly_cap_counts_the_file(app, client, parties):
    with app.app_context():
        db.session.get(type(create_component()), parties["component"]).yearly_cap = Decimal("100.00")
        db.session.commit()
    accountant = signed_in(app, client, "accountant")
    headings = [label(app, h) for h in ("Date", "Personal ID code", "Provider", "Service component", "Quantity")]
    rows = [
        [date(2026, 9, 1), parties["code"], parties["registry"], "ISTE-04", 3],  # row 2: 84 €, fine
        [date(2026, 9, 2), parties["code"], parties["registry"], "ISTE-04", 1],  # 3: 112 € with row 2: over
        [date(2026, 9, 3), parties["code"], parties["registry"], "NOPE", 1],  # 4: no such component
        [date(2026, 9, 4), parties["code"], parties["registry"], "ISTE-04", -1],  # 5: quantity
        [date(2030, 1, 1), parties["code"], parties["registry"], "ISTE-04", 1],  # 6: in the future
    ]
    url, html = preview_page(accountant, upload(accountant, "deliveries", xlsx(headings, rows)))
    assert {(r, h) for r, h, _ in _error_cells(html)} == {
        ("3", label(app, "Quantity")),
        ("4", label(app, "Service component")),
        ("5", label(app, "Quantity")),
        ("6", label(app, "Date")),
        ("6", label(app, "Service component")),  # and no contract that far ahead
    }, _error_cells(html)
    assert shown(app, "The quantity must be greater than zero.") in html
    confirm(accountant, url)
    assert count(app, ServiceDelivery) == 0


def test_a_case_manager_names_only_clients_in_their_scope(app, client, parties):
    manager = signed_in(app, client, "case_manager", "mari@test.ee")
    with app.app_context():
        from admin_app.auth import create_user
        from models import Client

        other = create_user("juri@test.ee", "x" * 16, ["case_manager"])
        db.session.get(Client, parties["client"]).case_manager_id = other.id
        db.session.commit()
    headings = [label(app, h) for h in ("Date", "Personal ID code", "Provider", "Service component", "Quantity")]
    rows = [[date(2026, 9, 1), parties["code"], parties["registry"], "ISTE-04", 1]]
    _, html = preview_page(manager, upload(manager, "deliveries", xlsx(headings, rows)))
    assert [(r, h) for r, h, _ in _error_cells(html)] == [("2", label(app, "Personal ID code"))]
