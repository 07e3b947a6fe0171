"""Noortegarantii and case work: a young person who wants help becomes a client in one step, a goal
reached sets the six-month follow-up, and the figures of a round for its report."""

import statistics
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from . import codes
from .base import RuleViolation, db
from .casework import CaseStep, StepKind
from .clients import Client, ClientStatus, ExitReason, NetworkMember, NetworkRole, TargetGroup, client_errors
from .users import User
from .youth_guarantee import (
    REACHED_STATUSES,
    ContactAttempt,
    OffTermsReason,
    Outreach,
    OutreachStatus,
    YouthRound,
    goal_reached,
    to_client_errors,
)

ADULT_AGE = 18


def make_client(o: Outreach, by: User | None, today: date | None = None) -> tuple[Client, bool]:
    """A young person who wants help becomes a client: (the client, whether one was created).

    Already a client (by personal code): the record links to them. Otherwise a client in the target
    group 'young person' with name, personal code and contacts, a minor's guardian as a network
    member, and the opening case step written from the outreach. Raises ``RuleViolation``."""
    today = today or date.today()
    errors = to_client_errors(o)
    if errors:
        raise RuleViolation(errors)
    existing = o.client or db.session.scalar(sa.select(Client).where(Client.personal_code == o.personal_code))
    if existing is not None:
        o.client, o.status = existing, OutreachStatus.BECAME_CLIENT
        return existing, False
    client = Client(
        personal_code=o.personal_code,
        first_name=o.first_name,
        last_name=o.last_name,
        birth_date=o.birth_date,
        sex=codes.sex(o.personal_code),
        phone=o.phone,
        email=o.email,
        address=o.address,
        target_group=TargetGroup.YOUTH,
        status=ClientStatus.APPLICANT,
        applied_on=today,
        case_manager=o.case_manager or by,
        network=[],
    )
    if codes.age_on(o.birth_date, today) < ADULT_AGE and (o.guardian_name or "").strip():
        client.network.append(
            NetworkMember(
                role=NetworkRole.GUARDIAN,
                name=o.guardian_name.strip(),
                relation=str(_l("Parent or guardian")),
                phone=o.guardian_phone,
                email=o.guardian_email,
            )
        )
    errors = client_errors(client)
    if errors:
        raise RuleViolation(errors)
    answer = f" {o.answer.strip()}" if (o.answer or "").strip() else ""
    note = str(_l("From the youth guarantee list %(round)s: wants help.", round=str(o.round))) + answer
    db.session.add(client)
    db.session.add(CaseStep(client=client, kind=StepKind.APPLICATION, done_on=today, by=by, note=note))
    o.client, o.status = client, OutreachStatus.BECAME_CLIENT
    return client, True


@sa.event.listens_for(Session, "before_flush")
def _goal_reached(session, flush_context, instances) -> None:
    """A closing step of a young client's case, or their exit with goals met, is the goal reached: their
    outreach record gets its follow-up date six months later."""
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, CaseStep) and obj.kind == StepKind.CLOSED and obj.done_on:
            client_id = obj.client_id or (obj.client.id if obj.client is not None else None)
            if client_id:
                with session.no_autoflush:
                    goal_reached(client_id, obj.done_on)
        elif (
            isinstance(obj, Client)
            and obj.id is not None
            and obj.exit_reason == ExitReason.GOALS_MET
            and obj.exit_date
            and obj.target_group == TargetGroup.YOUTH
        ):
            with session.no_autoflush:
                goal_reached(obj.id, obj.exit_date)


FIGURES = (
    ("size", _l("List size")),
    ("contacted", _l("Contacted")),
    ("reached", _l("Reached")),
    ("wants_help", _l("Wants help")),
    ("became_client", _l("Became a client")),
    ("does_not_want", _l("Does not want help")),
    ("not_on_terms", _l("Not on the terms")),
    ("median_days", _l("Median days to first contact")),
)


