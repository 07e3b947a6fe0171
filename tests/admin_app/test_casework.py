"""The case-work registers: need assessments (/admin/assessments/), procedural steps
(/admin/case-steps/) and counselling (/admin/counselling/)."""

from datetime import date, timedelta

import pytest

from models import Assessment, CaseStep, Counselling, LifeArea, NetworkMember, StepKind, User, db
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    alerts,
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
from tests.conftest import count, create_client, create_provider, csrf_token, fetch

pytestmark = TUPLE_CHOICES

ASSESSMENTS = "/admin/assessments/"
STEPS = "/admin/case-steps/"
COUNSELLING = "/admin/counselling/"
TODAY = date.today()
APPLIED = TODAY - timedelta(days=90)


def d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


def user_id(app, role: str = "case_manager") -> int:
    return fetch(app, User, User.email == f"{role.replace('_', '-')}@test.ee").id


@pytest.fixture
def people(app):
    """Two clients (Mägi applied 90 days ago, Aavik without an application date), a network member
    of each, and a provider."""
    maie = make(app, create_client, first_name="Maie", last_name="Mägi", applied_on=APPLIED)
    ants = make(app, create_client, first_name="Ants", last_name="Aavik")
    with app.app_context():
        members = [
            NetworkMember(client_id=maie.id, role="guardian", name="Jaan Mägi"),
            NetworkMember(client_id=ants.id, role="relative", name="Tiiu Aavik"),
        ]
        db.session.add_all(members)
        db.session.commit()
        jaan, tiiu = (m.id for m in members)
        db.session.remove()
    provider = make(app, create_provider, name="Abi ja Tugi OÜ")
    return {
        "maie": maie.id,
        "maie_code": maie.personal_code,
        "ants": ants.id,
        "jaan": jaan,
        "tiiu": tiiu,
        "provider": provider.id,
    }


def tables(app):
    return snapshot(app, Assessment, CaseStep, Counselling)


def add_steps(app, client_id: int, *steps: tuple[str, date, str]) -> list[int]:
    """Save steps (kind, day, note) as they stand, without the form."""
    with app.app_context():
        rows = [CaseStep(client_id=client_id, kind=StepKind(k), done_on=day, note=n) for k, day, n in steps]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
        db.session.remove()
    return ids


# --- Need assessments ---------------------------------------------------------------------------


def assessment(people, **changes) -> dict:
    data = {
        "client": str(people["maie"]),
        "assessed_on": d(TODAY - timedelta(days=30)),
        "housing_level": "great",
        "housing_note": "Üürileping lõpeb märtsis.",
        "income_level": "considerable",
        "income_note": "Võlad kommunaalmaksete eest.",
        "mental_health_level": "some",
        "social_level": "none",
        "summary": "Vajab eluaseme- ja rahaasjade tuge.",
        "decision": "services",
    }
    data.update(changes)
    return data


def test_new_assessment_is_dated_today_by_the_signed_in_case_manager(app, manager, people):
    values = form_values(page(manager, f"{ASSESSMENTS}new/?client_id={people['maie']}"))

    assert values["client"] == [str(people["maie"])]
    assert values["assessed_on"] == [d(TODAY)]
    assert values["assessor"] == [str(user_id(app))]
    assert all(values[f"{a.value}_level"] == ["none"] for a in LifeArea)


def test_create_assessment_with_levels_and_notes(app, manager, people):
    saved(submit(manager, ASSESSMENTS + "new/", assessment(people)))

    a = fetch(app, Assessment)
    assert (a.client_id, a.assessed_on, a.assessor_id) == (people["maie"], TODAY - timedelta(days=30), user_id(app))
    assert (a.housing_level, a.income_level, a.mental_health_level, a.safety_level) == (
        "great",
        "considerable",
        "some",
        "none",
    )
    assert (a.housing_note, a.decision) == ("Üürileping lõpeb märtsis.", "services")


def test_list_shows_great_and_considerable_needs_as_badges(app, manager, people):
    saved(submit(manager, ASSESSMENTS + "new/", assessment(people)))

    html = page(manager, ASSESSMENTS)
    housing, income, mental = (shown(app, label) for label in ("Housing", "Income and money", "Mental health"))
    assert f'class="badge badge-danger">{housing}<' in html
    assert f'class="badge badge-warning">{income}<' in html
    assert in_order(html, housing, income), "great need first"
    assert mental not in html, "some need is not flagged"
    assert shown(app, "Services needed") in html and "Maie Mägi" in html and d(TODAY - timedelta(days=30)) in html


