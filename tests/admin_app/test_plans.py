"""The action-plan register (/admin/action-plans/): goals, activities under them, overdue flags, the print view."""

import re
from datetime import date, timedelta

import pytest
from markupsafe import escape

from models import ActionPlan, Activity, Assessment, Goal, NetworkMember, User, db
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    filter_arg,
    form_values,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    submit,
)
from tests.conftest import count, create_client, create_provider, fetch, post_form

pytestmark = TUPLE_CHOICES

URL = "/admin/action-plans/"
TODAY = date.today()
APPLIED = TODAY - timedelta(days=90)
DRAWN = TODAY - timedelta(days=30)


def d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


def applicant(app, **kw):
    return make(app, create_client, applied_on=APPLIED, **kw)


def add_plan(app, client, *, goals=("Leida töökoht",), activities=(), network=(), **kw) -> int:
    """Save a plan for ``client`` straight to the database; ``activities``: (text, goal index or None, fields);
    a field value "member:N" is the N-th of ``network`` (names of the client's network members)."""
    with app.app_context():
        c = db.session.merge(client)
        members = [NetworkMember(client=c, role="relative", name=n) for n in network]
        db.session.add_all(members)
        plan = ActionPlan(client=c, drawn_up_on=kw.pop("drawn_up_on", DRAWN), **kw)
        plan.goals = [Goal(position=n, text=t, obstacles=f"Takistus {n}") for n, t in enumerate(goals, 1)]
        for text, goal, fields in activities:
            fields = {k: members[int(v[7:])] if str(v).startswith("member:") else v for k, v in fields.items()}
            plan.activities.append(Activity(text=text, goal=None if goal is None else plan.goals[goal], **fields))
        db.session.add(plan)
        db.session.commit()
        plan_id = plan.id
        db.session.remove()
    return plan_id


def options(html: str, name: str) -> dict[str, str]:
    """value -> text of the options of the select named ``name``."""
    match = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select {name}"
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', match.group(1)))


def tables(app):
    return snapshot(app, ActionPlan, Goal, Activity)


# --- Creating: goals first, then the activities under them -----------------------------------------


def test_new_plan_form_is_filled_in_and_says_activities_come_after_the_goals(app, manager):
    client = applicant(app, first_name="Mari", last_name="Maasikas")
    html = page(manager, f"{URL}new/?client_id={client.id}")
    values = form_values(html)
    assert values["client"] == [str(client.id)]
    assert values["drawn_up_on"] == [d(TODAY)]
    assert values["status"] == ["open"]
    assert options(html, "responsible")[values["responsible"][0]] == "Case Manager", "the signed-in user"
    assert not any(name.startswith("activities") for name in values)
    assert 'class="alert alert-info small plan-activities-later"' in html


def test_create_a_plan_with_goals_then_add_activities_under_them(app, manager):
    client = applicant(app, first_name="Mari", last_name="Maasikas")
    provider = make(app, create_provider, name="Tugi ja Töö OÜ")
    with app.app_context():
        db.session.add(NetworkMember(client_id=client.id, role="relative", name="Ema Maasikas"))
        db.session.commit()
        member_id = db.session.scalar(db.select(NetworkMember.id))
        db.session.remove()

    response = post_form(
        manager,
        f"{URL}new/?client_id={client.id}",
        {
            "client": str(client.id),
            "drawn_up_on": d(DRAWN),
            "review_on": d(DRAWN + timedelta(days=180)),
            "status": "open",
            "resources": "Toetav ema",
            "recommendations": "Jätkata tugiisikuga",
            "goals-0-position": "1",
            "goals-0-text": "Leida töökoht",
            "goals-0-obstacles": "Pikk vahe tööturult",
            "goals-1-position": "2",
            "goals-1-text": "Elada iseseisvalt",
        },
    )
    saved(response)
    plan = fetch(app, ActionPlan)
    assert (plan.client_id, plan.drawn_up_on, plan.resources) == (client.id, DRAWN, "Toetav ema")
    assert count(app, Goal) == 2
    # Saved with its goals, the plan opens again for the activities.
    edit = f"{URL}edit/?id={plan.id}"
    assert response.headers["Location"].startswith(edit)
    html = page(manager, response.headers["Location"])
    assert escape(shown(app, "Now add the activities under the plan's goals.")) in html
    work = fetch(app, Goal, Goal.text == "Leida töökoht")
    home = fetch(app, Goal, Goal.text == "Elada iseseisvalt")

    saved(
        submit(
            manager,
            edit,
            {
                "activities-0-goal": str(work.id),
                "activities-0-text": "Tegevusjuhendamine tööotsingul",
                "activities-0-responsible": "provider",
                "activities-0-provider": str(provider.id),
                "activities-0-deadline": d(TODAY + timedelta(days=30)),
                "activities-0-status": "in_progress",
                "activities-1-goal": str(home.id),
                "activities-1-text": "Aitab koostada eelarve",
                "activities-1-responsible": "network_member",
                "activities-1-network_member": str(member_id),
                "activities-1-deadline": d(TODAY + timedelta(days=10)),
                "activities-1-status": "planned",
            },
        )
    )
    first = fetch(app, Activity, Activity.text == "Tegevusjuhendamine tööotsingul")
    assert (first.plan_id, first.goal_id, first.provider_id, first.status) == (
        plan.id,
        work.id,
        provider.id,
        "in_progress",
    )
    second = fetch(app, Activity, Activity.text == "Aitab koostada eelarve")
    assert (second.goal_id, second.network_member_id) == (home.id, member_id)

    # The details show each goal with its activities beneath.
    html = page(manager, f"{URL}details/?id={plan.id}")
    assert html.index("Leida töökoht") < html.index("Tegevusjuhendamine tööotsingul") < html.index("Elada iseseisvalt")
    assert html.index("Elada iseseisvalt") < html.index("Aitab koostada eelarve")
    assert "Pikk vahe tööturult" in html and "Tugi ja Töö OÜ" in html and "Ema Maasikas" in html


