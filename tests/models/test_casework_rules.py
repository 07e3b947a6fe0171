"""Case-work rules: a case's steps read in order, dated records are not before the application nor in
the future, counselling names whom it counselled."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import gettext

from models import (
    Assessment,
    CaseStep,
    Counselling,
    NetworkMember,
    StepKind,
    assessment_errors,
    counselling_errors,
    step_errors,
)
from models.casework import STEP_KIND_ORDER, application_date, step_delete_errors
from tests.conftest import create_client, create_provider

TODAY = date.today()
D = date(2025, 1, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def steps(db, client, *kinds_days) -> list[CaseStep]:
    """Save steps (kind, day offset) for ``client`` without the rules (the case as it stands)."""
    out = [CaseStep(client=client, kind=StepKind(k), done_on=day(n)) for k, n in kinds_days]
    db.session.add_all(out)
    db.session.commit()
    return out


def step(client, kind: str, n: int, **kw) -> CaseStep:
    return CaseStep(client=client, kind=StepKind(kind), done_on=day(n), **kw)


def errors_of(db, record, rule):
    """The rule's verdict on a new record, without leaving it in the session."""
    with db.session.no_autoflush:
        db.session.add(record)
        try:
            return rule(record)
        finally:
            db.session.expunge(record)


# --- Steps: the timeline -------------------------------------------------------------------------


def test_first_step_must_be_the_application(ctx):
    client = create_client()

    assert "done_on" in errors_of(ctx, step(client, "assessed", 5), step_errors)
    assert errors_of(ctx, step(client, "application", 0), step_errors) == {}


def test_application_date_on_the_client_counts_as_the_application(ctx):
    client = create_client(applied_on=day(3))

    assert errors_of(ctx, step(client, "assessed", 3), step_errors) == {}
    message = errors_of(ctx, step(client, "assessed", 2), step_errors)["done_on"]
    assert "04.01.2025" in message


def test_no_step_before_the_application_step(ctx):
    client = create_client()
    steps(ctx, client, ("application", 10))

    message = errors_of(ctx, step(client, "decision", 9), step_errors)["done_on"]
    assert "11.01.2025" in message
    assert errors_of(ctx, step(client, "decision", 10), step_errors) == {}


def test_no_step_in_the_future(ctx):
    client = create_client(applied_on=day(0))
    future = CaseStep(client=client, kind=StepKind.ASSESSED, done_on=TODAY + timedelta(days=1))
    assert "done_on" in errors_of(ctx, future, step_errors)
    future_application = CaseStep(client=client, kind=StepKind.APPLICATION, done_on=TODAY + timedelta(days=1))
    assert "done_on" in errors_of(ctx, future_application, step_errors)
    assert errors_of(ctx, CaseStep(client=client, kind=StepKind.ASSESSED, done_on=TODAY), step_errors) == {}


def test_closed_case_takes_no_later_step_but_a_new_application(ctx):
    client = create_client()
    steps(ctx, client, ("application", 0), ("assessed", 5), ("closed", 20))

    message = errors_of(ctx, step(client, "reviewed", 21), step_errors)["done_on"]
    assert "21.01.2025" in message
    assert errors_of(ctx, step(client, "reviewed", 20), step_errors) == {}, "the same day as closing is fine"
    assert errors_of(ctx, step(client, "application", 30), step_errors) == {}


def test_steps_after_a_new_application_are_allowed(ctx):
    """The case reopens with a new application: its steps follow (the old rule refused them all)."""
    client = create_client()
    steps(ctx, client, ("application", 0), ("closed", 20), ("application", 30))

    assert errors_of(ctx, step(client, "assessed", 31), step_errors) == {}
    assert "done_on" in errors_of(ctx, step(client, "assessed", 25), step_errors), "between closing and reopening"


def test_step_between_two_episodes_is_refused(ctx):
    """Closed twice: a step in the first gap was let through when only the last closing counted."""
    client = create_client()
    steps(ctx, client, ("application", 0), ("closed", 10), ("application", 20), ("closed", 30))

    assert "done_on" in errors_of(ctx, step(client, "plan", 15), step_errors)
    assert "done_on" in errors_of(ctx, step(client, "plan", 35), step_errors)
    assert errors_of(ctx, step(client, "plan", 25), step_errors) == {}


def test_case_cannot_close_before_its_last_step(ctx):
    client = create_client()
    steps(ctx, client, ("application", 0), ("assessed", 5), ("plan", 12))

    message = errors_of(ctx, step(client, "closed", 10), step_errors)["done_on"]
    assert "13.01.2025" in message
    assert errors_of(ctx, step(client, "closed", 12), step_errors) == {}


def test_closing_the_first_episode_after_the_case_reopened(ctx):
    client = create_client()
    steps(ctx, client, ("application", 0), ("assessed", 5), ("application", 30), ("plan", 35))

    assert errors_of(ctx, step(client, "closed", 10), step_errors) == {}
    assert "done_on" in errors_of(ctx, step(client, "closed", 3), step_errors)


def test_application_cannot_move_after_the_steps_it_opens(ctx):
    client = create_client()
    application, _ = steps(ctx, client, ("application", 5), ("assessed", 8))

    application.done_on = day(9)
    assert "done_on" in step_errors(application)
    application.done_on = day(2)
    assert step_errors(application) == {}
    ctx.session.rollback()


