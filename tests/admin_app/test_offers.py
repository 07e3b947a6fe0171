"""The offer register (/admin/offers/): offers from supplementary-support providers, compared side by side."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest

from models import Offer
from tests.admin_app.helpers import (
    NBSP,
    TUPLE_CHOICES,
    ajax_update,
    alerts,
    delete,
    filter_arg,
    in_order,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    sort_arg,
    submit,
)
from tests.conftest import count, create_component, create_offer, create_provider, csrf_token, fetch, post_form

pytestmark = TUPLE_CHOICES

URL = "/admin/offers/"


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


@pytest.fixture
def supply(app):
    return {
        "provider": make(app, create_provider, kinds=("supplementary",), name="Lisatugi OÜ"),
        "component": make(app, create_component, code="L-1", name="Füsioteraapia"),
    }


def new(supply, **changes) -> dict:
    data = {
        "provider": str(supply["provider"].id),
        "component": str(supply["component"].id),
        "price": "1 234,50",
        "unit": "month",
        "asked_on": "05.01.2026",
        "received_on": "12.01.2026",
        "valid_until": "31.12.2099",
        "status": "received",
        "notes": "Hind sisaldab transporti.",
    }
    data.update(changes)
    return data


def test_create_offer(app, manager, supply):
    saved(post_form(manager, URL + "new/", new(supply)))

    offer = fetch(app, Offer)
    assert (offer.provider_id, offer.component_id) == (supply["provider"].id, supply["component"].id)
    assert (offer.price, offer.unit, offer.status) == (Decimal("1234.50"), "month", "received")
    assert (offer.asked_on, offer.received_on, offer.valid_until) == (
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2099, 12, 31),
    )


def test_details_show_money_and_dates(app, manager, supply):
    saved(post_form(manager, URL + "new/", new(supply)))

    html = page(manager, f"{URL}details/?id={fetch(app, Offer).id}")

    assert f"1{NBSP}234,50{NBSP}€" in html
    assert "05.01.2026" in html and "12.01.2026" in html and "31.12.2099" in html
    assert "Lisatugi OÜ" in html and "Hind sisaldab transporti." in html


def test_edit_accepts_the_offer(app, manager, supply):
    saved(post_form(manager, URL + "new/", new(supply)))

    saved(submit(manager, f"{URL}edit/?id={fetch(app, Offer).id}", {"status": "accepted"}))

    offer = fetch(app, Offer)
    assert (offer.status, offer.price, offer.unit) == ("accepted", Decimal("1234.50"), "month")


def test_only_supplementary_providers_are_offered_in_the_form(app, manager, supply):
    make(app, create_provider, kinds=("component",), name="Komponendi OÜ")

    html = page(manager, URL + "new/")

    assert "Lisatugi OÜ" in html and "Komponendi OÜ" not in html


def test_provider_of_the_wrong_kind_is_refused(app, manager, supply):
    other = make(app, create_provider, kinds=("base", "component"), name="Baastugi OÜ")

    response = post_form(manager, URL + "new/", new(supply, provider=str(other.id)))

    refused(response, "provider")
    assert count(app, Offer) == 0


def test_offer_whose_provider_is_no_longer_supplementary_cannot_be_saved(app, manager, supply):
    offer = make(app, create_offer, provider=supply["provider"], component=supply["component"], price=Decimal("10"))
    with app.app_context():
        from models import Provider, db

        provider = db.session.get(Provider, supply["provider"].id)
        provider.is_supplementary, provider.is_component = False, True
        db.session.commit()
    before = snapshot(app, Offer)

    changes = {"price": "9,00", "provider": str(supply["provider"].id)}
    response = submit(manager, f"{URL}edit/?id={offer.id}", changes)

    refused(response, "provider")
    assert snapshot(app, Offer) == before


def test_expired_offer_shows_as_expired_and_is_found_by_the_status_filter(app, manager, supply):
    yesterday = date.today() - timedelta(days=1)
    make(
        app,
        create_offer,
        provider=supply["provider"],
        status="received",
        received_on=date(2026, 1, 2),
        asked_on=date(2026, 1, 1),
        valid_until=yesterday,
        price=Decimal("5"),
        notes="aegunud",
    )
    fresh = make(app, create_provider, kinds=("supplementary",), name="Värske OÜ")
    make(
        app,
        create_offer,
        provider=fresh,
        status="received",
        received_on=date.today(),
        asked_on=date.today(),
        valid_until=date.today() + timedelta(days=30),
        price=Decimal("6"),
    )
    status = filter_arg(app, "offers", "Status", "CurrentStatusFilter")

    html = page(manager, URL)
    assert shown(app, "Expired") in html
    html = page(manager, f"{URL}?{status}=expired")
    assert "Lisatugi OÜ" in html and "Värske OÜ" not in html
    html = page(manager, f"{URL}?{status}=received")
    assert "Värske OÜ" in html and "Lisatugi OÜ" not in html
    assert fetch(app, Offer, Offer.notes == "aegunud").status == "received", "nobody had to edit it"


def test_search_sort_and_list_edit(app, manager, supply):
    a = make(app, create_offer, provider=supply["provider"], price=Decimal("30"))
    other = make(app, create_provider, kinds=("supplementary",), name="Teine Tugi OÜ")
    make(app, create_offer, provider=other, price=Decimal("20"))

    html = page(manager, URL + "?search=teine")
    assert "Teine Tugi OÜ" in html and "Lisatugi OÜ" not in html
    assert in_order(page(manager, URL + "?" + sort_arg(app, "offers", "price")), "Teine Tugi OÜ", "Lisatugi OÜ")
    assert in_order(
        page(manager, URL + "?" + sort_arg(app, "offers", "price", desc=True)), "Lisatugi OÜ", "Teine Tugi OÜ"
    )

    assert ajax_update(manager, URL, a.id, "price", "1 234,50").status_code == 200
    assert fetch(app, Offer, Offer.id == a.id).price == Decimal("1234.50")
    assert ajax_update(manager, URL, a.id, "received_on", "01.09.2026").status_code == 400, "before it was asked"
    assert fetch(app, Offer, Offer.id == a.id).received_on is None


def test_compare_action_shows_offers_side_by_side_cheapest_first(app, manager, supply):
    names = {"Kallis OÜ": "45.00", "Odav OÜ": "19.90", "Keskmine OÜ": "30.00"}
    ids = []
    for name, price in names.items():
        provider = make(app, create_provider, kinds=("supplementary",), name=name)
        ids.append(make(app, create_offer, provider=provider, component=supply["component"], price=Decimal(price)).id)

    response = manager.post(
        URL + "action/",
        data={"action": "compare", "rowid": [str(i) for i in ids], "csrf_token": csrf_token(manager, URL)},
    )

    assert response.status_code == 302
    html = page(manager, response.headers["Location"])
    assert in_order(html, "Odav OÜ", "Keskmine OÜ", "Kallis OÜ")
    assert in_order(html, f"19,90{NBSP}€", f"30,00{NBSP}€", f"45,00{NBSP}€")


def test_compare_all_matching_offers_of_one_support(app, manager, supply):
    """Filter the list to one support, then compare all its offers at once (not only one page's ticks)."""
    other = make(app, create_component, code="L-2", name="Logopeed")
    ours = []
    for name, price in {"Kallis OÜ": "45.00", "Odav OÜ": "19.90", "Keskmine OÜ": "30.00"}.items():
        provider = make(app, create_provider, kinds=("supplementary",), name=name)
        ours.append(make(app, create_offer, provider=provider, component=supply["component"], price=Decimal(price)).id)
    make(app, create_offer, provider=supply["provider"], component=other, price=Decimal("5.00"))

    url = URL + "action/all/?action=compare&search=Füsioteraapia"
    assert "all-matching-count" in page(manager, url)
    response = manager.post(url, data={"csrf_token": csrf_token(manager, url), "confirmed": "3"})
    assert response.status_code == 302
    ids = unquote(response.headers["Location"].split("ids=")[1]).split(",")
    assert sorted(int(i) for i in ids) == sorted(ours), "exactly the matching offers"
    html = page(manager, response.headers["Location"])
    assert in_order(html, "Odav OÜ", "Keskmine OÜ", "Kallis OÜ") and "Logopeed" not in html


def test_compare_all_matching_refuses_more_offers_than_fit_side_by_side(app, manager, supply):
    for n in range(11):
        make(app, create_offer, provider=supply["provider"], component=supply["component"], price=Decimal(10 + n))
    url = URL + "action/all/?action=compare"
    response = manager.post(
        url, data={"csrf_token": csrf_token(manager, url), "confirmed": "11"}, follow_redirects=True
    )
    assert shown(app, "Narrow the list to at most %(max)s offers to compare them side by side.", max=10) in alerts(
        response.get_data(as_text=True)
    )


def test_delete_offer(app, manager, supply):
    offer = make(app, create_offer, provider=supply["provider"])

    delete(manager, URL, offer.id)

    assert count(app, Offer) == 0


BAD = [
    (
        "received before asked",
        {"received_on": "04.01.2026"},
        "received_on",
        "An offer cannot arrive before it was asked for.",
    ),
    (
        "expires before it arrived",
        {"valid_until": "11.01.2026"},
        "valid_until",
        "The offer cannot expire before it arrived.",
    ),
    ("negative price", {"price": "-1,00"}, "price", "The price cannot be negative."),
    ("received without date", {"received_on": ""}, "received_on", "Give the date the offer arrived."),
    ("accepted without price", {"status": "accepted", "price": ""}, "price", "Give the price offered."),
    ("asked date missing", {"asked_on": ""}, "asked_on", None),
    ("date typed wrong", {"asked_on": "5.1.26x"}, "asked_on", "Give a date as dd.mm.yyyy, e.g. 24.02.2026."),
]


@pytest.mark.parametrize("changes, field, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_offer_is_refused_and_nothing_saved(app, manager, supply, changes, field, message):
    make(app, create_offer, provider=supply["provider"], component=supply["component"])
    before = snapshot(app, Offer)

    response = post_form(manager, URL + "new/", new(supply, **changes))

    refused(response, field, message and shown(app, message))
    assert snapshot(app, Offer) == before


def test_bad_edit_changes_nothing(app, manager, supply):
    saved(post_form(manager, URL + "new/", new(supply)))
    offer = fetch(app, Offer)
    before = snapshot(app, Offer)

    response = submit(manager, f"{URL}edit/?id={offer.id}", {"received_on": "01.01.2026", "notes": "muudetud"})

    refused(response, "received_on", shown(app, "An offer cannot arrive before it was asked for."))
    assert snapshot(app, Offer) == before