def test_details_show_every_area_with_level_and_note(app, manager, people):
    saved(submit(manager, ASSESSMENTS + "new/", assessment(people)))

    html = page(manager, f"{ASSESSMENTS}details/?id={fetch(app, Assessment).id}")
    assert "assessment-areas" in html
    with app.test_request_context():
        assert all(str(area.label) in html for area in LifeArea)
    assert in_order(html, shown(app, "Housing"), shown(app, "Great need"), "Üürileping lõpeb märtsis.")
    assert shown(app, "No need") in html[html.find(shown(app, "Safety")) :]
    assert "Vajab eluaseme- ja rahaasjade tuge." in html


def test_edit_assessment_changes_one_area(app, manager, people):
    saved(submit(manager, ASSESSMENTS + "new/", assessment(people)))
    a = fetch(app, Assessment)

    saved(submit(manager, f"{ASSESSMENTS}edit/?id={a.id}", {"housing_level": "some", "safety_note": "Turvaline."}))

    a = fetch(app, Assessment)
    assert (a.housing_level, a.safety_note, a.income_level, a.housing_note) == (
        "some",
        "Turvaline.",
        "considerable",
        "Üürileping lõpeb märtsis.",
    )
    assert a.assessor_id == user_id(app), "the assessor is kept"


ASSESSMENT_REFUSALS = [
    ("before the application", {"assessed_on": d(APPLIED - timedelta(days=1))}, "assessed_on", "before"),
    ("in the future", {"assessed_on": d(TODAY + timedelta(days=1))}, "assessed_on", "This date is in the future."),
    ("no date", {"assessed_on": ""}, "assessed_on", None),
    ("no client", {"client": "__None"}, "client", None),
]


@pytest.mark.parametrize(
    "changes, field, message", [r[1:] for r in ASSESSMENT_REFUSALS], ids=[r[0] for r in ASSESSMENT_REFUSALS]
)
def test_bad_assessment_is_refused_and_nothing_saved(app, manager, people, changes, field, message):
    before = tables(app)

    response = submit(manager, ASSESSMENTS + "new/", assessment(people, **changes))

    if message == "before":
        message = shown(app, "This is before the application was received (%(day)s).", day=d(APPLIED))
    refused(response, field, message and shown(app, message))
    assert tables(app) == before


def test_bad_assessment_edit_changes_nothing(app, manager, people):
    saved(submit(manager, ASSESSMENTS + "new/", assessment(people)))
    a = fetch(app, Assessment)
    before = tables(app)

    response = submit(
        manager,
        f"{ASSESSMENTS}edit/?id={a.id}",
        {"assessed_on": d(APPLIED - timedelta(days=5)), "housing_level": "none"},
    )

    refused(response, "assessed_on")
    assert tables(app) == before


def test_assessments_search_filter_and_delete(app, manager, people):
    saved(submit(manager, ASSESSMENTS + "new/", assessment(people)))
    other = assessment(people, client=str(people["ants"]), decision="no_help", housing_level="none")
    other["assessed_on"] = d(TODAY - timedelta(days=200))
    saved(submit(manager, ASSESSMENTS + "new/", other))

    assert in_order(page(manager, ASSESSMENTS), "Maie Mägi", "Ants Aavik"), "newest first"
    for term in ("Mägi", people["maie_code"], "maie mägi"):
        html = page(manager, f"{ASSESSMENTS}?search={term}")
        assert "Maie Mägi" in html and "Ants Aavik" not in html, term

    html = page(
        manager, ASSESSMENTS + "?" + filter_arg(app, "assessments", "Decision on help", "FilterEqual") + "=no_help"
    )
    assert "Ants Aavik" in html and "Maie Mägi" not in html
    html = page(manager, ASSESSMENTS + "?" + filter_arg(app, "assessments", "Client", "ClientNameFilter") + "=ants aav")
    assert "Ants Aavik" in html and "Maie Mägi" not in html
    arg = filter_arg(app, "assessments", "Assessed on", "DateSmallerFilter")
    html = page(manager, f"{ASSESSMENTS}?{arg}={TODAY - timedelta(days=100):%Y-%m-%d}")
    assert "Ants Aavik" in html and "Maie Mägi" not in html
    arg = filter_arg(app, "assessments", "Assessor", "UserFilter")
    html = page(manager, f"{ASSESSMENTS}?{arg}={user_id(app)}")
    assert "Ants Aavik" in html and "Maie Mägi" in html
    assert f'value="{user_id(app)}"' in html, "the assessor is offered in the filter"
    html = page(manager, f"{ASSESSMENTS}?{arg}={user_id(app) + 1000}")
    assert "Ants Aavik" not in html and "Maie Mägi" not in html

    for n in range(4):  # every sortable column sorts on both databases
        page(manager, f"{ASSESSMENTS}?sort={n}&desc=1")

    delete(manager, ASSESSMENTS, fetch(app, Assessment, Assessment.client_id == people["ants"]).id)
    assert count(app, Assessment) == 1


