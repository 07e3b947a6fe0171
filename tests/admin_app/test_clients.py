"""The client register (/admin/clients/): personal code, network, the pilot's eligibility rule."""

from datetime import date
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from models import Client, NetworkMember, Provider, codes, db
from models.clients import found_by
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    ajax_update,
    archived_long_ago,
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
    sort_arg,
    submit,
)
from tests.conftest import count, create_client, create_provider, fetch, post_form

pytestmark = TUPLE_CHOICES

URL = "/admin/clients/"
CODE = "48504121235"  # a woman born 12.04.1985
AGED_70 = codes.make_personal_code(date(date.today().year - 70, 3, 1), "M", 5)


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


def new(**changes) -> dict:
    data = {
        "personal_code": f" {CODE} ",
        "first_name": "Maie",
        "last_name": "Mägi",
        "phone": "+372 5123 4567",
        "email": "maie@example.ee",
        "address": "Tallinna mnt 1, Rapla",
        "target_group": "pilot",
        "status": "active",
        "consent_given": "y",
        "consent_date": "15.01.2026",
        "disability": "severe",
        "main_diagnosis": "f20.0",
        "notes": "Eelistab kohtumisi hommikul.",
        "network-0-role": "guardian",
        "network-0-name": "Jaan Mägi",
        "network-0-relation": "vend",
        "network-0-phone": "+372 5000 0000",
        "network-1-role": "specialist",
        "network-1-name": "Dr Kask",
    }
    data.update(changes)
    return data


def tables(app):
    return snapshot(app, Client, NetworkMember)


def test_create_derives_birth_date_and_sex_from_the_personal_code(app, manager):
    saved(post_form(manager, URL + "new/", new()))

    client = fetch(app, Client)
    assert (client.personal_code, client.birth_date, client.sex) == (CODE, date(1985, 4, 12), "F")
    assert (client.status, client.main_diagnosis, client.consent_date) == ("active", "F20.0", date(2026, 1, 15))
    guardian = fetch(app, NetworkMember, NetworkMember.role == "guardian")
    assert (guardian.client_id, guardian.name, guardian.relation) == (client.id, "Jaan Mägi", "vend")
    assert count(app, NetworkMember) == 2


def test_details_show_the_derived_values_and_network(app, manager):
    saved(post_form(manager, URL + "new/", new()))

    html = page(manager, f"{URL}details/?id={fetch(app, Client).id}")

    assert "12.04.1985" in html and "1985-04-12" not in html
    assert shown(app, "female") in html
    assert "15.01.2026" in html
    assert "Jaan Mägi" in html and shown(app, "Guardian") in html and "Dr Kask" in html
    assert shown(app, "eligible") in html


def test_edit_pauses_the_client_and_keeps_the_network(app, manager):
    saved(post_form(manager, URL + "new/", new()))
    client = fetch(app, Client)

    saved(submit(manager, f"{URL}edit/?id={client.id}", {"status": "paused", "network-0-phone": "555"}))

    client = fetch(app, Client)
    assert (client.status, client.birth_date, client.target_group, client.disability) == (
        "paused",
        date(1985, 4, 12),
        "pilot",
        "severe",
    )
    assert fetch(app, NetworkMember, NetworkMember.name == "Dr Kask").phone == "555"


def test_exit_with_date_and_reason(app, manager):
    saved(post_form(manager, URL + "new/", new()))
    client = fetch(app, Client)

    changes = {"status": "exited", "exit_date": "30.06.2026", "exit_reason": "goals_met"}
    saved(submit(manager, f"{URL}edit/?id={client.id}", changes))

    client = fetch(app, Client)
    assert (client.status, client.exit_date, client.exit_reason) == ("exited", date(2026, 6, 30), "goals_met")
    assert "30.06.2026" in page(manager, URL)


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"personal_code": AGED_70}, "has reached pension age"),
        ({"main_diagnosis": "F10.2"}, "main diagnosis is dementia or alcohol dependence"),
        ({"disability": "moderate"}, "has no severe, profound or permanent disability established"),
        ({"on_state_services": "y"}, "receives state special-welfare or social rehabilitation services"),
    ],
    ids=["aged 70", "alcohol dependence", "moderate disability", "on state services"],
)
def test_ineligible_pilot_client_is_refused_as_active_but_saves_as_applicant(app, manager, changes, reason):
    response = post_form(manager, URL + "new/", new(**changes))

    why = shown(app, reason)
    refused(
        response, "status", shown(app, "Not eligible for the pilot, so only an applicant: the client %(why)s.", why=why)
    )
    assert count(app, Client) == 0 and count(app, NetworkMember) == 0

    saved(post_form(manager, URL + "new/", new(status="applicant", **changes)))
    assert fetch(app, Client).status == "applicant"
    assert why in page(manager, URL), "the list says why"


