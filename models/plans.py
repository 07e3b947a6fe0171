"""Tegevusplaanid: a client's action plan, its goals and the activities under each goal."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .casework import dated_errors
from .clients import Client, NetworkMember
from .meetings import kept
from .providers import Provider
from .users import User


class PlanStatus(Choice):
    OPEN = "open", _l("In force")
    CLOSED = "closed", _l("Closed")


class Responsible(Choice):
    CLIENT = "client", _l("The client")
    NETWORK_MEMBER = "network_member", _l("A network member")
    PROVIDER = "provider", _l("A provider")
    CASE_MANAGER = "case_manager", _l("The case manager")


class ActivityStatus(Choice):
    PLANNED = "planned", _l("Planned")
    IN_PROGRESS = "in_progress", _l("In progress")
    DONE = "done", _l("Done")
    DROPPED = "dropped", _l("Dropped")


_OPEN_ACTIVITY = (ActivityStatus.PLANNED.value, ActivityStatus.IN_PROGRESS.value)


class ActionPlan(Versioned, db.Model):
    """Tegevusplaan (juhtumiplaan): what the client and their helpers will do, and by when."""

    __tablename__ = "action_plan"
    __table_args__ = (
        choice_check("status", PlanStatus),
        sa.CheckConstraint("review_on IS NULL OR review_on >= drawn_up_on", name="review_after_drawn_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    client: Mapped[Client] = relationship()
    drawn_up_on: Mapped[date] = mapped_column(index=True)
    review_on: Mapped[date | None] = mapped_column(index=True)
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    responsible: Mapped[User | None] = relationship()
    status: Mapped[PlanStatus] = mapped_column(ChoiceType(PlanStatus), default=PlanStatus.OPEN, index=True)
    resources: Mapped[str | None] = mapped_column(sa.Text)
    recommendations: Mapped[str | None] = mapped_column(sa.Text)
    goals: Mapped[list["Goal"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Goal.position, Goal.id"
    )
    activities: Mapped[list["Activity"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Activity.deadline, Activity.id"
    )

    def __str__(self) -> str:
        return f"{self.client} {self.drawn_up_on:%d.%m.%Y}" if self.drawn_up_on else str(self.client)

    @property
    def overdue_activities(self) -> list["Activity"]:
        """Activities past their deadline and not done or dropped."""
        return [a for a in self.activities if a.overdue]


class Goal(db.Model):
    """Eesmärk: one goal of an action plan, with what stands in its way."""

    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("action_plan.id", ondelete="CASCADE"), index=True)
    plan: Mapped[ActionPlan] = relationship(back_populates="goals")
    position: Mapped[int] = mapped_column(default=1)
    text: Mapped[str] = mapped_column(sa.Text)
    obstacles: Mapped[str | None] = mapped_column(sa.Text)
    activities: Mapped[list["Activity"]] = relationship(back_populates="goal", order_by="Activity.deadline")

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class Activity(db.Model):
    """Tegevus: what is done towards a goal, who answers for it and by when."""

    __tablename__ = "activity"
    __table_args__ = (choice_check("responsible", Responsible), choice_check("status", ActivityStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("action_plan.id", ondelete="CASCADE"), index=True)
    plan: Mapped[ActionPlan] = relationship(back_populates="activities")
    goal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("goal.id", ondelete="SET NULL"), index=True)
    goal: Mapped[Goal | None] = relationship(back_populates="activities")
    text: Mapped[str] = mapped_column(sa.Text)
    responsible: Mapped[Responsible] = mapped_column(ChoiceType(Responsible), default=Responsible.CLIENT)
    network_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("network_member.id", ondelete="SET NULL"), index=True
    )
    network_member: Mapped[NetworkMember | None] = relationship()
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    provider: Mapped[Provider | None] = relationship()
    deadline: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[ActivityStatus] = mapped_column(
        ChoiceType(ActivityStatus), default=ActivityStatus.PLANNED, index=True
    )
    assessed: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return self.text

    @hybrid_property
    def overdue(self) -> bool:
        """Past its deadline and neither done nor dropped."""
        return self.deadline is not None and self.deadline < date.today() and self.status in _OPEN_ACTIVITY

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls):
        return sa.and_(cls.deadline < sa.func.current_date(), cls.status.in_(_OPEN_ACTIVITY))

    @property
    def responsible_party(self) -> str:
        """Who answers for the activity, by name where one is known."""
        named = {Responsible.NETWORK_MEMBER: self.network_member, Responsible.PROVIDER: self.provider}.get(
            self.responsible
        )
        return f"{self.responsible.label}: {named}" if named else str(self.responsible.label)


def goal_errors(g: Goal, p: ActionPlan) -> dict[str, str]:
    """What is wrong with one goal of plan ``p``, by the goal's field."""
    if not (g.text or "").strip():
        return {"text": str(_l("Every goal needs its text."))}
    return {}


def activity_errors(a: Activity, p: ActionPlan) -> dict[str, str]:
    """What is wrong with one activity of plan ``p``, by the activity's field."""
    errors: dict[str, str] = {}
    if not (a.text or "").strip():
        errors["text"] = str(_l("Every activity needs its text."))
    if a.goal is not None:
        if a.goal not in p.goals:
            errors["goal"] = str(_l("An activity's goal must be a goal of this plan."))
        elif a.goal not in kept(p.goals):
            errors["goal"] = str(
                _l("The goal '%(goal)s' is being deleted: move its activities to another goal first.", goal=a.goal)
            )
    if a.responsible == Responsible.NETWORK_MEMBER and a.network_member is None:
        errors["network_member"] = str(_l("Name the network member responsible."))
    if a.network_member is not None and p.client is not None and a.network_member.client_id != p.client.id:
        errors["network_member"] = str(_l("%(name)s is not in this client's network.", name=a.network_member.name))
    if a.responsible == Responsible.PROVIDER and a.provider is None:
        errors["provider"] = str(_l("Name the provider responsible."))
    if a.deadline and p.drawn_up_on and a.deadline < p.drawn_up_on:
        errors["deadline"] = str(_l("A deadline cannot be before the plan was drawn up."))
    return errors


def plan_errors(p: ActionPlan) -> dict[str, str]:
    """What is wrong with an action plan and its goals and activities, by field; the goals' and
    activities' problems gathered under ``goals`` and ``activities`` (rows marked for deletion left out)."""
    with db.session.no_autoflush:  # judged as being edited: a goal marked for deletion is not flushed yet
        return _plan_errors(p)


def _plan_errors(p: ActionPlan) -> dict[str, str]:
    errors: dict[str, str] = {}
    if p.client is None:
        return {"client": str(_l("Choose the client."))}
    if p.drawn_up_on is None:
        errors["drawn_up_on"] = str(_l("Give the date the plan was drawn up."))
    errors.update(dated_errors(p.client, p.drawn_up_on, "drawn_up_on"))
    if p.review_on and p.drawn_up_on and p.review_on < p.drawn_up_on:
        errors["review_on"] = str(_l("The review cannot come before the plan was drawn up."))
    for name, rule in (("goals", goal_errors), ("activities", activity_errors)):
        problems = [message for row in kept(getattr(p, name)) for message in rule(row, p).values()]
        if problems:
            errors[name] = " ".join(dict.fromkeys(problems))
    return errors