# --- Procedural steps ---------------------------------------------------------------------------


def step(people, **changes) -> dict:
    data = {"client": str(people["maie"]), "kind": "assessed", "done_on": d(APPLIED + timedelta(days=10))}
    data.update(changes)
    return data


def test_new_step_is_today_by_the_signed_in_case_manager(app, manager, people):
    values = form_values(page(manager, f"{STEPS}new/?client_id={people['maie']}"))
    assert (values["client"], values["done_on"], values["by"]) == (
        [str(people["maie"])],
        [d(TODAY)],
        [str(user_id(app))],
    )

    saved(submit(manager, f"{STEPS}new/?client_id={people['maie']}", {"kind": "application", "note": "Taotlus"}))

    s = fetch(app, CaseStep)
    assert (s.client_id, s.kind, s.done_on, s.by_id, s.note) == (
        people["maie"],
        "application",
        TODAY,
        user_id(app),
        "Taotlus",
    )


def test_steps_read_as_a_timeline(app, manager, people):
    """By client (last name), then date, then a day's steps in the order of the procedure."""
    add_steps(
        app,
        people["maie"],
        ("closed", APPLIED + timedelta(days=20), "M-lõpetatud"),
        ("decision", APPLIED + timedelta(days=5), "M-otsus"),
        ("application", APPLIED, "M-taotlus"),
        ("assessed", APPLIED + timedelta(days=5), "M-hinnatud"),
    )
    add_steps(
        app,
        people["ants"],
        ("assessed", APPLIED + timedelta(days=40), "A-hinnatud"),
        ("application", APPLIED + timedelta(days=30), "A-taotlus"),
    )

    html = page(manager, STEPS)

    assert in_order(html, "A-taotlus", "A-hinnatud", "M-taotlus", "M-hinnatud", "M-otsus", "M-lõpetatud")
    html = page(manager, f"{STEPS}?sort=1&desc=1")
    assert in_order(html, "A-hinnatud", "A-taotlus", "M-lõpetatud", "M-hinnatud", "M-otsus", "M-taotlus")
    html = page(manager, f"{STEPS}?sort=2")
    assert in_order(html, "A-taotlus", "M-taotlus", "A-hinnatud", "M-hinnatud", "M-otsus", "M-lõpetatud")
    for n in range(4):
        page(manager, f"{STEPS}?sort={n}&desc=1")


def test_a_whole_case_through_the_form(app, manager, people):
    """From the application to closing and a new application, each step in its turn."""
    for kind, offset in (("application", 0), ("assessed", 7), ("decision", 14), ("referred", 15), ("closed", 60)):
        saved(
            submit(
                manager,
                STEPS + "new/",
                step(people, client=str(people["ants"]), kind=kind, done_on=d(APPLIED + timedelta(days=offset))),
            )
        )
    response = submit(
        manager,
        STEPS + "new/",
        step(people, client=str(people["ants"]), kind="reviewed", done_on=d(APPLIED + timedelta(days=61))),
    )
    refused(
        response,
        "done_on",
        shown(
            app, "The case was closed on %(day)s; record a new application first.", day=d(APPLIED + timedelta(days=60))
        ),
    )
    for kind, offset in (("application", 70), ("reviewed", 71)):
        saved(
            submit(
                manager,
                STEPS + "new/",
                step(people, client=str(people["ants"]), kind=kind, done_on=d(APPLIED + timedelta(days=offset))),
            )
        )
    assert count(app, CaseStep) == 7


