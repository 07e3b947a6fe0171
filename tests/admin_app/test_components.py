"""The service component catalogue (/admin/service-components/) with its price list per mode."""

from datetime import date
from decimal import Decimal

import pytest

from models import ComponentPrice, Offer, ServiceComponent
from tests.admin_app.helpers import (
    NBSP,
    TUPLE_CHOICES,
    ajax_update,
    alerts,
    delete,
    filter_arg,
    in_order,
    make,
    not_saved_alert,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    sort_arg,
    submit,
)
from tests.conftest import count, create_component, create_offer, fetch, post_form

pytestmark = TUPLE_CHOICES

URL = "/admin/service-components/"
NEW = {
    "code": " ISTE-01 ",
    "name": "Psühholoogiline nõustamine",
    "area": "mental_health",
    "unit": "hour",
    "yearly_cap": "1 234,50",
    "provider_requirements": "Tegevusluba",
    "staff_qualification": "Kliiniline psühholoog",
    "active": "y",
    "prices-0-mode": "individual",
    "prices-0-unit_price": "40,00",
    "prices-0-valid_from": "01.01.2025",
    "prices-0-valid_until": "31.12.2025",
    "prices-1-mode": "individual",
    "prices-1-unit_price": "1 234,50",
    "prices-1-valid_from": "01.01.2026",
    "prices-2-mode": "group",
    "prices-2-unit_price": "15,5",
    "prices-2-valid_from": "01.01.2026",
}


@pytest.fixture
def head(app, client):
    return signed_in(app, client, "head")


def tables(app):
    return snapshot(app, ServiceComponent, ComponentPrice)


def test_head_adds_component_with_price_list(app, head):
    saved(post_form(head, URL + "new/", NEW))

    component = fetch(app, ServiceComponent)
    assert (component.code, component.yearly_cap) == ("ISTE-01", Decimal("1234.50"))
    prices = {(p.mode, p.valid_from): p for p in component.prices}
    assert prices["individual", date(2025, 1, 1)].valid_until == date(2025, 12, 31)
    assert prices["individual", date(2026, 1, 1)].unit_price == Decimal("1234.50")
    assert prices["group", date(2026, 1, 1)].unit_price == Decimal("15.50")
    assert count(app, ComponentPrice) == 3


def test_details_show_prices_in_euros_and_dates_as_dd_mm_yyyy(app, head):
    saved(post_form(head, URL + "new/", NEW))
    component = fetch(app, ServiceComponent)

    html = page(head, f"{URL}details/?id={component.id}")

    assert f"1{NBSP}234,50{NBSP}€" in html
    assert f"40,00{NBSP}€" in html and f"15,50{NBSP}€" in html
    assert "01.01.2025" in html and "31.12.2025" in html and "2025-01-01" not in html
    assert "Kliiniline psühholoog" in html


def test_list_shows_the_price_valid_today(app, head):
    make(app, create_component, code="A1", price="12.30", valid_from=date(2020, 1, 1))

    assert f"12,30{NBSP}€" in page(head, URL)


def test_edit_renames_and_adds_a_price_row(app, head):
    saved(post_form(head, URL + "new/", {k: v for k, v in NEW.items() if not k.startswith("prices-2")}))
    component = fetch(app, ServiceComponent)

    changes = {
        "name": "Nõustamine",
        "prices-2-mode": "family",
        "prices-2-unit_price": "30",
        "prices-2-valid_from": "01.03.2026",
    }
    saved(submit(head, f"{URL}edit/?id={component.id}", changes))

    assert fetch(app, ServiceComponent).name == "Nõustamine"
    assert fetch(app, ComponentPrice, ComponentPrice.mode == "family").unit_price == Decimal("30.00")
    assert count(app, ComponentPrice) == 3


def test_same_period_is_allowed_for_a_different_mode(app, head):
    data = {**NEW, "prices-2-valid_from": "01.01.2025"}  # group from 2025 overlaps both individual rows

    saved(post_form(head, URL + "new/", data))

    assert count(app, ComponentPrice) == 3


