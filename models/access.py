"""Least access: whose clients a case manager may see, and the substitutions that widen it.

A case manager sees the clients assigned to them, the clients of a colleague while standing in for
them (a substitution whose dates cover the day) and clients nobody is assigned to yet (the intake
queue, until the head assigns them). The head, the administrator and the other roles are not
limited by client (what their role may open at all is decided by the views).

A restricted letter (AK) about a client follows that client's scope (``LetterReader``)."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db
from .clients import Client
from .letters import Letter
from .meetings import Meeting
from .users import User

#: Roles that see every client; a case manager without one of them sees only their scope.
SEES_ALL_CLIENTS = frozenset({"admin", "head"})


class Substitution(db.Model):
    """Asendamine: ``substitute`` stands in for ``absent`` from ``starts_on`` to ``ends_on`` inclusive."""

    __tablename__ = "substitution"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        sa.CheckConstraint("substitute_id <> absent_id", name="not_oneself"),
        sa.Index("ix_substitution_substitute_dates", "substitute_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    absent_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    absent: Mapped[User] = relationship(foreign_keys=[absent_id])
    substitute_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id])
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.String(300))

    def __str__(self) -> str:
        return f"{self.substitute} → {self.absent}"


def substitution_errors(s: Substitution) -> dict[str, str]:
    """What is wrong with a substitution, by field."""
    errors: dict[str, str] = {}
    if s.absent is None and s.absent_id is None:
        errors["absent"] = str(_l("Choose who is absent."))
    if s.substitute is None and s.substitute_id is None:
        errors["substitute"] = str(_l("Choose who stands in."))
    absent = s.absent.id if s.absent is not None else s.absent_id
    substitute = s.substitute.id if s.substitute is not None else s.substitute_id
    if absent is not None and absent == substitute:
        errors["substitute"] = str(_l("Nobody stands in for themselves."))
    if s.starts_on and s.ends_on and s.ends_on < s.starts_on:
        errors["ends_on"] = str(_l("The end cannot be before the start."))
    return errors


def stood_in_for(user_id: int, today: date | None = None) -> sa.Select:
    """The ids of the colleagues ``user_id`` stands in for on ``today``."""
    today = today or date.today()
    return sa.select(Substitution.absent_id).where(
        Substitution.substitute_id == user_id, Substitution.starts_on <= today, Substitution.ends_on >= today
    )


def client_condition(user_id: int, today: date | None = None, *, unassigned: bool = True) -> sa.ColumnElement[bool]:
    """A condition on ``Client`` true for the clients ``user_id`` may see as a case manager: their own,
    those of colleagues they stand in for today and (``unassigned``) those nobody is assigned to."""
    mine = sa.or_(Client.case_manager_id == user_id, Client.case_manager_id.in_(stood_in_for(user_id, today)))
    return sa.or_(Client.case_manager_id.is_(None), mine) if unassigned else mine


def client_scope(user_id: int, today: date | None = None) -> sa.Select:
    """The ids of the clients ``user_id`` may see as a case manager."""
    return sa.select(Client.id).where(client_condition(user_id, today))


def scope_condition(model, user_id: int, today: date | None = None) -> sa.ColumnElement[bool] | None:
    """A condition on ``model`` keeping only what concerns clients in ``user_id``'s scope, or None when
    ``model`` is not about clients. A record about no client (an inspection of a provider as a whole,
    a meeting with agencies only) concerns everyone; a meeting, any of its clients in the scope."""
    if model is Client:
        return client_condition(user_id, today)
    own = getattr(model, "in_scope_of", None)
    if own is not None:  # a register with a scope of its own (the youth guarantee's outreach records)
        return own(user_id, today)
    if model is Meeting:
        return sa.or_(~Meeting.clients.any(), Meeting.clients.any(client_condition(user_id, today)))
    column = getattr(model, "client_id", None)
    if column is None or not hasattr(column, "in_"):
        return None
    condition = column.in_(client_scope(user_id, today))
    return sa.or_(column.is_(None), condition) if model.__table__.c.client_id.nullable else condition


def sees_all_clients(roles) -> bool:
    """True unless the roles make someone a case manager limited to their own clients."""
    roles = set(roles)
    return bool(roles & SEES_ALL_CLIENTS) or "case_manager" not in roles


class LetterReader:
    """Who may read a restricted letter (AK) and see which client a letter concerns, for one user.

    The head and the administrator read every letter; the one answering a letter reads it; a case
    manager reads a letter about a client they may read (``client_condition``: their own, those of a
    colleague they stand in for today, those nobody is assigned to) and a letter about no client.
    Everyone else (the registrar, a case manager without that client) sees of a restricted letter its
    number, dates and status only, and of any letter not which client it concerns. Make one per user
    and request: the clients in scope are read once, when first needed."""

    def __init__(self, user_id: int | None, roles, today: date | None = None):
        roles = set(roles)
        self.user_id, self.today = user_id, today
        self.sees_all = bool(roles & SEES_ALL_CLIENTS)
        #: A case manager limited to their scope; neither this nor ``sees_all``: reads no restricted letter.
        self.scoped = not self.sees_all and "case_manager" in roles and user_id is not None
        self._clients: set[int] | None = None

    def clients(self) -> set[int]:
        if self._clients is None:
            self._clients = set(db.session.scalars(client_scope(self.user_id, self.today)))
        return self._clients

    def may_see_client(self, letter: Letter) -> bool:
        """Whether the user may see which client ``letter`` concerns (and read it when restricted)."""
        if self.sees_all:
            return True
        if not self.scoped:
            return False
        if letter.answerer_id is not None and letter.answerer_id == self.user_id:
            return True
        return letter.client_id is None or letter.client_id in self.clients()

    def may_read(self, letter: Letter) -> bool:
        """Whether the user may read ``letter``'s content: subject, sender, text, files, client."""
        return not letter.is_restricted or self.may_see_client(letter)

    def condition(self) -> sa.ColumnElement[bool] | None:
        """A condition on ``Letter`` true for the letters the user may read, or None for every one."""
        if self.sees_all:
            return None
        if not self.scoped:
            return ~Letter.is_restricted
        return sa.or_(
            ~Letter.is_restricted,
            Letter.answerer_id == self.user_id,
            Letter.client_id.is_(None),
            Letter.client_id.in_(client_scope(self.user_id, self.today)),
        )