STEP_REFUSALS = [
    (
        "before the application",
        {"done_on": d(APPLIED - timedelta(days=1))},
        "This is before the application was received (%(day)s).",
        {"day": d(APPLIED)},
    ),
    ("in the future", {"done_on": d(TODAY + timedelta(days=1))}, "This date is in the future.", {}),
    ("no application at all", {"client": "ANTS"}, "Record the application first: a case begins with it.", {}),
    (
        "closing before the last step",
        {"kind": "closed", "done_on": d(APPLIED + timedelta(days=3))},
        "A case cannot close before its last step (%(day)s).",
        {"day": d(APPLIED + timedelta(days=5))},
    ),
    (
        "after the case closed",
        {"done_on": d(APPLIED + timedelta(days=31))},
        "The case was closed on %(day)s; record a new application first.",
        {"day": d(APPLIED + timedelta(days=30))},
    ),
]


@pytest.mark.parametrize("changes, message, params", [r[1:] for r in STEP_REFUSALS], ids=[r[0] for r in STEP_REFUSALS])
def test_step_out_of_order_is_refused_and_nothing_saved(app, manager, people, changes, message, params):
    add_steps(
        app, people["maie"], ("assessed", APPLIED + timedelta(days=5), ""), ("closed", APPLIED + timedelta(days=30), "")
    )
    if changes.get("kind") == "closed":
        with app.app_context():  # an open case: the closing is what the test adds
            db.session.execute(db.delete(CaseStep).where(CaseStep.kind == "closed"))
            db.session.commit()
    if changes.get("client") == "ANTS":
        changes = {**changes, "client": str(people["ants"])}
    before = tables(app)

    response = submit(manager, STEPS + "new/", step(people, **changes))

    refused(response, "done_on", shown(app, message, **params))
    assert tables(app) == before


def test_moving_the_application_after_its_steps_is_refused(app, manager, people):
    application, _ = add_steps(
        app, people["ants"], ("application", APPLIED, ""), ("assessed", APPLIED + timedelta(days=5), "")
    )
    before = tables(app)

    response = submit(manager, f"{STEPS}edit/?id={application}", {"done_on": d(APPLIED + timedelta(days=6))})

    refused(response, "done_on", shown(app, "Other steps of this case come before this date."))
    assert tables(app) == before
    saved(
        submit(
            manager, f"{STEPS}edit/?id={application}", {"done_on": d(APPLIED - timedelta(days=1)), "note": "Paberil"}
        )
    )
    assert fetch(app, CaseStep, CaseStep.id == application).note == "Paberil"


def test_deleting_the_application_under_later_steps_is_refused(app, manager, people):
    application, assessed = add_steps(
        app, people["ants"], ("application", APPLIED, ""), ("assessed", APPLIED + timedelta(days=5), "")
    )
    before = tables(app)

    html = delete(manager, STEPS, application).get_data(as_text=True)

    assert any(shown(app, "Later steps of this case need this application.") in a for a in alerts(html))
    assert tables(app) == before
    delete(manager, STEPS, assessed)
    delete(manager, STEPS, application)
    assert count(app, CaseStep) == 0


def test_steps_search_and_filter(app, manager, people):
    add_steps(
        app, people["maie"], ("application", APPLIED, "M-taotlus"), ("decision", APPLIED + timedelta(days=9), "M-otsus")
    )
    add_steps(app, people["ants"], ("application", APPLIED + timedelta(days=30), "A-taotlus"))

    html = page(manager, STEPS + "?" + filter_arg(app, "case_steps", "Step", "FilterEqual") + "=application")
    assert "M-taotlus" in html and "A-taotlus" in html and "M-otsus" not in html
    html = page(manager, STEPS + "?" + filter_arg(app, "case_steps", "Client", "ClientNameFilter") + "=Mägi")
    assert "M-taotlus" in html and "M-otsus" in html and "A-taotlus" not in html
    arg = filter_arg(app, "case_steps", "Date", "DateGreaterFilter")
    html = page(manager, f"{STEPS}?{arg}={APPLIED + timedelta(days=8):%Y-%m-%d}")
    assert "M-otsus" in html and "A-taotlus" in html and "M-taotlus" not in html
    html = page(manager, f"{STEPS}?search={people['maie_code']}")
    assert "M-taotlus" in html and "A-taotlus" not in html
    html = page(manager, f"{STEPS}?search=otsus")
    assert "M-otsus" in html and "M-taotlus" not in html
    assert shown(app, "Decision made") in page(manager, STEPS), "the step shows its label"