def round_figures(round_id: int, case_manager_id: int | None = None) -> dict:
    """The figures of a round (of one case manager's records, when given): list size, contacted,
    reached, wants help, became a client, does not want help, not on the terms by reason, and the
    median days from the list's arrival to the first contact attempt."""
    where = [Outreach.round_id == round_id]
    if case_manager_id is not None:
        where.append(Outreach.case_manager_id == case_manager_id)
    first = (
        sa.select(ContactAttempt.outreach_id, sa.func.min(ContactAttempt.made_on).label("first"))
        .group_by(ContactAttempt.outreach_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Outreach.status, Outreach.off_terms_reason, first.c.first, YouthRound.received_on)
        .join(YouthRound, YouthRound.id == Outreach.round_id)
        .outerjoin(first, first.c.outreach_id == Outreach.id)
        .where(*where)
    ).all()
    statuses = [OutreachStatus(s) for s, _, _, _ in rows]
    days = [(f - received).days for _, _, f, received in rows if f is not None]
    reasons: dict[OffTermsReason, int] = {}
    for s, reason, _, _ in rows:
        if s == OutreachStatus.NOT_ON_TERMS and reason:
            reasons[OffTermsReason(reason)] = reasons.get(OffTermsReason(reason), 0) + 1
    return {
        "size": len(rows),
        "contacted": sum(1 for _, _, f, _ in rows if f is not None),
        "reached": sum(1 for s in statuses if s in REACHED_STATUSES),
        "wants_help": sum(1 for s in statuses if s in (OutreachStatus.WANTS_HELP, OutreachStatus.BECAME_CLIENT)),
        "became_client": statuses.count(OutreachStatus.BECAME_CLIENT),
        "does_not_want": statuses.count(OutreachStatus.DOES_NOT_WANT),
        "not_on_terms": statuses.count(OutreachStatus.NOT_ON_TERMS),
        "reasons": reasons,
        "median_days": statistics.median(days) if days else None,
    }


def earlier_round(round_: YouthRound) -> YouthRound | None:
    """The round before ``round_`` (by year and half)."""
    rounds = sorted(db.session.scalars(sa.select(YouthRound)), key=lambda r: r.sort_key)
    before = [r for r in rounds if r.sort_key < round_.sort_key]
    return before[-1] if before else None


def round_managers(round_id: int) -> list[User]:
    """The case managers assigned to records of a round, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.id.in_(sa.select(Outreach.case_manager_id).where(Outreach.round_id == round_id)))
            .order_by(User.full_name)
        )
    )


def youth_attention(user_id: int | None, contact_days: int, today: date | None = None, limit: int = 50) -> dict:
    """The home page's youth guarantee items: records not contacted ``contact_days`` after their list
    arrived, records that want help with no meeting yet, and follow-ups due. For a case manager
    (``user_id``) their own records; for the head, all."""
    today = today or date.today()
    mine = [Outreach.case_manager_id == user_id] if user_id is not None else []
    base = sa.select(Outreach).join(YouthRound, YouthRound.id == Outreach.round_id).where(*mine)
    met = sa.select(ContactAttempt.outreach_id).where(ContactAttempt.channel == "meeting")
    return {
        "not_contacted": db.session.scalars(
            base.where(
                Outreach.status == OutreachStatus.NOT_CONTACTED.value,
                YouthRound.received_on <= today - timedelta(days=contact_days),
            )
            .order_by(YouthRound.received_on, Outreach.last_name)
            .limit(limit)
        ).all(),
        "no_meeting": db.session.scalars(
            base.where(Outreach.status == OutreachStatus.WANTS_HELP.value, Outreach.id.not_in(met))
            .order_by(Outreach.last_name)
            .limit(limit)
        ).all(),
        "follow_ups": db.session.scalars(
            base.where(Outreach.follow_up_on <= today, Outreach.status != OutreachStatus.CLOSED.value)
            .order_by(Outreach.follow_up_on)
            .limit(limit)
        ).all(),
    }
