"""The supervision register (/admin/supervision/): inspections, violations, deadlines to remedy."""

from datetime import date, timedelta

import pytest

from models import Inspection, Violation
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    delete,
    filter_arg,
    form_values,
    in_order,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    submit,
)
from tests.conftest import count, create_client, create_provider, csrf_token, fetch, post_form

pytestmark = TUPLE_CHOICES

URL = "/admin/supervision/"
TODAY = date.today()
INSPECTED = TODAY - timedelta(days=40)


def d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


@pytest.fixture
def provider(app):
    return make(app, create_provider, name="Abi ja Tugi OÜ")


def new(provider, /, **changes) -> dict:
    data = {
        "provider": str(provider.id),
        "inspected_on": d(INSPECTED),
        "inspector": "Kati Kontroll",
        "findings": "Tegevusjuhendajate kvalifikatsioon ja arveldus kontrollitud.",
        "violations-0-kind": "qualification",
        "violations-0-severity": "severe",
        "violations-0-description": "Tegevusjuhendajal puudub kutsetunnistus",
        "violations-0-remedy_by": d(TODAY - timedelta(days=5)),
        "violations-0-status": "open",
        "violations-1-kind": "billing",
        "violations-1-severity": "minor",
        "violations-1-description": "Arvel vale ühikuhind",
        "violations-1-remedy_by": d(TODAY + timedelta(days=20)),
        "violations-1-status": "open",
        "violations-2-kind": "documentation",
        "violations-2-severity": "minor",
        "violations-2-remedy_by": d(INSPECTED + timedelta(days=10)),
        "violations-2-status": "remedied",
        "violations-2-remedied_on": d(INSPECTED + timedelta(days=7)),
    }
    data.update(changes)
    return data


def tables(app):
    return snapshot(app, Inspection, Violation)


def test_create_an_inspection_with_violations(app, manager, provider):
    client = make(app, create_client, first_name="Maie", last_name="Mägi")
    assert form_values(page(manager, URL + "new/"))["inspector"] == ["Case Manager"], "the signed-in user"

    saved(post_form(manager, URL + "new/", new(provider, client=str(client.id))))

    inspection = fetch(app, Inspection)
    assert (inspection.provider_id, inspection.client_id, inspection.inspected_on) == (
        provider.id,
        client.id,
        INSPECTED,
    )
    assert count(app, Violation) == 3
    remedied = fetch(app, Violation, Violation.kind == "documentation")
    assert (remedied.status, remedied.remedied_on) == ("remedied", INSPECTED + timedelta(days=7))


def test_list_counts_violations_by_severity_and_flags_those_past_deadline(app, manager, provider):
    saved(post_form(manager, URL + "new/", new(provider)))

    html = page(manager, URL)
    assert 'badge-danger">1 ' + shown(app, "Severe") in html
    assert 'badge-secondary">2 ' + shown(app, "Minor") in html
    assert 'badge-danger">' + shown(app, "%(num)s open past deadline", num=1) in html
    assert "Abi ja Tugi OÜ" in html and d(INSPECTED) in html

    html = page(manager, f"{URL}details/?id={fetch(app, Inspection).id}")
    assert in_order(html, 'class="table-danger"', shown(app, "Qualification"), shown(app, "past deadline"))
    assert html.count('class="table-danger"') == 1
    assert "Arvel vale ühikuhind" in html


def test_remedying_a_violation_clears_its_flag(app, manager, provider):
    saved(post_form(manager, URL + "new/", new(provider)))
    inspection = fetch(app, Inspection)
    url = f"{URL}edit/?id={inspection.id}"
    form = form_values(page(manager, url))
    row = next(i for i in range(3) if form[f"violations-{i}-kind"] == ["qualification"])

    saved(submit(manager, url, {f"violations-{row}-status": "remedied", f"violations-{row}-remedied_on": d(TODAY)}))

    assert fetch(app, Violation, Violation.kind == "qualification").status == "remedied"
    assert shown(app, "%(num)s open past deadline", num=1) not in page(manager, URL)


BAD = [
    (
        "remedy deadline before the inspection",
        {"violations-1-remedy_by": d(INSPECTED - timedelta(days=1))},
        ["violations-1-remedy_by", "violations"],
        "A deadline to remedy cannot be before the inspection.",
    ),
    (
        "remedied without a date",
        {"violations-2-remedied_on": ""},
        ["violations-2-remedied_on", "violations"],
        "Give the date a violation was remedied.",
    ),
    (
        "remedied before found",
        {"violations-2-remedied_on": d(INSPECTED - timedelta(days=1))},
        ["violations-2-remedied_on"],
        "A violation cannot be remedied before it was found.",
    ),
    (
        "remedy date but still open",
        {"violations-1-remedied_on": d(TODAY)},
        ["violations-1-status"],
        "A remedy date is given, but the status is not 'Remedied'.",
    ),
    ("inspection in the future", {"inspected_on": d(TODAY + timedelta(days=1))}, ["inspected_on"], None),
    ("no inspector", {"inspector": " "}, ["inspector"], None),
    ("no provider", {"provider": "__None"}, ["provider"], None),
]


