"""The case file (/admin/case-file/?client_id=N): a client's whole case on one page."""

import re
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import sqlalchemy as sa

from models import (
    ActionPlan,
    Activity,
    Assessment,
    CaseStep,
    Counselling,
    FollowUp,
    Goal,
    Inspection,
    Meeting,
    NetworkMember,
    QolAnswer,
    QolAnswerSet,
    User,
    Violation,
    db,
)
from tests.admin_app.helpers import TUPLE_CHOICES, form_values, in_order, make, page, signed_in
from tests.conftest import create_client, create_provider

pytestmark = [TUPLE_CHOICES, pytest.mark.usefixtures("shipped_questionnaire")]

TODAY = date.today()
START = TODAY - timedelta(days=400)
POINTS = ("entry", "one_year", "exit")


def url(client_id: int) -> str:
    return f"/admin/case-file/?client_id={client_id}"


def fill_case(app, client_id: int, n: int, tag: str, *, provider_id: int | None = None) -> None:
    """``n`` records of every kind for one client, each text marked with ``tag``."""
    with app.app_context():
        provider_id = provider_id or create_provider(name=f"Pakkuja {tag}").id
        user = db.session.scalar(sa.select(User).order_by(User.id).limit(1))
        items = db.session.scalars(sa.text("SELECT id FROM qol_item WHERE instrument_id = 1 ORDER BY position")).all()
        members = [
            NetworkMember(client_id=client_id, role="relative", name=f"Võrgustik {tag} {i}", phone="5551234")
            for i in range(n)
        ]
        db.session.add_all(members)
        for i in range(n):
            db.session.add(
                Assessment(
                    client_id=client_id,
                    assessed_on=START + timedelta(days=10 + i),
                    assessor=user,
                    summary=f"Kokkuvõte {tag} {i}",
                    decision="services",
                    housing_level="great",
                    housing_note=f"Eluase {tag} {i}",
                )
            )
            plan = ActionPlan(client_id=client_id, drawn_up_on=START + timedelta(days=20), responsible=user)
            for j in range(n):
                goal = Goal(position=j + 1, text=f"Eesmärk {tag} {i}.{j}", obstacles="takistus")
                plan.goals.append(goal)
                plan.activities.append(
                    Activity(
                        goal=goal,
                        text=f"Tegevus {tag} {i}.{j}",
                        responsible="network_member",
                        network_member=members[j % n],
                        deadline=START + timedelta(days=30),
                    )
                )
                plan.activities.append(
                    Activity(text=f"Vaba tegevus {tag} {i}.{j}", responsible="provider", provider_id=provider_id)
                )
            db.session.add(plan)
            db.session.add(
                CaseStep(
                    client_id=client_id,
                    kind="other",
                    done_on=START + timedelta(days=i),
                    by=user,
                    note=f"Samm {tag} {i}",
                )
            )
            db.session.add(
                Counselling(
                    client_id=client_id,
                    party="network_member",
                    network_member=members[i],
                    topic="rehabilitation",
                    channel="phone",
                    held_on=START + timedelta(days=5 + i),
                    by=user,
                    note=f"Nõustamine {tag} {i}",
                )
            )
            meeting = Meeting(held_on=START + timedelta(days=40 + i), kind="network", title=f"Kohtumine {tag} {i}")
            meeting.follow_ups.append(
                FollowUp(task=f"Järeltegevus {tag} {i}", owner=user, deadline=START + timedelta(days=50 + i))
            )
            db.session.add(meeting)
            db.session.flush()
            db.session.execute(sa.text("INSERT INTO meeting_client VALUES (:m, :c)"), {"m": meeting.id, "c": client_id})
            inspection = Inspection(
                provider_id=provider_id, client_id=client_id, inspected_on=START + timedelta(days=60 + i), inspector="X"
            )
            inspection.violations.append(Violation(kind="safety", description=f"Rikkumine {tag} {i}"))
            db.session.add(inspection)
        for i, point in enumerate(POINTS[: min(n, 3)]):
            answer_set = QolAnswerSet(
                client_id=client_id,
                instrument_id=1,
                point=point,
                answered_on=START + timedelta(days=100 + 120 * i),
                score=Decimal("2.00") + i,
            )
            answer_set.answers = [QolAnswer(item_id=item, value=2 + i) for item in items]
            db.session.add(answer_set)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