BAD = [
    (
        "check digit wrong",
        {"personal_code": "48504121236"},
        "personal_code",
        "Not a valid Estonian personal ID code (isikukood): 11 digits with a valid birth date and check digit.",
    ),
    (
        "not a date",
        {"personal_code": "48513121235"},
        "personal_code",
        "Not a valid Estonian personal ID code (isikukood): 11 digits with a valid birth date and check digit.",
    ),
    (
        "born in the future",
        {"personal_code": codes.make_personal_code(date(2099, 1, 1), "M", 1)},
        "personal_code",
        "This personal ID code gives a birth date in the future.",
    ),
    (
        "exited without date",
        {"status": "exited", "exit_reason": "moved"},
        "exit_date",
        "An exited client needs the exit date.",
    ),
    (
        "exited without reason",
        {"status": "exited", "exit_date": "01.03.2026"},
        "exit_reason",
        "An exited client needs the reason for leaving.",
    ),
    (
        "exit date while active",
        {"exit_date": "01.03.2026"},
        "status",
        "An exit date or reason is given, but the status is not 'Exited'.",
    ),
    ("consent without date", {"consent_date": ""}, "consent_date", "Give the date consent was given."),
    ("diagnosis not ICD-10", {"main_diagnosis": "skisofreenia"}, "main_diagnosis", None),
    ("network member without name", {"network-1-name": ""}, "network-1-name", None),
]