def test_edit_step_note(app, manager, people):
    (application,) = add_steps(app, people["maie"], ("application", APPLIED, ""))
    saved(submit(manager, f"{STEPS}edit/?id={application}", {"note": "Digiallkirjastatud"}))
    s = fetch(app, CaseStep)
    assert (s.note, s.kind, s.done_on) == ("Digiallkirjastatud", "application", APPLIED)


# --- Counselling --------------------------------------------------------------------------------


def counselling(people, **changes) -> dict:
    data = {
        "party": "client",
        "client": str(people["maie"]),
        "topic": "rehabilitation",
        "channel": "phone",
        "held_on": d(TODAY - timedelta(days=3)),
        "note": "Selgitasin rehabilitatsiooni taotlemist.",
    }
    data.update(changes)
    return data


def test_new_counselling_is_today_by_the_signed_in_case_manager(app, manager, people):
    values = form_values(page(manager, f"{COUNSELLING}new/?client_id={people['maie']}"))
    assert (values["client"], values["held_on"], values["by"], values["party"]) == (
        [str(people["maie"])],
        [d(TODAY)],
        [str(user_id(app))],
        ["client"],
    )


def test_counsel_a_client(app, manager, people):
    saved(submit(manager, COUNSELLING + "new/", counselling(people)))

    c = fetch(app, Counselling)
    assert (c.party, c.client_id, c.topic, c.channel, c.held_on, c.by_id) == (
        "client",
        people["maie"],
        "rehabilitation",
        "phone",
        TODAY - timedelta(days=3),
        user_id(app),
    )
    html = page(manager, COUNSELLING)
    assert "Maie Mägi" in html and shown(app, "Rehabilitation") in html and shown(app, "Phone") in html


def test_counsel_a_network_member_fills_in_their_client(app, manager, people):
    changes = {"party": "network_member", "client": "__None", "network_member": str(people["jaan"])}
    saved(submit(manager, COUNSELLING + "new/", counselling(people, **changes)))

    c = fetch(app, Counselling)
    assert (c.party, c.network_member_id, c.client_id) == ("network_member", people["jaan"], people["maie"])
    html = page(manager, COUNSELLING)
    assert "Jaan Mägi" in html and shown(app, "Network member") in html
    details = page(manager, f"{COUNSELLING}details/?id={c.id}")
    assert "Jaan Mägi" in details and "Maie Mägi" in details


def test_counsel_a_provider(app, manager, people):
    changes = {"party": "provider", "client": "__None", "provider": str(people["provider"]), "topic": "special_welfare"}
    saved(submit(manager, COUNSELLING + "new/", counselling(people, **changes)))

    c = fetch(app, Counselling)
    assert (c.party, c.provider_id, c.client_id) == ("provider", people["provider"], None)
    assert "Abi ja Tugi OÜ" in page(manager, COUNSELLING)


COUNSELLING_REFUSALS = [
    ("client not chosen", {"client": "__None"}, "client", "Choose whom you counselled."),
    ("network member not chosen", {"party": "network_member"}, "network_member", "Choose whom you counselled."),
    ("provider not chosen", {"party": "provider"}, "provider", "Choose whom you counselled."),
    (
        "network member of another client",
        {"party": "network_member", "network_member": "TIIU"},
        "network_member",
        "This person is not in the chosen client's network.",
    ),
    ("in the future", {"held_on": d(TODAY + timedelta(days=1))}, "held_on", "This date is in the future."),
    ("before the application", {"held_on": d(APPLIED - timedelta(days=1))}, "held_on", None),
    ("no topic", {"topic": "__None"}, "topic", None),
]


@pytest.mark.parametrize(
    "changes, field, message", [r[1:] for r in COUNSELLING_REFUSALS], ids=[r[0] for r in COUNSELLING_REFUSALS]
)
def test_bad_counselling_is_refused_and_nothing_saved(app, manager, people, changes, field, message):
    if changes.get("network_member") == "TIIU":
        changes = {**changes, "network_member": str(people["tiiu"])}
    before = tables(app)

    response = submit(manager, COUNSELLING + "new/", counselling(people, **changes))

    refused(response, field, message and shown(app, message))
    assert tables(app) == before


