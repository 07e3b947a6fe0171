"""The provider register (/admin/providers/): staff inline, codes checked, kept by case managers."""

from datetime import date, timedelta

import pytest

from models import Offer, Provider, ProviderStaff
from tests.admin_app.helpers import (
    ajax_update,
    alerts,
    archived_long_ago,
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
from tests.conftest import count, create_municipality, create_offer, create_provider, fetch, post_form

URL = "/admin/providers/"
BAD_CODE = "Not a valid Estonian registry code (registrikood): 8 digits with a valid check digit."
BAD_IBAN = "Not a valid IBAN (check the country code, length and check digits)."
NEW = {
    "registry_code": " 10045216 ",
    "name": "Abi ja Tugi OÜ",
    "is_base_support": "y",
    "is_supplementary": "y",
    "contact_person": "Mari Maasikas",
    "email": "info@abi.ee",
    "phone": "+372 5555 1234",
    "iban": "ee38 2200 2210 2014 5685",
    "active": "y",
    "notes": "Töötab ka nädalavahetusel.",
    "staff-0-name": "Tiina Tamm",
    "staff-0-qualification": "Tegevusjuhendaja",
    "staff-0-certificate_number": "TJ-123",
    "staff-0-certificate_valid_until": "31.12.2027",
    "staff-1-name": "Peeter Paju",
    "staff-1-qualification": "Psühholoog",
}


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


def tables(app):
    return snapshot(app, Provider, ProviderStaff)


def test_case_manager_adds_provider_with_staff(app, manager):
    saved(post_form(manager, URL + "new/", NEW))

    provider = fetch(app, Provider, Provider.registry_code == "10045216")
    assert provider.name == "Abi ja Tugi OÜ"
    assert provider.iban == "EE382200221020145685", "IBAN is kept compact, upper case"
    assert (provider.is_base_support, provider.is_component, provider.is_supplementary) == (True, False, True)
    assert provider.notes == "Töötab ka nädalavahetusel."
    tiina = fetch(app, ProviderStaff, ProviderStaff.name == "Tiina Tamm")
    assert (tiina.provider_id, tiina.certificate_valid_until) == (provider.id, date(2027, 12, 31))
    assert count(app, ProviderStaff, ProviderStaff.provider_id == provider.id) == 2


def test_details_show_the_values_as_an_office_reads_them(app, manager):
    saved(post_form(manager, URL + "new/", NEW))
    provider = fetch(app, Provider)

    html = page(manager, f"{URL}details/?id={provider.id}")
    for text in ("10045216", "Abi ja Tugi OÜ", "EE38 2200 2210 2014 5685", "Tiina Tamm", "31.12.2027", "Peeter Paju"):
        assert text in html
    assert shown(app, "Base support") in html and shown(app, "Supplementary support") in html


def test_edit_changes_fields_and_keeps_staff(app, manager):
    saved(post_form(manager, URL + "new/", NEW))
    provider = fetch(app, Provider)

    saved(submit(manager, f"{URL}edit/?id={provider.id}", {"name": "Abi ja Tugi MTÜ", "staff-0-qualification": "Juht"}))

    assert fetch(app, Provider).name == "Abi ja Tugi MTÜ"
    assert fetch(app, ProviderStaff, ProviderStaff.name == "Peeter Paju").qualification == "Juht"
    assert count(app, ProviderStaff) == 2


def test_edit_removes_a_staff_row(app, manager):
    saved(post_form(manager, URL + "new/", NEW))
    provider = fetch(app, Provider)

    saved(submit(manager, f"{URL}edit/?id={provider.id}", {"del-staff-0": "y"}))

    assert count(app, ProviderStaff) == 1


def test_search_finds_by_name_and_registry_code(app, manager):
    a = make(app, create_provider, name="Päikese Tugikeskus")
    b = make(app, create_provider, name="Kuu Abi OÜ")

    html = page(manager, URL + "?search=päikese")
    assert a.name in html and b.name not in html
    html = page(manager, URL + f"?search={b.registry_code}")
    assert b.name in html and a.name not in html


def test_filter_by_kind_and_by_certificate(app, manager):
    base = make(app, create_provider, kinds=("base",), name="Baas OÜ")
    extra = make(app, create_provider, kinds=("supplementary",), name="Lisa OÜ")
    with app.app_context():
        from models import db

        db.session.add(ProviderStaff(provider_id=extra.id, name="T", certificate_valid_until=date.today()))
        db.session.commit()

    html = page(manager, URL + "?" + filter_arg(app, "providers", "Supplementary support", "BooleanEqualFilter") + "=1")
    assert extra.name in html and base.name not in html
    html = page(manager, URL + "?" + filter_arg(app, "providers", "Staff certificate", "CertificateFilter") + "=1")
    assert extra.name in html and base.name not in html
    assert shown(app, "expires soon") in html


def test_expired_certificate_is_marked(app, manager):
    provider = make(app, create_provider)
    with app.app_context():
        from models import db

        yesterday = date.today() - timedelta(days=1)
        db.session.add(ProviderStaff(provider_id=provider.id, name="Aegunud Aino", certificate_valid_until=yesterday))
        db.session.commit()

    html = page(manager, URL)
    assert "Aegunud Aino" in html and shown(app, "expired") in html


def test_sort_by_name_both_ways(app, manager):
    for name in ("Bravo OÜ", "Alfa OÜ", "Charlie OÜ"):
        make(app, create_provider, name=name)

    assert in_order(page(manager, URL + "?" + sort_arg(app, "providers", "name")), "Alfa OÜ", "Bravo OÜ", "Charlie OÜ")
    html = page(manager, URL + "?" + sort_arg(app, "providers", "name", desc=True))
    assert in_order(html, "Charlie OÜ", "Bravo OÜ", "Alfa OÜ")


def test_list_edit_of_phone(app, manager):
    provider = make(app, create_provider)

    response = ajax_update(manager, URL, provider.id, "phone", "+372 600 0000")

    assert response.status_code == 200
    assert fetch(app, Provider).phone == "+372 600 0000"


def test_list_edit_of_email_refuses_a_bad_address(app, manager):
    provider = make(app, create_provider, email="vana@abi.ee")

    response = ajax_update(manager, URL, provider.id, "email", "not an e-mail")

    assert response.status_code == 400, "a refusal with its reason, not a server error"
    assert "Vigane e-posti aadress" in response.get_data(as_text=True), "the reason, on the cell"
    assert fetch(app, Provider).email == "vana@abi.ee"


def test_delete_removes_provider_and_staff(app, manager):
    saved(post_form(manager, URL + "new/", NEW))
    provider = fetch(app, Provider)
    archived_long_ago(app, Provider, provider.id)

    delete(signed_in(app, app.test_client(), "admin"), URL, provider.id)

    assert count(app, Provider) == 0 and count(app, ProviderStaff) == 0


def test_delete_of_a_provider_with_offers_is_refused(app, manager):
    offer = make(app, create_offer)
    archived_long_ago(app, Provider, offer.provider_id)
    before = snapshot(app, Provider, Offer)

    html = delete(signed_in(app, app.test_client(), "admin"), URL, offer.provider_id).get_data(as_text=True)

    assert snapshot(app, Provider, Offer) == before
    assert not_saved_alert(app, html), alerts(html)


BAD = [
    ("registry_code", "10045217", BAD_CODE),
    ("registry_code", "1004521", BAD_CODE),
    ("iban", "EE38 2200 2210 2014 5686", BAD_IBAN),
    ("iban", "EE38", BAD_IBAN),
    ("staff-0-certificate_valid_until", "31.13.2027", "Give a date as dd.mm.yyyy, e.g. 24.02.2026."),
]


@pytest.mark.parametrize("field, value, message", BAD, ids=[f"{f}={v}" for f, v, _ in BAD])
def test_bad_input_on_create_is_refused_and_nothing_saved(app, manager, field, value, message):
    make(app, create_provider)
    before = tables(app)

    response = post_form(manager, URL + "new/", {**NEW, field: value})

    refused(response, field, shown(app, message))
    assert tables(app) == before


def test_provider_without_a_kind_is_refused(app, manager):
    data = {k: v for k, v in NEW.items() if not k.startswith("is_")}

    response = post_form(manager, URL + "new/", data)

    refused(
        response,
        "is_base_support",
        shown(app, "Choose at least one kind: base support, service components or supplementary support."),
    )
    assert count(app, Provider) == 0 and count(app, ProviderStaff) == 0


def test_same_registry_code_twice_is_refused(app, manager):
    other = make(app, create_provider, registry_code="10045216")
    before = tables(app)

    response = post_form(manager, URL + "new/", NEW)

    refused(response, "registry_code")  # form check and domain rule: the same words
    assert tables(app) == before
    assert fetch(app, Provider).name == other.name


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("iban", "EE00 1234", BAD_IBAN),
        ("registry_code", "abc", BAD_CODE),
    ],
)
def test_bad_input_on_edit_changes_nothing(app, manager, field, value, message):
    saved(post_form(manager, URL + "new/", NEW))
    provider = fetch(app, Provider)
    before = tables(app)

    response = submit(manager, f"{URL}edit/?id={provider.id}", {field: value, "name": "Uus nimi", "del-staff-1": "y"})

    refused(response, field, shown(app, message))
    assert tables(app) == before