@pytest.fixture
def two(app):
    """Two clients, A and B, with records of every kind each (B's texts marked ``B``)."""
    a = make(app, create_client, first_name="Anu", last_name="Aas", status="active", applied_on=START)
    b = make(app, create_client, first_name="Bert", last_name="Birk", status="active", applied_on=START)
    return a.id, b.id


def test_the_case_file_shows_every_kind_of_record_of_only_that_client(app, manager, two):
    a, b = two
    fill_case(app, a, 2, "A")
    fill_case(app, b, 2, "B")
    html = page(manager, url(a))
    for text in (
        "Anu Aas",
        "Võrgustik A 0",
        "Kokkuvõte A 1",  # the latest assessment only
        "Eluase A 1",
        "Eesmärk A 0.1",
        "Tegevus A 1.0",
        "Vaba tegevus A 0.0",
        "Samm A 0",
        "Nõustamine A 1",
        "Kohtumine A 0",
        "Järeltegevus A 1",
        "Rikkumine A 0",
        "Pakkuja A",
    ):
        assert text in html, text
    assert "Kokkuvõte A 0" not in html  # an earlier assessment is not the latest
    assert not re.search(
        r"(Võrgustik|Kokkuvõte|Eesmärk|Tegevus|Samm|Nõustamine|Kohtumine|Järeltegevus|Rikkumine|Pakkuja) B", html
    )
    assert "Bert" not in html


def test_a_meeting_of_both_clients_shows_in_both_case_files(app, manager, two):
    a, b = two
    with app.app_context():
        shared = Meeting(held_on=START, kind="network", title="Ühine kohtumine")
        own = Meeting(held_on=START, kind="network", title="Ainult Berti kohtumine")
        db.session.add_all([shared, own])
        db.session.flush()
        for meeting, client_id in ((shared, a), (shared, b), (own, b)):
            db.session.execute(sa.text("INSERT INTO meeting_client VALUES (:m, :c)"), {"m": meeting.id, "c": client_id})
        db.session.commit()
    html_a, html_b = page(manager, url(a)), page(manager, url(b))
    assert "Ühine kohtumine" in html_a and "Ühine kohtumine" in html_b
    assert "Ainult Berti kohtumine" not in html_a and "Ainult Berti kohtumine" in html_b


def test_only_plans_in_force_show_and_overdue_activities_are_flagged(app, manager, two):
    a, _ = two
    with app.app_context():
        open_plan = ActionPlan(client_id=a, drawn_up_on=START)
        goal = Goal(position=1, text="Leida töö")
        open_plan.goals.append(goal)
        open_plan.activities += [
            Activity(goal=goal, text="Hilinenud tegevus", deadline=TODAY - timedelta(days=1)),
            Activity(goal=goal, text="Tehtud tegevus", deadline=TODAY - timedelta(days=1), status="done"),
            Activity(goal=goal, text="Tulevane tegevus", deadline=TODAY + timedelta(days=5)),
        ]
        closed = ActionPlan(client_id=a, drawn_up_on=START, status="closed")
        closed.activities.append(Activity(text="Suletud plaani tegevus"))
        db.session.add_all([open_plan, closed])
        db.session.commit()
    html = page(manager, url(a))
    assert "Suletud plaani tegevus" not in html
    rows = {
        m.group(2).strip(): m.group(1) for m in re.finditer(r'<tr class="(activity[^"]*)"[^>]*>\s*<td>([^<]*)', html)
    }
    assert rows == {
        "Hilinenud tegevus": "activity table-danger overdue",
        "Tehtud tegevus": "activity",
        "Tulevane tegevus": "activity",
    }


def test_the_steps_read_as_a_timeline_by_date_then_step_order(app, manager, two):
    a, _ = two
    with app.app_context():
        day = START + timedelta(days=3)
        db.session.add_all(
            [
                CaseStep(client_id=a, kind="decision", done_on=day, note="kolmas"),
                CaseStep(client_id=a, kind="assessed", done_on=day, note="teine"),
                CaseStep(client_id=a, kind="application", done_on=START, note="esimene"),
                CaseStep(client_id=a, kind="plan", done_on=day + timedelta(days=1), note="neljas"),
            ]
        )
        db.session.commit()
    html = page(manager, url(a))
    assert in_order(html, "esimene", "teine", "kolmas", "neljas")


