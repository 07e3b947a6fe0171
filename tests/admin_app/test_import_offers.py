"""Import into the offer register: an exported list imports back unchanged, a row matches the offer of
the same provider, support and day asked, values are read as people write them, and the form's rules
give the row errors."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import AuditEvent, Offer, db
from tests.admin_app.helpers import shown, signed_in
from tests.admin_app.test_import import _error_cells, confirm, expect, label, preview_page, summary, upload, xlsx
from tests.conftest import count, create_component, create_offer, create_provider

HEADINGS = ("Provider", "Support asked for", "Price", "Unit", "Asked", "Received", "Valid until", "Status", "Notes")


@pytest.mark.parametrize("export_type", ["xlsx", "csv"])
def test_exported_offers_import_back_unchanged(app, client, export_type):
    with app.app_context():
        provider = create_provider(kinds=("supplementary",), name="=Lisatugi OÜ")
        component = create_component()
        create_offer(provider=provider, component=component, notes="-kiire")
        create_offer(
            component=component,
            price=Decimal("1234.50"),
            unit="day",
            received_on=date(2026, 10, 5),
            valid_until=date(2026, 12, 31),
            status="received",
        )
    head = signed_in(app, client, "head")
    exported = head.get(f"/admin/offers/export/{export_type}/")
    assert exported.status_code == 200
    _, html = preview_page(head, upload(head, "offers", exported.get_data(), f"eksport.{export_type}"))
    assert summary(app, html) == expect(app, unchanged=2), html[:3000]


def test_the_offer_template_has_the_export_headings(app, client):
    import io

    import openpyxl

    head = signed_in(app, client, "head")
    assert 'id="import-link"' in head.get("/admin/offers/").get_data(as_text=True)
    sheet = openpyxl.load_workbook(io.BytesIO(head.get("/admin/offers/import/template.xlsx").get_data())).active
    assert [c.value for c in next(sheet.iter_rows())] == [label(app, h) for h in HEADINGS]
    client.get("/logout")
    accountant = signed_in(app, client, "accountant")
    assert 'id="import-link"' not in accountant.get("/admin/offers/").get_data(as_text=True)
    assert accountant.get("/admin/offers/import/").status_code == 403


def test_new_offers_and_an_update_are_saved_as_people_write_them(app, client):
    with app.app_context():
        provider = create_provider(kinds=("supplementary",), name="Abikäsi OÜ")
        component = create_component(name="Tugiisik")
        offer = create_offer(provider=provider, component=component, notes="vana")
        code, registry_code, version = component.code, provider.registry_code, offer.version
    head = signed_in(app, client, "head")
    headings = [label(app, h) for h in HEADINGS]
    rows = [
        # the existing offer, by registry code and the day as an Excel date: a price arrives
        [registry_code, code, "1 234,50 €", "tund", date(2026, 10, 1), "05.10.2026", None, "Received", "vana"],
        # a new one, by the provider's name and the component as the list shows it
        ["abikäsi oü", f"{code} Tugiisik", 40, "Day", "02.10.2026", None, None, "asked", None],
    ]
    url, html = preview_page(head, upload(head, "offers", xlsx(headings, rows)))
    assert summary(app, html) == expect(app, new=1, update=1), _error_cells(html)
    assert count(app, Offer) == 1, "the preview saves nothing"
    confirm(head, url)
    with app.app_context():
        offers = db.session.scalars(sa.select(Offer).order_by(Offer.asked_on)).all()
        assert [(o.price, o.unit, o.received_on, o.status, o.notes) for o in offers] == [
            (Decimal("1234.50"), "hour", date(2026, 10, 5), "received", "vana"),
            (Decimal("40.00"), "day", None, "asked", None),
        ]
        assert offers[0].version == version + 1
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.table_name == "offer", AuditEvent.action == "update")
        ).one()
        assert set(event.changes) - {"version", "saved_at"} == {"price", "received_on", "status"}
        assert event.url == shown(app, "imported from %(file)s", file="fail.xlsx")


def test_offer_rows_get_the_forms_messages_and_nothing_is_saved(app, client):
    with app.app_context():
        supplementary = create_provider(kinds=("supplementary",)).registry_code
        other = create_provider(kinds=("component",)).registry_code
        code = create_component().code
    head = signed_in(app, client, "head")
    headings = [label(app, h) for h in ("Provider", "Support asked for", "Price", "Asked", "Received", "Status")]
    rows = [
        [supplementary, code, "10", "01.10.2026", None, None],  # row 2: fine
        [other, code, "10", "01.10.2026", None, None],  # 3: not a supplementary-support provider
        [supplementary, "X999", "10", "01.10.2026", None, None],  # 4: no such component
        [supplementary, code, "10", "03.10.2026", "02.10.2026", None],  # 5: arrived before asked
        [supplementary, code, "kümme", "04.10.2026", None, None],  # 6: price
        [supplementary, code, None, "05.10.2026", "06.10.2026", "Vastu võetud"],  # 7: accepted without a price
        [supplementary, code, None, None, None, None],  # 8: no day asked
        [supplementary, code, "10", "01.10.2026", None, None],  # 9: the same as row 2
    ]
    url, html = preview_page(head, upload(head, "offers", xlsx(headings, rows)))
    assert {(r, h) for r, h, _ in _error_cells(html)} == {
        ("3", label(app, "Provider")),
        ("4", label(app, "Support asked for")),
        ("5", label(app, "Received")),
        ("6", label(app, "Price")),
        ("7", label(app, "Price")),
        ("8", label(app, "Asked")),
        ("9", label(app, "Provider")),
    }, _error_cells(html)
    assert shown(app, "An offer cannot arrive before it was asked for.") in html
    confirm(head, url)
    assert count(app, Offer) == 0
