"""The home page: what needs a case worker's attention today, for their clients (the head: for all)."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from admin_app.auth import create_user
from models import (
    ActionPlan,
    Activity,
    FollowUp,
    Inspection,
    Meeting,
    QolAnswerSet,
    User,
    Violation,
    db,
)
from tests.admin_app.helpers import TUPLE_CHOICES, make, page, signed_in
from tests.conftest import PASSWORD, create_client, create_provider

pytestmark = [TUPLE_CHOICES, pytest.mark.usefixtures("shipped_questionnaire")]

TODAY = date.today()
PAST = TODAY - timedelta(days=3)
SOON = TODAY + timedelta(days=3)
LONG_AGO = TODAY - timedelta(days=500)

SECTIONS = ("overdue-activities", "qol-due", "overdue-violations", "overdue-follow-ups")


def listed(html: str) -> dict[str, set[str]]:
    """The items each attention card lists, by the card's id: {card: {data-id, ...}}."""
    starts = sorted((html.index(f'id="{section}"'), section) for section in SECTIONS)
    out = {}
    for (start, section), (end, _) in zip(starts, [*starts[1:], (len(html), None)], strict=True):
        out[section] = set(re.findall(r'<tr class="item[^"]*" data-id="(\d+)"', html[start:end]))
    return out


def _user(email: str, role: str, name: str) -> int:
    create_user(email, PASSWORD, [role], full_name=name)
    return db.session.scalar(sa.select(User.id).where(User.email == email))


@pytest.fixture
def office(app, client):
    """Me (a signed-in case manager), another case manager, and rows of every kind around the rules:
    returns {name: id} and which of them each list must show to me and to the head."""
    signed_in(app, client, "case_manager")
    ids = {}
    with app.app_context():
        me = db.session.scalar(sa.select(User.id).where(User.email == "case-manager@test.ee"))
        other = _user("teine@test.ee", "case_manager", "Teine Korraldaja")
    for name, manager, status in (
        ("mine1", me, "active"),
        ("mine2", me, "active"),
        ("mine_paused", me, "paused"),
        ("mine_applicant", me, "applicant"),
        ("others1", other, "active"),
    ):
        ids[name] = make(
            app,
            create_client,
            first_name=name,
            last_name="Test",
            status=status,
            case_manager_id=manager,
            applied_on=LONG_AGO,
        ).id
    provider = make(app, create_provider, name="Järelevalve OÜ").id
    with app.app_context():
        # Plan activities: overdue = past its deadline, planned or in progress, in a plan in force.
        plans = {
            "mine": ActionPlan(client_id=ids["mine1"], drawn_up_on=LONG_AGO),
            "mine_closed": ActionPlan(client_id=ids["mine2"], drawn_up_on=LONG_AGO, status="closed"),
            "others": ActionPlan(client_id=ids["others1"], drawn_up_on=LONG_AGO),
        }
        activities = {
            "a_planned_past": ("mine", PAST, "planned"),
            "a_progress_past": ("mine", PAST, "in_progress"),
            "a_done_past": ("mine", PAST, "done"),
            "a_dropped_past": ("mine", PAST, "dropped"),
            "a_planned_soon": ("mine", SOON, "planned"),
            "a_planned_today": ("mine", TODAY, "planned"),
            "a_no_deadline": ("mine", None, "planned"),
            "a_closed_plan_past": ("mine_closed", PAST, "planned"),
            "a_others_past": ("others", PAST, "planned"),
        }
        rows = {}
        for name, (plan, deadline, status) in activities.items():
            rows[name] = Activity(text=name, deadline=deadline, status=status)
            plans[plan].activities.append(rows[name])
        db.session.add_all(plans.values())
        # Quality of life: the one-year point falls due a year after entry, unless answered or exited.
        for name, entry, one_year in (
            ("mine1", TODAY - relativedelta(years=1) + timedelta(days=20), None),  # due in 20 days
            ("mine2", TODAY - relativedelta(years=2), None),  # overdue
            ("mine_paused", TODAY - relativedelta(years=1) - timedelta(days=10), TODAY),  # answered
            ("mine_applicant", TODAY - relativedelta(years=2), None),  # not active nor paused
            ("others1", TODAY - relativedelta(years=1), None),  # due today, not mine
        ):
            db.session.add(QolAnswerSet(client_id=ids[name], instrument_id=1, point="entry", answered_on=entry))
            if one_year:
                db.session.add(
                    QolAnswerSet(client_id=ids[name], instrument_id=1, point="one_year", answered_on=one_year)
                )
        # Violations: open and past the deadline to remedy.
        inspections = {
            "mine": Inspection(provider_id=provider, client_id=ids["mine1"], inspected_on=LONG_AGO, inspector="X"),
            "provider": Inspection(provider_id=provider, client_id=None, inspected_on=LONG_AGO, inspector="X"),
            "others": Inspection(provider_id=provider, client_id=ids["others1"], inspected_on=LONG_AGO, inspector="X"),
        }
        for name, (inspection, remedy_by, status) in {
            "v_open_past": ("mine", PAST, "open"),
            "v_remedied_past": ("mine", PAST, "not_remedied"),
            "v_open_soon": ("mine", SOON, "open"),
            "v_open_no_deadline": ("mine", None, "open"),
            "v_provider_open_past": ("provider", PAST, "open"),
            "v_others_open_past": ("others", PAST, "open"),
        }.items():
            rows[name] = Violation(kind="safety", remedy_by=remedy_by, status=status)
            inspections[inspection].violations.append(rows[name])
        db.session.add_all(inspections.values())
        # Meeting follow-ups: past the deadline and not done; a case manager sees those they own.
        meeting = Meeting(held_on=LONG_AGO, kind="network", title="Võrgustikukohtumine", others="Pere")
        for name, owner, deadline, done in (
            ("f_mine_past", me, PAST, False),
            ("f_mine_done", me, PAST, True),
            ("f_mine_soon", me, SOON, False),
            ("f_others_past", other, PAST, False),
            ("f_nobody_past", None, PAST, False),
        ):
            rows[name] = FollowUp(
                task=name, owner_id=owner, owner_other=None if owner else "Perearst", deadline=deadline
            )
            rows[name].done = done
            meeting.follow_ups.append(rows[name])
        db.session.add(meeting)
        db.session.commit()
        ids.update({name: row.id for name, row in rows.items()})
        db.session.remove()

    def expect(*names):
        return {str(ids[n]) for n in names}

    mine = {
        "overdue-activities": expect("a_planned_past", "a_progress_past"),
        "qol-due": expect("mine1", "mine2"),
        "overdue-violations": expect("v_open_past", "v_provider_open_past"),
        "overdue-follow-ups": expect("f_mine_past"),
    }
    everyone = {
        "overdue-activities": mine["overdue-activities"] | expect("a_others_past"),
        "qol-due": mine["qol-due"] | expect("others1"),
        "overdue-violations": mine["overdue-violations"] | expect("v_others_open_past"),
        "overdue-follow-ups": expect("f_mine_past", "f_others_past", "f_nobody_past"),
    }
    return {"ids": ids, "mine": mine, "everyone": everyone}


