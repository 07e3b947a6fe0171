"""What goes into STAR: need assessments, action plans (juhtumiplaan), procedural steps and the young
people of the youth guarantee whom the municipality helped, each with its fields in the order STAR's
forms ask for them (the person first, then the record's own fields). Importing this module puts them
in the STAR queue (``models.star``)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from .casework import Assessment, CaseStep, LifeArea
from .plans import ActionPlan, Activity, Goal
from .star import StarKind, track_kind
from .youth_guarantee import AttemptOutcome, Outreach, OutreachStatus


def _person(record) -> list:
    client = record.client
    return [
        ("personal_code", _l("Personal ID code"), client.personal_code if client else None),
        ("name", _l("Name"), f"{client.first_name} {client.last_name}" if client else None),
    ]


def assessment_fields(a: Assessment) -> list:
    """Abivajaduse hindamine: when and by whom, each life area's level and note, summary, decision."""
    areas = []
    for area, level, note in a.levels():
        areas.append((f"{area.value}_level", area.label, level))
        if note:
            areas.append((f"{area.value}_note", _l("%(area)s: note", area=area.label), note))
    return [
        *_person(a),
        ("assessed_on", _l("Assessed on"), a.assessed_on),
        ("assessor", _l("Assessor"), str(a.assessor) if a.assessor else None),
        *areas,
        ("summary", _l("Summary"), a.summary),
        ("decision", _l("Decision on help"), a.decision),
    ]


def _activity(a: Activity) -> tuple:
    """An activity as one line: what, who answers for it (and by name), by when."""
    named = a.network_member.name if a.network_member else (a.provider.name if a.provider else None)
    return (a.text, a.responsible, named, a.deadline)


def plan_fields(p: ActionPlan) -> list:
    """Juhtumiplaan: drawn up, responsible, goals with their obstacles, activities, review, resources."""
    goals = [f"{g.position}. {g.text}" + (f" ({g.obstacles})" if g.obstacles else "") for g in p.goals]
    return [
        *_person(p),
        ("drawn_up_on", _l("Drawn up on"), p.drawn_up_on),
        ("responsible", _l("Case manager responsible"), str(p.responsible) if p.responsible else None),
        ("goals", _l("Goals"), goals),
        ("activities", _l("Activities"), [_activity(a) for a in p.activities]),
        ("resources", _l("Resources"), p.resources),
        ("recommendations", _l("Recommendations"), p.recommendations),
        ("review_on", _l("Review on"), p.review_on),
        ("status", _l("Status"), p.status),
    ]


def step_fields(s: CaseStep) -> list:
    """Menetlustoiming: the step, its date, who did it and a note."""
    return [
        *_person(s),
        ("kind", _l("Step"), s.kind),
        ("done_on", _l("Date"), s.done_on),
        ("by", _l("Done by"), str(s.by) if s.by else None),
        ("note", _l("Note"), s.note),
    ]


ASSESSMENT = track_kind(
    StarKind(
        "assessment",
        _l("Need assessment"),
        Assessment,
        assessment_fields,
        watched=(
            "client",
            "assessed_on",
            "assessor",
            "summary",
            "decision",
            *(f"{a.value}_{part}" for a in LifeArea for part in ("level", "note")),
        ),
    )
)
PLAN = track_kind(
    StarKind(
        "action_plan",
        _l("Action plan"),
        ActionPlan,
        plan_fields,
        options=lambda: (
            selectinload(ActionPlan.goals),
            selectinload(ActionPlan.activities).options(
                joinedload(Activity.network_member), joinedload(Activity.provider)
            ),
        ),
        watched=("client", "drawn_up_on", "review_on", "responsible", "status", "resources", "recommendations"),
        parts={
            Goal: (("text", "obstacles", "position"), lambda g: g.plan),
            Activity: (("text", "responsible", "network_member", "provider", "deadline"), lambda a: a.plan),
        },
    )
)
STEP = track_kind(
    StarKind(
        "case_step", _l("Procedural step"), CaseStep, step_fields, watched=("client", "kind", "done_on", "by", "note")
    )
)


def youth_fields(o: Outreach) -> list:
    """Noortegarantii: a young person from a list round whom the municipality helped, advised or served
    (STAR asks for the person, the round, when they were first reached and what came of it)."""
    reached = next((a.made_on for a in o.attempts if a.outcome == AttemptOutcome.REACHED), None)
    return [
        ("personal_code", _l("Personal ID code"), o.personal_code),
        ("name", _l("Name"), f"{o.first_name} {o.last_name}"),
        ("round", _l("List round"), str(o.round) if o.round else None),
        ("first_contact", _l("First contact"), o.attempts[0].made_on if o.attempts else None),
        ("reached_on", _l("Reached on"), reached),
        ("status", _l("Status"), o.status),
        ("answer", _l("Answer"), o.answer),
        ("case_manager", _l("Case manager"), str(o.case_manager) if o.case_manager else None),
        ("goal_reached_on", _l("Goal reached on"), o.goal_reached_on),
    ]


def youth_helped(o: Outreach) -> bool:
    """Only a young person the municipality took on (a client now, or a goal reached) goes into STAR;
    the rest of a list round stays in juhtum."""
    return o.status == OutreachStatus.BECAME_CLIENT or o.goal_reached_on is not None


YOUTH = track_kind(
    StarKind(
        "youth_helped",
        _l("Young person helped (youth guarantee)"),
        Outreach,
        youth_fields,
        when=youth_helped,
        options=lambda: (
            selectinload(Outreach.attempts),
            joinedload(Outreach.round),
            joinedload(Outreach.case_manager),
        ),
        watched=("status", "client", "answer", "case_manager", "goal_reached_on"),
    )
)