def test_search_filter_and_sort(app, head):
    make(app, create_component, code="B-2", name="Transport", area="physical_health", unit="trip")
    make(app, create_component, code="A-1", name="Eluaseme tugi", area="housing", unit="hour")
    make(app, create_component, code="C-3", name="Tööalane tugi", area="work_study", unit="hour")

    html = page(head, URL + "?search=transp")
    assert "Transport" in html and "Eluaseme tugi" not in html
    html = page(head, URL + "?" + filter_arg(app, "service_components", "Area", "FilterEqual") + "=housing")
    assert "Eluaseme tugi" in html and "Transport" not in html and "Tööalane tugi" not in html
    assert in_order(page(head, URL + "?" + sort_arg(app, "service_components", "code")), "A-1", "B-2", "C-3")
    assert in_order(page(head, URL + "?" + sort_arg(app, "service_components", "code", desc=True)), "C-3", "B-2", "A-1")


def test_list_edit_of_name(app, head):
    component = make(app, create_component, name="Vana nimi")

    assert ajax_update(head, URL, component.id, "name", "Uus nimi").status_code == 200

    assert fetch(app, ServiceComponent).name == "Uus nimi"


def test_delete_removes_component_and_its_prices(app, head):
    component = make(app, create_component)

    delete(head, URL, component.id)

    assert count(app, ServiceComponent) == 0 and count(app, ComponentPrice) == 0


def test_delete_of_a_component_with_offers_is_refused(app, head):
    offer = make(app, create_offer)
    before = snapshot(app, ServiceComponent, ComponentPrice, Offer)

    html = delete(head, URL, offer.component_id).get_data(as_text=True)

    assert snapshot(app, ServiceComponent, ComponentPrice, Offer) == before
    assert not_saved_alert(app, html), alerts(html)


def _overlap(a: str, b: str) -> str:
    return f"{a}|{b}"


BAD = [
    ("negative price", {"prices-1-unit_price": "-5,00"}, "prices", "A unit price cannot be negative."),
    (
        "price ends before it starts",
        {"prices-0-valid_until": "31.12.2024"},
        "prices",
        "A price row ends before it starts.",
    ),
    (
        "overlapping periods for one mode",
        {"prices-1-valid_from": "01.12.2025"},
        "prices",
        _overlap("01.01.2025–31.12.2025", "01.12.2025–…"),
    ),
    ("open-ended row before another", {"prices-0-valid_until": ""}, "prices", _overlap("01.01.2025–…", "01.01.2026–…")),
    ("negative yearly cap", {"yearly_cap": "-1"}, "yearly_cap", "The yearly cap cannot be negative."),
    (
        "price with a fraction of a cent",
        {"prices-1-unit_price": "10,555"},
        "prices-1-unit_price",
        "Give at most two decimal places (cents).",
    ),
    (
        "price that is not a number",
        {"prices-1-unit_price": "kümme"},
        "prices-1-unit_price",
        "Give a number such as 1234,50.",
    ),
    (
        "date that is not a date",
        {"prices-1-valid_from": "2026-13-01"},
        "prices-1-valid_from",
        "Give a date as dd.mm.yyyy, e.g. 24.02.2026.",
    ),
]


@pytest.mark.parametrize("changes, field, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_price_list_is_refused_on_create(app, head, changes, field, message):
    make(app, create_component, code="OTHER")
    before = tables(app)

    response = post_form(head, URL + "new/", {**NEW, **changes})

    if "|" in message:
        a, b = message.split("|")
        message = shown(app, "Price periods overlap: %(a)s and %(b)s.", a=a, b=b)
    else:
        message = shown(app, message)
    refused(response, field, message)
    assert tables(app) == before


def test_bad_price_row_on_edit_changes_nothing(app, head):
    saved(post_form(head, URL + "new/", NEW))
    component = fetch(app, ServiceComponent)
    before = tables(app)

    response = submit(
        head,
        f"{URL}edit/?id={component.id}",
        {"name": "Muudetud", "prices-1-unit_price": "-1", "prices-2-unit_price": "99"},
    )

    refused(response, "prices", shown(app, "A unit price cannot be negative."))
    assert tables(app) == before


def test_same_code_twice_is_refused(app, head):
    make(app, create_component, code="ISTE-01")
    before = tables(app)

    refused(post_form(head, URL + "new/", NEW), "code")

    assert tables(app) == before


def test_saving_the_edit_form_unchanged_keeps_every_choice_and_amount(app, head):
    data = {**NEW, "area": "housing", "unit": "day", "prices-0-mode": "family"}
    saved(post_form(head, URL + "new/", data))
    component = fetch(app, ServiceComponent)
    before = tables(app)

    html = page(head, f"{URL}edit/?id={component.id}")
    assert 'type="number"' not in html, "amounts are typed as text: a number box cannot hold 1 234,50"
    saved(submit(head, f"{URL}edit/?id={component.id}", {}))

    assert tables(app) == before
