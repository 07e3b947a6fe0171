"""Kohtumised: meetings with clients, their networks, providers and agencies; follow-up tasks."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .clients import Client, NetworkMember
from .providers import Provider
from .users import User


class MeetingKind(Choice):
    NETWORK = "network", _l("Network meeting")
    PROVIDER = "provider", _l("Provider meeting")
    PARTICIPANTS = "participants", _l("Participants' meeting")
    AGENCY = "agency", _l("Cooperation meeting with SKA or another agency")


def _link(name: str, column: str, target: str) -> sa.Table:
    return sa.Table(
        name,
        db.metadata,
        sa.Column("meeting_id", sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(column, sa.ForeignKey(f"{target}.id", ondelete="CASCADE"), primary_key=True, index=True),
    )


meeting_clients = _link("meeting_client", "client_id", "client")
meeting_network = _link("meeting_network_member", "network_member_id", "network_member")
meeting_providers = _link("meeting_provider", "provider_id", "provider")


class Meeting(Versioned, db.Model):
    """Kohtumine: a dated meeting, who took part, the minutes and what follows from it."""

    __tablename__ = "meeting"
    __table_args__ = (choice_check("kind", MeetingKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(index=True)
    kind: Mapped[MeetingKind] = mapped_column(ChoiceType(MeetingKind), index=True)
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    clients: Mapped[list[Client]] = relationship(secondary=meeting_clients, order_by=Client.last_name)
    network_members: Mapped[list[NetworkMember]] = relationship(secondary=meeting_network)
    providers: Mapped[list[Provider]] = relationship(secondary=meeting_providers, order_by=Provider.name)
    others: Mapped[str | None] = mapped_column(sa.Text)
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    recorded_by: Mapped[User | None] = relationship()
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="FollowUp.deadline"
    )

    def __str__(self) -> str:
        return f"{self.held_on:%d.%m.%Y} {self.title}" if self.held_on else self.title


class FollowUp(db.Model):
    """Järeltegevus: a task agreed at a meeting, with its owner and deadline."""

    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    meeting: Mapped[Meeting] = relationship(back_populates="follow_ups")
    task: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    owner: Mapped[User | None] = relationship()
    owner_other: Mapped[str | None] = mapped_column(sa.String(200))
    deadline: Mapped[date | None] = mapped_column(index=True)
    done: Mapped[bool] = mapped_column(default=False)

    def __str__(self) -> str:
        return self.task

    @hybrid_property
    def overdue(self) -> bool:
        """Past its deadline and not done."""
        return self.deadline is not None and self.deadline < date.today() and not self.done

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls):
        return sa.and_(cls.deadline < sa.func.current_date(), sa.not_(cls.done))


def kept(rows: list) -> list:
    """The rows of a list still to be kept: a row an edit form marked for deletion is left out."""
    return [r for r in rows if (s := object_session(r)) is None or r not in s.deleted]


def follow_up_errors(f: FollowUp, m: Meeting) -> dict[str, str]:
    """What is wrong with one follow-up of meeting ``m``, by the follow-up's field."""
    errors: dict[str, str] = {}
    if not (f.task or "").strip():
        errors["task"] = str(_l("Every follow-up needs its task."))
    if f.owner is None and f.owner_id is None and not (f.owner_other or "").strip():
        errors["owner"] = str(_l("Every follow-up needs an owner."))
    if f.deadline and m.held_on and f.deadline < m.held_on:
        errors["deadline"] = str(_l("A follow-up cannot be due before the meeting."))
    return errors


def meeting_errors(m: Meeting) -> dict[str, str]:
    """What is wrong with a meeting record, by field; the follow-ups' problems under ``follow_ups``."""
    errors: dict[str, str] = {}
    if not (m.title or "").strip():
        errors["title"] = str(_l("Give the meeting a title."))
    if not (m.clients or m.network_members or m.providers or (m.others or "").strip()):
        errors["clients"] = str(_l("Name at least one participant."))
    if m.held_on and m.held_on > date.today() and (m.minutes or "").strip():
        errors["minutes"] = str(_l("Minutes can only be written for a meeting that has taken place."))
    problems = [message for f in kept(m.follow_ups) for message in follow_up_errors(f, m).values()]
    if problems:
        errors["follow_ups"] = " ".join(dict.fromkeys(problems))
    return errors