def test_application_cannot_turn_into_another_kind_under_later_steps(ctx):
    client = create_client()
    application, _ = steps(ctx, client, ("application", 5), ("assessed", 8))

    application.kind = StepKind.OTHER
    assert step_errors(application) == {"done_on": gettext("Record the application first: a case begins with it.")}
    ctx.session.rollback()


def test_a_second_application_may_move_while_the_first_opens_the_case(ctx):
    client = create_client()
    _, _, second = steps(ctx, client, ("application", 0), ("assessed", 5), ("application", 7))

    second.done_on = day(9)
    assert step_errors(second) == {}
    ctx.session.rollback()


def test_editing_a_step_in_a_case_already_out_of_order_is_not_blamed_on_it(ctx):
    client = create_client()
    _, note = steps(ctx, client, ("assessed", 3), ("other", 4))  # saved before the rules, no application

    note.note = "täpsustus"
    assert "done_on" in step_errors(note), "the step itself still has no application"
    ctx.session.rollback()
    steps(ctx, client, ("application", 4))
    note = ctx.session.get(CaseStep, note.id)
    assert step_errors(note) == {}, "the unrelated old step 3 out of order is not this step's fault"


def test_moving_a_step_to_another_client_checks_the_first_case(ctx):
    first, second = create_client(), create_client(applied_on=day(0))
    application, _ = steps(ctx, first, ("application", 0), ("assessed", 5))

    application.client = second
    assert step_errors(application) == {"kind": step_delete_errors(application, client_id=first.id)["kind"]}
    ctx.session.rollback()


def test_deleting_the_application_under_later_steps_is_refused(ctx):
    client = create_client()
    application, assessed = steps(ctx, client, ("application", 0), ("assessed", 5))

    assert "kind" in step_delete_errors(application)
    assert step_delete_errors(assessed) == {}
    client.applied_on = day(0)
    ctx.session.commit()
    assert step_delete_errors(application) == {}, "the client's application date still opens the case"


def test_step_needs_a_client(ctx):
    assert "client" in step_errors(CaseStep(kind=StepKind.APPLICATION, done_on=day(0)))


def test_kind_order_sorts_a_day_as_the_procedure_goes(ctx):
    client = create_client()
    steps(ctx, client, ("closed", 5), ("other", 5), ("application", 5), ("decision", 5), ("assessed", 5))

    kinds = ctx.session.scalars(sa.select(CaseStep.kind).order_by(CaseStep.done_on, STEP_KIND_ORDER)).all()
    assert kinds == ["application", "assessed", "decision", "closed", "other"]


def test_application_date_is_the_earliest(ctx):
    client = create_client(applied_on=day(4))
    steps(ctx, client, ("application", 6))
    assert application_date(client.id) == day(4)
    assert application_date(None) is None


# --- Assessments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset, field",
    [(-1, "assessed_on"), (0, None), (None, None)],
    ids=["before the application", "on the day", "today"],
)
def test_assessment_date_after_the_application(ctx, offset, field):
    client = create_client(applied_on=day(0))
    a = Assessment(client=client, assessed_on=TODAY if offset is None else day(offset))
    errors = errors_of(ctx, a, assessment_errors)
    assert list(errors) == ([field] if field else [])


def test_assessment_not_in_the_future_and_needs_a_client(ctx):
    client = create_client()
    assert "assessed_on" in errors_of(
        ctx, Assessment(client=client, assessed_on=TODAY + timedelta(days=1)), assessment_errors
    )
    assert "client" in assessment_errors(Assessment(assessed_on=TODAY))


# --- Counselling ---------------------------------------------------------------------------------


def member_of(db, client, name="Jaan Mägi") -> NetworkMember:
    m = NetworkMember(client=client, role="relative", name=name)
    db.session.add(m)
    db.session.commit()
    return m


@pytest.mark.parametrize(
    "party, field", [("client", "client"), ("network_member", "network_member"), ("provider", "provider")]
)
def test_counselling_needs_the_counselled_party(ctx, party, field):
    c = Counselling(party=party, topic="rehabilitation", channel="phone", held_on=TODAY)
    assert field in errors_of(ctx, c, counselling_errors)


def test_counselled_network_member_must_be_in_the_clients_network(ctx):
    client, other = create_client(), create_client()
    stranger = member_of(ctx, other)
    c = Counselling(party="network_member", client=client, network_member=stranger, topic="social_rights")
    c.channel, c.held_on = "meeting", TODAY
    assert "network_member" in errors_of(ctx, c, counselling_errors)


def test_counselled_network_member_brings_their_client(ctx):
    client = create_client()
    member = member_of(ctx, client)
    c = Counselling(party="network_member", network_member=member, topic="applying", channel="email", held_on=TODAY)
    assert errors_of(ctx, c, counselling_errors) == {}
    assert c.client is client and c.counselled is member


def test_counselling_a_provider_needs_no_client(ctx):
    provider = create_provider()
    c = Counselling(party="provider", provider=provider, topic="special_welfare", channel="phone", held_on=TODAY)
    assert errors_of(ctx, c, counselling_errors) == {}
    assert c.counselled is provider


def test_counselling_dates(ctx):
    client = create_client(applied_on=day(10))
    early = Counselling(party="client", client=client, topic="rehabilitation", channel="phone", held_on=day(9))
    assert "held_on" in errors_of(ctx, early, counselling_errors)
    future = Counselling(
        party="client", client=client, topic="rehabilitation", channel="phone", held_on=TODAY + timedelta(days=1)
    )
    assert "held_on" in errors_of(ctx, future, counselling_errors)