def test_quality_of_life_points_show_side_by_side_with_the_change(app, manager, two):
    a, _ = two
    fill_case(app, a, 2, "A")  # entry 2,00 and one year 3,00
    html = page(manager, url(a))
    score_row = re.search(r'<tr class="score[^"]*">(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", score_row, re.S)]
    assert cells == ["2,00", "3,00", "—", "+1,00"]


# --- Links -------------------------------------------------------------------------------------

REGISTERS = ("assessments", "action_plans", "case_steps", "counselling", "meetings", "quality_of_life", "supervision")


def add_links(html: str) -> dict[str, str]:
    return {
        m.group(1): m.group(2).replace("&amp;", "&")
        for m in re.finditer(r'class="[^"]*add-link[^"]*" data-register="([^"]+)" href="([^"]+)"', html)
    }


def test_add_links_carry_the_client_and_lead_back_to_the_case_file(app, manager, two):
    a, _ = two
    links = add_links(page(manager, url(a)))
    assert set(links) == set(REGISTERS)
    for register, link in links.items():
        query = parse_qs(urlsplit(link).query)
        assert query["client_id"] == [str(a)], register
        assert unquote(query["url"][0]) == url(a), register


@pytest.mark.parametrize("register", [r for r in REGISTERS if r != "meetings"])
def test_an_add_form_opens_with_the_client_chosen(app, manager, two, register):
    a, _ = two
    link = add_links(page(manager, url(a)))[register]
    values = form_values(page(manager, link))
    assert values["client"] == [str(a)]


def test_the_meeting_form_opens_with_the_client_among_the_participants(app, manager, two):
    a, _ = two
    values = form_values(page(manager, add_links(page(manager, url(a)))["meetings"]))
    assert values["clients"] == [str(a)]


def test_saving_from_an_add_link_comes_back_to_the_case_file(app, manager, two):
    a, _ = two
    link = add_links(page(manager, url(a)))["case_steps"]
    data = form_values(page(manager, link))
    data.update(kind=["application"], done_on=[f"{START:%d.%m.%Y}"], note=["Taotlus tuli"])
    response = manager.post(link, data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(a))
    assert "Taotlus tuli" in page(manager, url(a))


def test_the_client_list_and_details_link_to_the_case_file(app, manager, two):
    a, b = two
    listing = page(manager, "/admin/clients/")
    for client_id in (a, b):
        assert f'href="/admin/case-file/?client_id={client_id}"' in listing
    assert f'href="/admin/case-file/?client_id={a}"' in page(manager, f"/admin/clients/details/?id={a}")


# --- Statements --------------------------------------------------------------------------------


@contextmanager
def statements(app):
    """Count the SQL statements sent to the database inside the block."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_the_number_of_statements_does_not_grow_with_the_records(app, manager, two):
    a, b = two
    fill_case(app, a, 1, "A")
    fill_case(app, b, 10, "B")
    page(manager, url(a))  # warm up: first-request work is not the page's
    with statements(app) as one:
        html_a = page(manager, url(a))
    with statements(app) as ten:
        html_b = page(manager, url(b))
    assert "Tegevus B 9.9" in html_b and "Tegevus A 0.0" in html_a
    assert len(one) == len(ten), "\n".join(ten)
    assert len(ten) <= 25, len(ten)


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["head", "case_manager"])
def test_head_and_case_managers_open_the_case_file(app, client, two, role):
    signed_in(app, client, role)
    assert client.get(url(two[0])).status_code == 200


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_accountant_and_registrar_are_refused(app, client, two, role):
    signed_in(app, client, role)
    assert client.get(url(two[0])).status_code == 403


def test_anonymous_is_sent_to_sign_in(app, client, two):
    response = client.get(url(two[0]))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_unknown_client_is_not_found(app, manager):
    assert manager.get(url(999999)).status_code == 404
    assert manager.get("/admin/case-file/").status_code == 404