def test_activity_selects_list_only_this_plans_goals_and_this_clients_network(app, manager):
    mine, other = applicant(app), applicant(app)
    plan_id = add_plan(
        app,
        mine,
        goals=("Leida töökoht", "Elada iseseisvalt"),
        activities=[("Käia nõustajal", 0, {})],
        network=("Ema Karu",),
    )
    add_plan(app, other, goals=("Teise kliendi eesmärk",), network=("Võõras Sugulane",))
    foreign_goal = fetch(app, Goal, Goal.text == "Teise kliendi eesmärk")
    foreign_member = fetch(app, NetworkMember, NetworkMember.name == "Võõras Sugulane")

    edit = f"{URL}edit/?id={plan_id}"
    html = page(manager, edit)
    goals = options(html, "activities-0-goal")
    assert sorted(goals.values()) == ["1. Leida töökoht", "2. Elada iseseisvalt", "—"]
    assert [t for t in options(html, "activities-0-network_member").values() if t != "—"] == [
        "Ema Karu (" + shown(app, "Relative") + ")"
    ]
    # The row a browser adds from the template offers the same goals.
    assert "Teise kliendi eesmärk" not in html and "Võõras Sugulane" not in html

    before = tables(app)
    refused(submit(manager, edit, {"activities-0-goal": str(foreign_goal.id)}), "activities-0-goal")
    refused(
        submit(
            manager,
            edit,
            {"activities-0-responsible": "network_member", "activities-0-network_member": str(foreign_member.id)},
        ),
        "activities-0-network_member",
    )
    assert tables(app) == before


# --- Overdue activities ---------------------------------------------------------------------------


def overdue_plans(app):
    late = applicant(app, first_name="Hilja", last_name="Hiline")
    fine = applicant(app, first_name="Korras", last_name="Kõik")
    late_id = add_plan(
        app,
        late,
        activities=[
            ("Tähtaeg möödas", 0, dict(deadline=TODAY - timedelta(days=3), status="in_progress")),
            ("Tehtud ammu", 0, dict(deadline=TODAY - timedelta(days=10), status="done")),
            ("Tulevikus", 0, dict(deadline=TODAY + timedelta(days=10), status="planned")),
        ],
    )
    fine_id = add_plan(
        app,
        fine,
        activities=[
            ("Tehtud", 0, dict(deadline=TODAY - timedelta(days=10), status="done")),
            ("Loobutud", 0, dict(deadline=TODAY - timedelta(days=10), status="dropped")),
        ],
    )
    return late_id, fine_id