def test_counselling_edit_search_filter_and_delete(app, manager, people):
    saved(submit(manager, COUNSELLING + "new/", counselling(people)))
    changes = {
        "party": "network_member",
        "client": str(people["ants"]),
        "network_member": str(people["tiiu"]),
        "topic": "social_rights",
        "channel": "home_visit",
        "held_on": d(TODAY - timedelta(days=40)),
        "note": "Hooldajatoetus",
    }
    saved(submit(manager, COUNSELLING + "new/", counselling(people, **changes)))
    tiiu = fetch(app, Counselling, Counselling.network_member_id == people["tiiu"])

    assert in_order(page(manager, COUNSELLING), "Maie Mägi", "Tiiu Aavik"), "newest first"
    for label, kind, value in (
        ("Topic", "FilterEqual", "social_rights"),
        ("Channel", "FilterEqual", "home_visit"),
        ("Who was counselled", "FilterEqual", "network_member"),
        ("Client", "ClientNameFilter", "aavik"),
    ):
        html = page(manager, COUNSELLING + "?" + filter_arg(app, "counselling", label, kind) + "=" + value)
        assert "Tiiu Aavik" in html and "Maie Mägi" not in html, label
    arg = filter_arg(app, "counselling", "Date", "DateSmallerFilter")
    html = page(manager, f"{COUNSELLING}?{arg}={TODAY - timedelta(days=10):%Y-%m-%d}")
    assert "Tiiu Aavik" in html and "Maie Mägi" not in html
    for term in ("Tiiu", "Hooldajatoetus"):
        html = page(manager, f"{COUNSELLING}?search={term}")
        assert "Tiiu Aavik" in html and "Maie Mägi" not in html, term
    for n in range(7):
        page(manager, f"{COUNSELLING}?sort={n}&desc=1")

    saved(submit(manager, f"{COUNSELLING}edit/?id={tiiu.id}", {"channel": "phone"}))
    edited = fetch(app, Counselling, Counselling.id == tiiu.id)
    assert (edited.channel, edited.topic, edited.network_member_id) == ("phone", "social_rights", people["tiiu"])

    delete(manager, COUNSELLING, tiiu.id)
    assert count(app, Counselling) == 1


# --- Access -------------------------------------------------------------------------------------


def records(app, people) -> dict:
    """One record in each register, saved directly."""
    with app.app_context():
        a = Assessment(client_id=people["maie"], assessed_on=TODAY)
        s = CaseStep(client_id=people["maie"], kind=StepKind.APPLICATION, done_on=APPLIED)
        c = Counselling(client_id=people["maie"], party="client", topic="applying", channel="email", held_on=TODAY)
        db.session.add_all([a, s, c])
        db.session.commit()
        ids = {ASSESSMENTS: a.id, STEPS: s.id, COUNSELLING: c.id}
        db.session.remove()
    return ids


@pytest.mark.parametrize("role", ["head", "case_manager"])
def test_head_and_case_manager_read_and_write(app, client, people, role):
    ids = records(app, people)
    signed_in(app, client, role)

    for url, pk in ids.items():
        page(client, url)
        page(client, f"{url}details/?id={pk}")
        page(client, f"{url}new/")
        saved(submit(client, f"{url}edit/?id={pk}", {}))
    saved(submit(client, ASSESSMENTS + "new/", assessment(people)))
    saved(submit(client, STEPS + "new/", step(people)))
    saved(submit(client, COUNSELLING + "new/", counselling(people)))
    assert fetch(app, Assessment, Assessment.id != ids[ASSESSMENTS]).assessor_id == user_id(app, role)
    assert (count(app, Assessment), count(app, CaseStep), count(app, Counselling)) == (2, 2, 2)


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_accountant_and_registrar_are_refused(app, client, people, role):
    ids = records(app, people)
    before = tables(app)

    other = signed_in(app, client, role)
    token = csrf_token(other, "/admin/")
    for url, pk in ids.items():
        for path in ("", "new/", f"details/?id={pk}", f"edit/?id={pk}"):
            assert other.get(url + path).status_code == 403, url + path
        assert other.post(url + "delete/", data={"id": str(pk), "csrf_token": token}).status_code == 403
    assert other.post(ASSESSMENTS + "new/", data={**assessment(people), "csrf_token": token}).status_code == 403
    assert other.post(STEPS + "new/", data={**step(people), "csrf_token": token}).status_code == 403
    assert other.post(COUNSELLING + "new/", data={**counselling(people), "csrf_token": token}).status_code == 403
    assert tables(app) == before
    html = page(other, "/admin/")
    for url in ids:
        assert f'href="{url}"' not in html, "the menu hides what the role cannot open"
