"""Action-plan rules: dates in order, goals with their text, each activity's goal, network member,
provider and deadline; each problem named by the field it is about; overdue activities."""

from datetime import date, timedelta

import sqlalchemy as sa

from models import ActionPlan, Activity, Goal, NetworkMember, plan_errors
from models.plans import activity_errors, goal_errors
from tests.conftest import create_client, create_provider

TODAY = date.today()
DRAWN = TODAY - timedelta(days=30)


def applicant(**kw):
    return create_client(applied_on=TODAY - timedelta(days=60), **kw)


def plan_of(client, **kw) -> ActionPlan:
    values = dict(client=client, drawn_up_on=DRAWN, review_on=DRAWN + timedelta(days=180))
    values.update(kw)
    return ActionPlan(**values)


def saved_plan(db, client, goals=("Leida töö",), activities=()) -> ActionPlan:
    plan = plan_of(client)
    plan.goals = [Goal(position=n, text=t) for n, t in enumerate(goals, 1)]
    for text, goal_index, kw in activities:
        plan.activities.append(Activity(text=text, goal=plan.goals[goal_index], **kw))
    db.session.add(plan)
    db.session.commit()
    return plan


def test_a_complete_plan_passes(ctx):
    client = applicant()
    member = NetworkMember(client=client, role="relative", name="Ema Karu")
    ctx.session.add(member)
    provider = create_provider()
    plan = saved_plan(
        ctx,
        client,
        goals=("Leida töö", "Elada iseseisvalt"),
        activities=[
            ("Töötukassa nõustaja juurde", 0, dict(responsible="client", deadline=DRAWN + timedelta(days=10))),
            ("Aitab eelarvega", 1, dict(responsible="network_member", network_member=member)),
            ("Tegevusjuhendamine", 1, dict(responsible="provider", provider=provider)),
        ],
    )
    assert plan_errors(plan) == {}


def test_plan_dates(ctx):
    client = applicant()
    assert "review_on" in plan_errors(plan_of(client, review_on=DRAWN - timedelta(days=1)))
    assert plan_errors(plan_of(client, review_on=DRAWN)) == {}
    assert "drawn_up_on" in plan_errors(plan_of(client, drawn_up_on=None))
    assert "drawn_up_on" in plan_errors(plan_of(client, drawn_up_on=TODAY + timedelta(days=1)))
    assert "drawn_up_on" in plan_errors(plan_of(client, drawn_up_on=TODAY - timedelta(days=61)))
    assert plan_errors(plan_of(None)) == {"client": plan_errors(plan_of(None))["client"]}


def test_every_goal_needs_its_text(ctx):
    plan = plan_of(applicant())
    plan.goals = [Goal(position=1, text="Leida töö"), Goal(position=2, text="  ")]
    errors = plan_errors(plan)
    assert set(errors) == {"goals"}
    assert goal_errors(plan.goals[1], plan) == {"text": errors["goals"]}
    assert goal_errors(plan.goals[0], plan) == {}


def test_activity_problems_are_named_by_field(ctx):
    client, other = applicant(), applicant()
    stranger = NetworkMember(client=other, role="guardian", name="Võõras Eestkostja")
    ctx.session.add(stranger)
    ctx.session.commit()
    plan = saved_plan(ctx, client)

    def verdict(**kw):
        """The activity's own verdict and the plan's, the activity added to the plan unsaved."""
        with ctx.session.no_autoflush:
            a = Activity(text=kw.pop("text", "Midagi"), **kw)
            plan.activities.append(a)
            try:
                return activity_errors(a, plan), plan_errors(plan)
            finally:
                ctx.session.rollback()

    row, whole = verdict(deadline=DRAWN - timedelta(days=1))
    assert set(row) == {"deadline"} and set(whole) == {"activities"}
    row, _ = verdict(text=" ")
    assert set(row) == {"text"}
    row, _ = verdict(responsible="network_member")
    assert set(row) == {"network_member"}
    row, _ = verdict(responsible="network_member", network_member=stranger)
    assert set(row) == {"network_member"} and "Võõras Eestkostja" in row["network_member"]
    row, _ = verdict(responsible="provider")
    assert set(row) == {"provider"}
    other_plan = saved_plan(ctx, other, goals=("Teise eesmärk",))
    row, _ = verdict(goal=other_plan.goals[0])
    assert set(row) == {"goal"}
    row, _ = verdict(goal=plan.goals[0], deadline=DRAWN)
    assert row == {}


def test_a_goal_being_deleted_takes_no_activities_with_it(ctx):
    plan = saved_plan(ctx, applicant(), goals=("Leida töö", "Elada"), activities=[("Käia nõustajal", 0, {})])
    with ctx.session.no_autoflush:
        activity = plan.activities[0]
        ctx.session.delete(plan.goals[0])
        assert set(activity_errors(activity, plan)) == {"goal"}
        assert set(plan_errors(plan)) == {"activities"}
        # Deleting the activity too is fine: a row marked for deletion is not judged.
        ctx.session.delete(activity)
        assert plan_errors(plan) == {}
    ctx.session.rollback()


def test_overdue_in_python_and_in_sql(ctx):
    plan = saved_plan(
        ctx,
        applicant(),
        activities=[
            ("late", 0, dict(deadline=TODAY - timedelta(days=1), status="in_progress")),
            ("late planned", 0, dict(deadline=TODAY - timedelta(days=1), status="planned")),
            ("done", 0, dict(deadline=TODAY - timedelta(days=5), status="done")),
            ("dropped", 0, dict(deadline=TODAY - timedelta(days=5), status="dropped")),
            ("today", 0, dict(deadline=TODAY, status="planned")),
            ("no deadline", 0, dict(status="planned")),
        ],
    )
    assert sorted(a.text for a in plan.overdue_activities) == ["late", "late planned"]
    found = ctx.session.scalars(sa.select(Activity.text).where(Activity.overdue).order_by(Activity.text)).all()
    assert found == ["late", "late planned"]