def test_overdue_activities_flagged_in_list_and_details(app, manager):
    late_id, fine_id = overdue_plans(app)
    flag = 'badge-danger">' + shown(app, "%(num)s overdue", num=1)

    html = page(manager, URL)
    assert html.count(flag) == 1
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Hiline(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert flag in row

    html = page(manager, f"{URL}details/?id={late_id}")
    flagged = re.findall(r'<tr class="activity table-danger overdue">(.*?)</tr>', html, re.S)
    assert len(flagged) == 1
    assert "Tähtaeg möödas" in flagged[0] and d(TODAY - timedelta(days=3)) in flagged[0]
    assert "table-danger" not in page(manager, f"{URL}details/?id={fine_id}")


def test_overdue_filter_finds_plans_with_an_activity_past_deadline(app, manager):
    overdue_plans(app)
    arg = filter_arg(app, "action_plans", "Has overdue activities", "OverdueActivitiesFilter")

    html = page(manager, f"{URL}?{arg}=1")
    assert "Hiline" in html and "Kõik" not in html
    html = page(manager, f"{URL}?{arg}=0")
    assert "Kõik" in html and "Hiline" not in html


def test_done_or_dropped_clears_the_flag(app, manager):
    late_id, _ = overdue_plans(app)
    edit = f"{URL}edit/?id={late_id}"
    form = form_values(page(manager, edit))
    row = next(i for i in range(3) if form[f"activities-{i}-text"] == ["Tähtaeg möödas"])

    saved(submit(manager, edit, {f"activities-{row}-status": "dropped"}))

    assert shown(app, "%(num)s overdue", num=1) not in page(manager, URL)
    assert "table-danger" not in page(manager, f"{URL}details/?id={late_id}")


def test_review_date_past_shows_amber(app, manager):
    add_plan(app, applicant(app), review_on=TODAY - timedelta(days=1))
    assert 'badge-warning">' + d(TODAY - timedelta(days=1)) in page(manager, URL)


# --- Refusals -------------------------------------------------------------------------------------


BAD = [
    (
        "review before drawn up",
        {"review_on": d(DRAWN - timedelta(days=1))},
        ["review_on"],
        "The review cannot come before the plan was drawn up.",
    ),
    (
        "deadline before the plan",
        {"activities-0-deadline": d(DRAWN - timedelta(days=1))},
        ["activities-0-deadline", "activities"],
        "A deadline cannot be before the plan was drawn up.",
    ),
    ("empty goal text", {"goals-0-text": ""}, ["goals-0-text"], None),
    # White space alone is refused by the rule every text field shares (models/text.py), under the field.
    (
        "blank goal text",
        {"goals-0-text": "   "},
        ["goals-0-text"],
        "Fill in this field; white space alone is not enough.",
    ),
    (
        "blank activity text",
        {"activities-0-text": "  "},
        ["activities-0-text"],
        "Fill in this field; white space alone is not enough.",
    ),
    (
        "provider responsible without a provider",
        {"activities-0-responsible": "provider"},
        ["activities-0-provider"],
        "Name the provider responsible.",
    ),
    (
        "deleting a goal that still has activities",
        {"del-goals-0": "y"},
        ["activities-0-goal"],
        None,
    ),
    ("drawn up in the future", {"drawn_up_on": d(TODAY + timedelta(days=1))}, ["drawn_up_on"], None),
    ("drawn up before the application", {"drawn_up_on": d(APPLIED - timedelta(days=1))}, ["drawn_up_on"], None),
]


@pytest.mark.parametrize("changes, fields, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_refused_with_the_message_next_to_the_field(app, manager, changes, fields, message):
    plan_id = add_plan(app, applicant(app), activities=[("Käia nõustajal", 0, {})])
    before = tables(app)

    response = submit(manager, f"{URL}edit/?id={plan_id}", changes)

    for field in fields:
        refused(response, field, message and shown(app, message))
    assert tables(app) == before


def test_a_network_member_of_another_client_is_refused(app, manager):
    """Moving a plan to another client while an activity names the first client's relative."""
    first, second = applicant(app), applicant(app)
    plan_id = add_plan(
        app,
        first,
        activities=[("Aitab kodus", 0, dict(responsible="network_member", network_member="member:0"))],
        network=("Ema Karu",),
    )
    before = tables(app)

    response = submit(manager, f"{URL}edit/?id={plan_id}", {"client": str(second.id)})

    refused(
        response,
        "activities-0-network_member",
        shown(app, "%(name)s is not in this client's network.", name="Ema Karu"),
    )
    assert tables(app) == before


def test_creating_refused_leaves_nothing(app, manager):
    client = applicant(app)
    before = tables(app)
    response = post_form(
        manager,
        f"{URL}new/",
        {
            "client": str(client.id),
            "drawn_up_on": d(DRAWN),
            "review_on": d(DRAWN - timedelta(days=1)),
            "status": "open",
            "goals-0-position": "1",
            "goals-0-text": "Leida töökoht",
        },
    )
    refused(response, "review_on", shown(app, "The review cannot come before the plan was drawn up."))
    assert tables(app) == before


# --- The print view -------------------------------------------------------------------------------


def test_print_view_shows_the_plan_of_that_client_only_escaped(app, manager):
    client = applicant(
        app, first_name="Mari", last_name="<b>Maasikas</b>", address="Tallinna mnt 1 <script>alert(1)</script>, Rapla"
    )
    other = applicant(app, first_name="Teine", last_name="Klient")
    with app.app_context():
        db.session.add(NetworkMember(client_id=client.id, role="guardian", name="Eestkostja Ants", relation="isa"))
        db.session.add(NetworkMember(client_id=client.id, role="relative", name="Sugulane Siim"))
        db.session.add(
            Assessment(client_id=client.id, assessed_on=APPLIED + timedelta(days=1), summary="Vana kokkuvõte")
        )
        db.session.add(
            Assessment(
                client_id=client.id,
                assessed_on=APPLIED + timedelta(days=20),
                housing_level="great",
                housing_note="Elab <i>ajutiselt</i> sõbra juures",
                summary="Uus kokkuvõte",
            )
        )
        db.session.add(Assessment(client_id=other.id, assessed_on=APPLIED + timedelta(days=30), summary="Teise oma"))
        db.session.commit()
        db.session.remove()
    provider = make(app, create_provider, name="Abi & Tugi OÜ")
    plan_id = add_plan(
        app,
        client,
        goals=("Leida <em>töö</em>",),
        activities=[
            ("Töötukassa nõustaja", 0, dict(deadline=TODAY - timedelta(days=2), status="in_progress")),
            ("Tegevusjuhendamine", 0, dict(responsible="provider", provider_id=provider.id, assessed="Hinnatud")),
        ],
        recommendations="Jätkata <u>tugiisikuga</u>",
        responsible_id=fetch(app, User).id,
        resources="Motiveeritud",
    )
    add_plan(app, other, goals=("Teise kliendi eesmärk",), activities=[("Teise kliendi tegevus", 0, {})])

    html = page(manager, f"{URL}print/?id={plan_id}")

    assert "navbar" not in html and "@media print" in html
    assert f'<span class="plan-number">{shown(app, "No.")} {plan_id}</span>' in html
    assert app.config["MUNICIPALITY_NAME"] in html
    assert "Case Manager" in html, "the responsible specialist"
    assert client.personal_code in html
    assert "Mari &lt;b&gt;Maasikas&lt;/b&gt;" in html and "<b>Maasikas</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "Eestkostja Ants" in html and "isa" in html and "Sugulane Siim" not in html
    assert "Uus kokkuvõte" in html and "Vana kokkuvõte" not in html and "Teise oma" not in html
    assert shown(app, "Great need") in html and "Elab &lt;i&gt;ajutiselt&lt;/i&gt; sõbra juures" in html
    assert "Leida &lt;em&gt;töö&lt;/em&gt;" in html and "Takistus 1" in html
    assert "Töötukassa nõustaja" in html and d(TODAY - timedelta(days=2)) in html
    assert 'class="activity overdue"' in html
    assert "Abi &amp; Tugi OÜ" in html and "Hinnatud" in html
    assert "Jätkata &lt;u&gt;tugiisikuga&lt;/u&gt;" in html and "Motiveeritud" in html
    assert "Teise kliendi" not in html and "Teine Klient" not in html
    assert html.count('class="line"') == 2, "signature lines for the client and the case manager"


def test_print_view_without_assessment_or_guardian_and_linked(app, manager):
    plan_id = add_plan(app, applicant(app))
    html = page(manager, f"{URL}print/?id={plan_id}")
    assert 'class="muted no-assessment"' in html
    link = f"{URL}print/?id={plan_id}"
    assert link in page(manager, f"{URL}details/?id={plan_id}")
    assert link in page(manager, URL)
    assert manager.get(f"{URL}print/?id={plan_id + 1000}").status_code == 404
    assert manager.get(f"{URL}print/").status_code == 404


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["head", "case_manager"])
def test_case_workers_read_and_write(app, client, role):
    plan_id = add_plan(app, applicant(app))
    user = signed_in(app, client, role)
    for url in (URL, f"{URL}details/?id={plan_id}", f"{URL}print/?id={plan_id}", f"{URL}new/"):
        page(user, url)
    saved(submit(user, f"{URL}edit/?id={plan_id}", {"recommendations": "Uus soovitus"}))
    assert fetch(app, ActionPlan).recommendations == "Uus soovitus"


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_accountant_and_registrar_are_refused(app, client, role):
    plan_id = add_plan(app, applicant(app))
    user = signed_in(app, client, role)
    for url in (
        URL,
        f"{URL}details/?id={plan_id}",
        f"{URL}print/?id={plan_id}",
        f"{URL}new/",
        f"{URL}edit/?id={plan_id}",
    ):
        assert user.get(url).status_code == 403, url
    before = tables(app)
    assert user.post(f"{URL}edit/?id={plan_id}", data={"recommendations": "x"}).status_code in (400, 403)
    assert tables(app) == before