def test_edit_to_a_code_another_provider_has_is_refused(app, manager):
    make(app, create_provider, registry_code="10045216")
    mine = make(app, create_provider, registry_code="10137319")
    before = tables(app)

    response = submit(manager, f"{URL}edit/?id={mine.id}", {"registry_code": "10045216"})

    refused(response, "registry_code")  # form check and domain rule: the same words
    assert tables(app) == before


def test_municipality_is_chosen_from_the_list(app, manager):
    rapla = make(app, create_municipality, name="Rapla vald")

    saved(post_form(manager, URL + "new/", {**NEW, "municipality": str(rapla.id)}))

    assert fetch(app, Provider).municipality_id == rapla.id
    html = page(manager, URL + "?" + filter_arg(app, "providers", "Municipality", "FilterLike") + "=rapla")
    assert "Abi ja Tugi OÜ" in html


def test_delete_selected_removes_the_chosen_providers_only(app, manager):
    """The list's bulk "delete selected" action, on SQLite and PostgreSQL alike."""
    a = make(app, create_provider, name="Esimene OÜ")
    b = make(app, create_provider, name="Teine OÜ")
    kept = make(app, create_provider, name="Kolmas OÜ")
    archived_long_ago(app, Provider, a.id, b.id, kept.id)
    admin = signed_in(app, app.test_client(), "admin")

    response = post_form(admin, URL + "action/", {"action": "delete", "rowid": [str(a.id), str(b.id)]}, form_url=URL)

    assert response.status_code == 302
    assert count(app, Provider) == 1
    assert fetch(app, Provider).id == kept.id