@pytest.mark.parametrize("changes, field, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_client_is_refused_and_nothing_saved(app, manager, changes, field, message):
    make(app, create_client)
    before = tables(app)

    response = post_form(manager, URL + "new/", new(**changes))

    refused(response, field, message and shown(app, message))
    assert tables(app) == before


def test_same_personal_code_twice_is_refused(app, manager):
    make(app, create_client, personal_code=CODE, born=date(1985, 4, 12))
    before = tables(app)

    refused(post_form(manager, URL + "new/", new()), "personal_code")

    assert tables(app) == before


def test_base_provider_is_chosen_among_base_support_providers(app, manager):
    base = make(app, create_provider, kinds=("base",), name="Baastugi OÜ")
    make(app, create_provider, kinds=("supplementary",), name="Lisatugi OÜ")

    html = page(manager, URL + "new/")
    assert "Baastugi OÜ" in html and "Lisatugi OÜ" not in html, "only base-support providers are offered"
    saved(post_form(manager, URL + "new/", new(base_provider=str(base.id))))
    assert fetch(app, Client).base_provider_id == base.id


def test_provider_without_base_support_is_refused_as_base_provider(app, manager):
    other = make(app, create_provider, kinds=("supplementary",), name="Lisatugi OÜ")

    refused(post_form(manager, URL + "new/", new(base_provider=str(other.id))), "base_provider")
    assert count(app, Client) == 0


def test_base_provider_that_lost_its_kind_is_kept_on_the_form_and_named(app, manager):
    """A provider no longer doing base support stays selected on the client's form; saving says why
    it no longer fits instead of quietly dropping it."""
    base = make(app, create_provider, kinds=("base",), name="Endine Baastugi OÜ")
    saved(post_form(manager, URL + "new/", new(base_provider=str(base.id))))
    client = fetch(app, Client)
    with app.app_context():
        db.session.execute(sa.update(Provider).values(is_base_support=False, is_component=True))
        db.session.commit()
    before = tables(app)

    url = f"{URL}edit/?id={client.id}"
    assert form_values(page(manager, url))["base_provider"] == [str(base.id)]
    response = submit(manager, url, {"phone": "+372 5999 9999"})

    refused(response, "base_provider", "Endine Baastugi OÜ")
    assert tables(app) == before


def test_bad_edit_changes_nothing(app, manager):
    saved(post_form(manager, URL + "new/", new()))
    client = fetch(app, Client)
    before = tables(app)

    response = submit(manager, f"{URL}edit/?id={client.id}", {"status": "exited", "first_name": "Muudetud"})

    refused(response, "exit_date", shown(app, "An exited client needs the exit date."))
    assert tables(app) == before


def test_search_filter_sort_list_edit_and_delete(app, manager):
    a = make(app, create_client, first_name="Anu", last_name="Aasa", status="applicant")
    make(app, create_client, first_name="Mart", last_name="Mets", status="paused", target_group="youth")
    make(app, create_client, first_name="Ülle", last_name="Zeiger", status="applicant")

    html = page(manager, URL + "?search=mets")
    assert "Mets" in html and "Aasa" not in html
    html = page(manager, URL + f"?search={a.personal_code}")
    assert "Aasa" in html and "Mets" not in html
    html = page(manager, URL + "?" + filter_arg(app, "clients", "Status", "FilterEqual") + "=paused")
    assert "Mets" in html and "Aasa" not in html and "Zeiger" not in html
    assert in_order(page(manager, URL + "?" + sort_arg(app, "clients", "last_name")), "Aasa", "Mets", "Zeiger")
    assert in_order(
        page(manager, URL + "?" + sort_arg(app, "clients", "last_name", desc=True)), "Zeiger", "Mets", "Aasa"
    )

    assert ajax_update(manager, URL, a.id, "phone", "+372 5999 9999").status_code == 200
    assert fetch(app, Client, Client.id == a.id).phone == "+372 5999 9999"

    # Deleting is the administrator's, once the client has been archived for the retention period.
    archived_long_ago(app, Client, a.id)
    delete(signed_in(app, app.test_client(), "admin"), URL, a.id)
    assert count(app, Client) == 2 and count(app, Client, Client.id == a.id) == 0


def test_delete_removes_the_network_too(app, manager):
    saved(post_form(manager, URL + "new/", new()))

    archived_long_ago(app, Client, fetch(app, Client).id)
    delete(signed_in(app, app.test_client(), "admin"), URL, fetch(app, Client).id)

    assert count(app, Client) == 0 and count(app, NetworkMember) == 0


SEARCHED_PEOPLE = [
    # first name, last name, e-mail, phone
    ("Mari", "Tamm", "mari.tamm@vald.ee", "+372 5551 2345"),
    ("Jüri", "Õunapuu", None, "+372 5123 4567"),
    ("Anu", "Tammsaar", "anu@kyla.ee", None),
    ("Peeter", "Mättas", None, None),
    ("Liis", "Kask_100%", "liis@tamme.ee", None),
    ("Kalle", "Kuusk", None, "+372 5999 0000"),
]
SEARCHES = ("tamm", "TAMM", "mari tamm", "õunapuu", "ÕUNAPUU", "ätt", "kask_1", "100%", "vald.ee", "5551", "ee")
SEARCHES += ("tamme", "ta", "ju", "4860", "mari kask", '"tamm"', "^Tamm", "=Kuusk", "kuu sk")


def _expected(search: str, codes_of: dict[str, str]) -> set[str]:
    """What the search finds, by its rule: every word in the personal code, a name, the phone or the
    e-mail, whatever the case (``^word``: at the start; ``=word``: the whole value)."""
    found = set()
    for first, last, email, phone in SEARCHED_PEOPLE:
        values = [v.casefold() for v in (codes_of[last], first, last, email or "", phone or "")]

        def has(word: str, values=values) -> bool:
            if word.startswith("^"):
                return any(v.startswith(word[1:].casefold()) for v in values)
            if word.startswith("="):
                return any(v == word[1:].casefold() for v in values)
            return any(word.casefold() in v for v in values)

        if all(has(word) for word in search.split()):
            found.add(last)
    return found


def test_the_client_search_finds_the_same_on_sqlite_and_postgresql(app, client):
    """The same searches find the same clients on both databases (SQLite from its FTS5 trigram
    index, PostgreSQL by LIKE over its pg_trgm indexes): every word anywhere in a name, the personal
    code, the phone or the e-mail, whatever the case, non-ASCII letters included; ``%`` and ``_``
    are letters. Run on each database, this test compares each with the rule itself."""
    head = signed_in(app, client, "head")
    codes_of = {}
    for first, last, email, phone in SEARCHED_PEOPLE:
        made = make(app, create_client, first_name=first, last_name=last, email=email, phone=phone)
        codes_of[last] = made.personal_code
    for search in SEARCHES + (codes_of["Kuusk"][3:9],):
        html = page(head, URL + "?" + urlencode({"search": search}))
        shown_names = {last for last, code in codes_of.items() if code in html}
        assert shown_names == _expected(search, codes_of), search


def test_the_sqlite_search_index_follows_every_change(app, client):
    """The FTS5 table is kept by triggers: a client renamed is found by the new name only, a deleted
    one no more; the statement asks the index, not every row."""
    head = signed_in(app, client, "head")
    person = make(app, create_client, first_name="Mari", last_name="Vahtra")
    with app.app_context():
        db.session.get(Client, person.id).last_name = "Kivilo"
        db.session.commit()
    assert "Kivilo" in page(head, URL + "?search=kivilo")
    assert "Kivilo" not in page(head, URL + "?search=vahtra")
    with app.app_context():
        db.session.delete(db.session.get(Client, person.id))
        db.session.commit()
    assert "Kivilo" not in page(head, URL + "?search=kivilo")
    if app.config["BACKEND"] == "sqlite":
        with app.app_context():
            found = db.session.scalars(sa.select(Client.id).where(*found_by("mari vahtra"))).all()
            sql = str(sa.select(Client.id).where(*found_by("mari")).compile(db.engine))
        assert found == [] and "client_search MATCH" in sql
