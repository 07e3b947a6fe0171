"""Juhtumitöö: need assessments, procedural steps and counselling, per client."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .clients import Client, NetworkMember
from .providers import Provider
from .users import User


class LifeArea(Choice):
    HOUSING = "housing", _l("Housing")
    INCOME = "income", _l("Income and money")
    PHYSICAL_HEALTH = "physical_health", _l("Physical health")
    MENTAL_HEALTH = "mental_health", _l("Mental health")
    WORK_STUDY = "work_study", _l("Work and study")
    DAILY_COPING = "daily_coping", _l("Daily coping")
    SOCIAL = "social", _l("Social relations and network")
    SAFETY = "safety", _l("Safety")


class NeedLevel(Choice):
    NONE = "none", _l("No need")
    SOME = "some", _l("Some need")
    CONSIDERABLE = "considerable", _l("Considerable need")
    GREAT = "great", _l("Great need")


class AssessmentDecision(Choice):
    SERVICES = "services", _l("Services needed")
    REFERRAL = "referral", _l("Referral elsewhere")
    NO_HELP = "no_help", _l("No help needed")


class Assessment(Versioned, db.Model):
    """Abivajaduse hindamine: a dated need assessment of one client across the life areas."""

    __tablename__ = "assessment"
    __table_args__ = (
        choice_check("decision", AssessmentDecision),
        *(choice_check(f"{a.value}_level", NeedLevel) for a in LifeArea),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    client: Mapped[Client] = relationship()
    assessed_on: Mapped[date] = mapped_column(index=True)
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    assessor: Mapped[User | None] = relationship()
    summary: Mapped[str | None] = mapped_column(sa.Text)
    decision: Mapped[AssessmentDecision | None] = mapped_column(ChoiceType(AssessmentDecision), index=True)

    housing_level: Mapped[NeedLevel] = mapped_column(ChoiceType(NeedLevel), default=NeedLevel.NONE)
    housing_note: Mapped[str | None] = mapped_column(sa.Text)
    income_level: Mapped[NeedLevel] = mapped_column(ChoiceType(NeedLevel), default=NeedLevel.NONE)
    income_note: Mapped[str | None] = mapped_column(sa.Text)
    physical_health_level: Mapped[NeedLevel] = mapped_column(ChoiceType(NeedLevel), default=NeedLevel.NONE)
    physical_health_note: Mapped[str | None] = mapped_column(sa.Text)
    mental_health_level: Mapped[NeedLevel] = mapped_column(ChoiceType(NeedLevel), default=NeedLevel.NONE)
    mental_health_note: Mapped[str | None] = mapped_column(sa.Text)
    work_study_level: Mapped[NeedLevel] = mapped_column(ChoiceType(NeedLevel), default=NeedLevel.NONE)
    work_study_note: Mapped[str | None] = mapped_column(sa.Text)
    daily_coping_level: Mapped[NeedLevel] = mapped_column(ChoiceType(NeedLevel), default=NeedLevel.NONE)
    daily_coping_note: Mapped[str | None] = mapped_column(sa.Text)
    social_level: Mapped[NeedLevel] = mapped_column(ChoiceType(NeedLevel), default=NeedLevel.NONE)
    social_note: Mapped[str | None] = mapped_column(sa.Text)
    safety_level: Mapped[NeedLevel] = mapped_column(ChoiceType(NeedLevel), default=NeedLevel.NONE)
    safety_note: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return f"{self.client} {self.assessed_on:%d.%m.%Y}" if self.assessed_on else str(self.client)

    def levels(self) -> list[tuple[LifeArea, NeedLevel, str | None]]:
        """(area, level, note) for every life area, in the order of the form."""
        return [
            (a, getattr(self, f"{a.value}_level") or NeedLevel.NONE, getattr(self, f"{a.value}_note")) for a in LifeArea
        ]


class StepKind(Choice):
    """Menetlustoimingud as the national register STAR records them, in their usual order."""

    APPLICATION = "application", _l("Application received")
    ASSESSED = "assessed", _l("Need assessed")
    DECISION = "decision", _l("Decision made")
    REFERRED = "referred", _l("Referred to the base-support provider")
    PLAN = "plan", _l("Action plan drawn up")
    REVIEWED = "reviewed", _l("Plan reviewed")
    CLOSED = "closed", _l("Case closed")
    OTHER = "other", _l("Other step")


STEP_ORDER = {kind: n for n, kind in enumerate(StepKind)}


class CaseStep(Versioned, db.Model):
    """Menetlustoiming: one procedural step in a client's case."""

    __tablename__ = "case_step"
    __table_args__ = (choice_check("kind", StepKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    client: Mapped[Client] = relationship()
    kind: Mapped[StepKind] = mapped_column(ChoiceType(StepKind), index=True)
    done_on: Mapped[date] = mapped_column(index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    by: Mapped[User | None] = relationship()
    note: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return f"{self.kind} {self.done_on:%d.%m.%Y}" if self.done_on else str(self.kind)


class CounselledParty(Choice):
    CLIENT = "client", _l("Client")
    NETWORK_MEMBER = "network_member", _l("Network member")
    PROVIDER = "provider", _l("Provider")


class CounsellingTopic(Choice):
    REHABILITATION = "rehabilitation", _l("Rehabilitation")
    SPECIAL_WELFARE = "special_welfare", _l("Special-welfare services")
    PUBLIC_SERVICES = "public_services", _l("General public services")
    SOCIAL_RIGHTS = "social_rights", _l("Social rights")
    APPLYING = "applying", _l("Applying for services and filling in documents")


class Channel(Choice):
    MEETING = "meeting", _l("Meeting")
    PHONE = "phone", _l("Phone")
    EMAIL = "email", _l("E-mail")
    HOME_VISIT = "home_visit", _l("Home visit")


class Counselling(Versioned, db.Model):
    """Nõustamine: counselling given to a client, a network member or a provider."""

    __tablename__ = "counselling"
    __table_args__ = (
        choice_check("party", CounselledParty),
        choice_check("topic", CounsellingTopic),
        choice_check("channel", Channel),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party: Mapped[CounselledParty] = mapped_column(
        ChoiceType(CounselledParty), default=CounselledParty.CLIENT, index=True
    )
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    client: Mapped[Client | None] = relationship()
    network_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("network_member.id", ondelete="SET NULL"), index=True
    )
    network_member: Mapped[NetworkMember | None] = relationship()
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    provider: Mapped[Provider | None] = relationship()
    topic: Mapped[CounsellingTopic] = mapped_column(ChoiceType(CounsellingTopic), index=True)
    channel: Mapped[Channel] = mapped_column(ChoiceType(Channel), index=True)
    held_on: Mapped[date] = mapped_column(index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    by: Mapped[User | None] = relationship()
    note: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return f"{self.topic} {self.held_on:%d.%m.%Y}" if self.held_on else str(self.topic)

    @property
    def counselled(self):
        """Whoever was counselled: the client, the network member or the provider."""
        return {
            CounselledParty.CLIENT: self.client,
            CounselledParty.NETWORK_MEMBER: self.network_member,
            CounselledParty.PROVIDER: self.provider,
        }.get(self.party)


def application_date(client_id: int | None) -> date | None:
    """The day the client's application was received: their 'application received' step, else
    the application date on the client."""
    if client_id is None:
        return None
    with db.session.no_autoflush:
        step = db.session.scalar(
            sa.select(sa.func.min(CaseStep.done_on)).where(
                CaseStep.client_id == client_id, CaseStep.kind == StepKind.APPLICATION.value
            )
        )
        applied = db.session.scalar(sa.select(Client.applied_on).where(Client.id == client_id))
    return min(d for d in (step, applied) if d) if (step or applied) else None


def dated_errors(client, day: date | None, field: str, *, own_application: bool = False) -> dict[str, str]:
    """A case record's date: given, not in the future, not before the client's application."""
    if day is None:
        return {}
    if day > date.today():
        return {field: str(_l("This date is in the future."))}
    applied = None if own_application or client is None else application_date(client.id)
    if applied and day < applied:
        return {field: str(_l("This is before the application was received (%(day)s).", day=f"{applied:%d.%m.%Y}"))}
    return {}


def assessment_errors(a: Assessment) -> dict[str, str]:
    """What is wrong with a need assessment, by field."""
    errors: dict[str, str] = {}
    if a.client is None:
        errors["client"] = str(_l("Choose the client."))
    errors.update(dated_errors(a.client, a.assessed_on, "assessed_on"))
    return errors


STEP_KIND_ORDER = sa.case({kind.value: n for kind, n in STEP_ORDER.items()}, value=CaseStep.kind, else_=len(STEP_ORDER))
"""A SQL expression ordering steps as ``StepKind`` lists them (application first, closing last)."""

_SELF = "self"


def _case_timeline(client_id: int | None, exclude_id: int | None) -> list[tuple[int, StepKind, date]]:
    """(id, kind, day) of a client's saved steps, leaving out ``exclude_id``."""
    if client_id is None:
        return []
    with db.session.no_autoflush:
        rows = db.session.execute(
            sa.select(CaseStep.id, CaseStep.kind, CaseStep.done_on).where(
                CaseStep.client_id == client_id, CaseStep.id != (exclude_id or 0)
            )
        ).all()
    return [(i, StepKind(k), d) for i, k, d in rows]


def _timeline_problems(steps, applied_on: date | None) -> dict:
    """Which steps of one case are out of order: {key: ("before", first application or None) or
    ("closed", day the case closed)}. A step other than an application needs an application on or
    before its day; after a closing, it needs a new application between the closing and its day.
    The application date on the client counts as an application."""
    applications = [d for _, k, d in steps if k == StepKind.APPLICATION and d] + ([applied_on] if applied_on else [])
    closings = [(key, d) for key, k, d in steps if k == StepKind.CLOSED and d]
    problems = {}
    for key, kind, day in steps:
        if kind == StepKind.APPLICATION or day is None:
            continue
        closed = max((d for other, d in closings if other != key and d < day), default=None)
        if closed is not None:
            if not any(closed <= a <= day for a in applications):
                problems[key] = ("closed", closed)
        elif not any(a <= day for a in applications):
            problems[key] = ("before", min(applications, default=None))
    return problems


def _problem_message(problem) -> str:
    why, day = problem
    if why == "closed":
        return str(_l("The case was closed on %(day)s; record a new application first.", day=f"{day:%d.%m.%Y}"))
    if day is None:
        return str(_l("Record the application first: a case begins with it."))
    return str(_l("This is before the application was received (%(day)s).", day=f"{day:%d.%m.%Y}"))


def _broken(before: dict, after: dict) -> list:
    """Keys of other steps that are out of order ``after`` a change and were not ``before`` it."""
    return [key for key in after if key != _SELF and key not in before]


def _saved_step(s: CaseStep):
    """(client_id, kind, day) of the step as saved, or None for a new one."""
    if s.id is None:
        return None
    with db.session.no_autoflush:
        row = db.session.execute(
            sa.select(CaseStep.client_id, CaseStep.kind, CaseStep.done_on).where(CaseStep.id == s.id)
        ).first()
    return None if row is None else (row[0], StepKind(row[1]), row[2])


def step_errors(s: CaseStep) -> dict[str, str]:
    """What is wrong with a procedural step: the case's timeline must read in order.

    No step before the application; a closed case takes no later steps except a new application;
    a case cannot close before its last step; nothing in the future. A change that puts other
    steps out of order (moving or re-kinding an application, closing too early) is refused."""
    with db.session.no_autoflush:  # the rule compares with the case as saved, not as being edited
        return _step_errors(s)


def _step_errors(s: CaseStep) -> dict[str, str]:
    if s.client is None:
        return {"client": str(_l("Choose the client."))}
    errors = dated_errors(s.client, s.done_on, "done_on", own_application=True)
    if errors or s.done_on is None or s.kind is None:
        return errors
    kind = StepKind(s.kind)
    others = _case_timeline(s.client.id, s.id)
    saved = _saved_step(s)
    before = others + ([(_SELF, saved[1], saved[2])] if saved and saved[0] == s.client.id else [])
    after = others + [(_SELF, kind, s.done_on)]
    problems = _timeline_problems(after, s.client.applied_on)
    if _SELF in problems:
        return {"done_on": _problem_message(problems[_SELF])}
    broken = _broken(_timeline_problems(before, s.client.applied_on), problems)
    if broken:
        if kind == StepKind.CLOSED:
            last = max(d for key, _, d in others if key in broken)
            return {"done_on": str(_l("A case cannot close before its last step (%(day)s).", day=f"{last:%d.%m.%Y}"))}
        if kind == StepKind.APPLICATION:
            return {"done_on": str(_l("Other steps of this case come before this date."))}
        return {"kind": str(_l("Later steps of this case need this application."))}
    if saved and saved[0] != s.client.id:
        # Moved to another client: the first client's case must still read in order without it.
        errors.update(step_delete_errors(s, client_id=saved[0]))
    return errors


def step_delete_errors(s: CaseStep, client_id: int | None = None) -> dict[str, str]:
    """Deleting a step must not leave the rest of the case out of order (e.g. its application)."""
    with db.session.no_autoflush:
        saved = _saved_step(s)
    if saved is None:
        return {}
    client_id = client_id or saved[0]
    with db.session.no_autoflush:
        applied_on = db.session.scalar(sa.select(Client.applied_on).where(Client.id == client_id))
    others = _case_timeline(client_id, s.id)
    before = _timeline_problems([*others, (_SELF, saved[1], saved[2])], applied_on)
    if _broken(before, _timeline_problems(others, applied_on)):
        return {"kind": str(_l("Later steps of this case need this application."))}
    return {}


def counselling_errors(c: Counselling) -> dict[str, str]:
    """What is wrong with a counselling record, by field."""
    errors: dict[str, str] = {}
    needed = {
        CounselledParty.CLIENT: ("client", c.client),
        CounselledParty.NETWORK_MEMBER: ("network_member", c.network_member),
        CounselledParty.PROVIDER: ("provider", c.provider),
    }
    if c.party in needed and needed[c.party][1] is None:
        field = needed[c.party][0]
        errors[field] = str(_l("Choose whom you counselled."))
    if c.network_member is not None and c.client is not None and c.network_member.client_id != c.client.id:
        errors["network_member"] = str(_l("This person is not in the chosen client's network."))
    if c.network_member is not None and c.client is None:
        c.client = c.network_member.client
    errors.update(dated_errors(c.client, c.held_on, "held_on"))
    return errors