@pytest.mark.parametrize("changes, fields, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inspection_is_refused_and_nothing_saved(app, manager, provider, changes, fields, message):
    before = tables(app)

    response = post_form(manager, URL + "new/", new(provider, **changes))

    for field in fields:
        refused(response, field, message and shown(app, message))
    assert tables(app) == before


def test_bad_edit_changes_nothing(app, manager, provider):
    saved(post_form(manager, URL + "new/", new(provider)))
    inspection = fetch(app, Inspection)
    before = tables(app)

    response = submit(
        manager,
        f"{URL}edit/?id={inspection.id}",
        {"findings": "Muudetud", "inspected_on": d(INSPECTED + timedelta(days=30))},
    )

    refused(response, "violations", shown(app, "A deadline to remedy cannot be before the inspection."))
    assert tables(app) == before


def test_search_filter_and_delete(app, manager, provider):
    other = make(app, create_provider, name="Kodune Abi MTÜ")
    saved(post_form(manager, URL + "new/", new(provider)))
    quiet = new(other, inspector="Peeter Paju", findings="Rikkumisi ei leitud.")
    quiet = {k: v for k, v in quiet.items() if not k.startswith("violations-")}
    quiet["inspected_on"] = d(INSPECTED - timedelta(days=100))
    saved(post_form(manager, URL + "new/", quiet))

    html = page(manager, URL + "?search=rikkumisi")
    assert "Kodune Abi MTÜ" in html and "Abi ja Tugi OÜ" not in html
    html = page(manager, URL + "?search=kodune")
    assert "Kodune Abi MTÜ" in html and "Abi ja Tugi OÜ" not in html

    def only(arg: str, value: str, expected: str, absent: str) -> None:
        html = page(manager, f"{URL}?{arg}={value}")
        assert expected in html and absent not in html, (arg, value)

    only(filter_arg(app, "supervision", "Provider", "FilterEqual"), "Kodune Abi MTÜ", "Kodune Abi", "Abi ja Tugi OÜ")
    date_arg = filter_arg(app, "supervision", "Date", "DateGreaterFilter")
    only(date_arg, f"{INSPECTED - timedelta(days=1):%Y-%m-%d}", "Abi ja Tugi OÜ", "Kodune Abi")
    kind_arg = filter_arg(app, "supervision", "Violation kind", "ViolationFilter")
    only(kind_arg, "billing", "Abi ja Tugi OÜ", "Kodune Abi")
    assert "Abi ja Tugi OÜ" not in page(manager, f"{URL}?{kind_arg}=safety")
    status_arg = filter_arg(app, "supervision", "Violation status", "ViolationFilter")
    only(status_arg, "remedied", "Abi ja Tugi OÜ", "Kodune Abi")
    overdue_arg = filter_arg(app, "supervision", "Open past deadline", "OverdueViolationFilter")
    only(overdue_arg, "1", "Abi ja Tugi OÜ", "Kodune Abi")
    only(overdue_arg, "0", "Kodune Abi", "Abi ja Tugi OÜ")
    assert page(manager, URL).count("Abi ja Tugi OÜ") == page(manager, f"{URL}?{kind_arg}=billing").count(
        "Abi ja Tugi OÜ"
    ), "a filter on violations does not repeat the inspection once per violation"

    delete(manager, URL, fetch(app, Inspection, Inspection.provider_id == provider.id).id)
    assert count(app, Inspection) == 1 and count(app, Violation) == 0


@pytest.mark.parametrize("role", ["head", "case_manager"])
def test_head_and_case_manager_read_and_write(app, client, provider, role):
    signed_in(app, client, role)
    saved(post_form(client, URL + "new/", new(provider)))
    inspection = fetch(app, Inspection)
    page(client, URL)
    page(client, f"{URL}details/?id={inspection.id}")
    saved(submit(client, f"{URL}edit/?id={inspection.id}", {"findings": "Muudetud"}))
    assert fetch(app, Inspection).findings == "Muudetud"


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_accountant_and_registrar_are_refused(app, client, provider, role):
    signed_in(app, client, "case_manager")
    saved(post_form(client, URL + "new/", new(provider)))
    inspection = fetch(app, Inspection)
    before = tables(app)

    other = signed_in(app, app.test_client(), role)
    for url in (URL, URL + "new/", f"{URL}details/?id={inspection.id}", f"{URL}edit/?id={inspection.id}"):
        assert other.get(url).status_code == 403, url
    token = csrf_token(other, "/admin/")
    assert other.post(URL + "delete/", data={"id": str(inspection.id), "csrf_token": token}).status_code == 403
    assert other.post(URL + "new/", data={**new(provider), "csrf_token": token}).status_code == 403
    assert tables(app) == before


def test_deleting_selected_inspections(app, manager, provider):
    saved(post_form(manager, URL + "new/", new(provider, inspector="Esimene")))
    saved(post_form(manager, URL + "new/", new(provider, inspector="Teine")))
    ids = [str(fetch(app, Inspection, Inspection.inspector == t).id) for t in ("Esimene", "Teine")]

    data = {"action": "delete", "rowid": ids, "csrf_token": csrf_token(manager, URL)}
    assert manager.post(URL + "action/", data=data).status_code == 302

    assert count(app, Inspection) == 0 and count(app, Violation) == 0