def test_a_case_manager_sees_what_is_overdue_or_due_for_their_clients(app, client, office):
    assert listed(page(client, "/admin/")) == office["mine"]


def test_the_head_sees_the_same_across_all_clients(app, office):
    head = signed_in(app, app.test_client(), "head")
    assert listed(page(head, "/admin/")) == office["everyone"]


def test_my_active_clients_count_and_link_to_them(app, client, office):
    html = page(client, "/admin/")
    row = re.search(r'<tr id="my-active"><th><a href="([^"]+)">[^<]*</a></th><th[^>]*>(\d+)</th>', html)
    assert row, "no 'my active clients' row"
    assert row.group(2) == "2"
    listing = page(client, row.group(1).replace("&amp;", "&"))
    shown = set(re.findall(r"\b(mine1|mine2|mine_paused|mine_applicant|others1)\b", listing))
    assert shown == {"mine1", "mine2"}


def test_the_existing_cards_stay(app, client, office):
    html = page(client, "/admin/")
    assert 'href="/admin/clients/"' in html
    assert 'href="/admin/providers/"' in html


def test_nothing_due_shows_empty_lists(app, client):
    signed_in(app, client, "case_manager")
    assert listed(page(client, "/admin/")) == {s: set() for s in SECTIONS}


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_the_accountant_and_registrar_see_no_case_work(app, office, role):
    other = signed_in(app, app.test_client(), role)
    html = page(other, "/admin/")
    assert not any(f'id="{s}"' in html for s in SECTIONS)
