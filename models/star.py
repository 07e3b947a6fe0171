"""STAR-i järjekord: what is still to be entered by hand into the national register STAR.

STAR (sotsiaalteenuste ja -toetuste andmeregister) has no interface juhtum can write to, so the case
manager copies each record across. This module keeps a queue of them so that none is forgotten:

* A *kind* of record joins the queue with one call, ``track_kind`` (``models.star_records`` does it
  for need assessments, action plans and procedural steps); a record of a kind is queued when it is
  saved new, and queued again as *changed* when a field STAR holds is edited after it was entered.
  ``track(kind, record)`` queues one record by hand (e.g. a young person the municipality helped).
* ``mark_entered`` takes items off the queue, with who, when and optionally STAR's reference, and
  keeps the fields as they were entered, so a later change shows what changed.

The queue is written by a session listener in the same transaction as the record itself: a change
that is rolled back leaves the queue as it was."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .audit import jsonable
from .base import Choice, ChoiceType, RuleViolation, choice_check, db, utcnow
from .clients import Client
from .terms import add_working_days
from .text import text_error
from .users import User

#: Working days an item may wait before the home page shows it as late.
LATE_WORKING_DAYS = 5


class StarState(Choice):
    NEW = "new", _l("Not yet in STAR")
    CHANGED = "changed", _l("Changed after entering")
    ENTERED = "entered", _l("Entered in STAR")


WAITING = (StarState.NEW.value, StarState.CHANGED.value)


@dataclass(frozen=True)
class StarKind:
    """A kind of record that goes into STAR.

    ``fields(record)`` gives ``(key, label, value)`` in the order STAR's form asks for them, the value a
    text, a date, a choice, a number or a list of texts. ``watched`` names the record's attributes STAR
    holds (an edit of another attribute does not queue it again); ``parts`` maps a child model to
    (its attributes STAR holds, the function giving its record), e.g. a plan's goals. ``when(record)``,
    if given, decides whether a record belongs in STAR at all (e.g. only a young person who was helped)."""

    key: str
    label: object
    model: type
    fields: Callable
    watched: tuple[str, ...]
    parts: dict = field(default_factory=dict)
    when: Callable | None = None
    #: Loader options that bring what ``fields`` reads along with a batch of records (a list page).
    options: Callable = tuple


KINDS: dict[str, StarKind] = {}


def track_kind(kind: StarKind) -> StarKind:
    """Put every record of ``kind`` into the STAR queue from now on (idempotent per key)."""
    KINDS[kind.key] = kind
    return kind


def kind_of(key: str) -> StarKind | None:
    return KINDS.get(key)


class StarItem(db.Model):
    """One record waiting for STAR, or entered there: which kind and record, whose client, since when."""

    __tablename__ = "star_item"
    __table_args__ = (
        sa.UniqueConstraint("kind", "record_id", name="uq_star_item_record"),
        choice_check("state", StarState),
        sa.Index("ix_star_item_waiting", "state", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    record_id: Mapped[int]
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    client: Mapped[Client | None] = relationship()
    state: Mapped[StarState] = mapped_column(ChoiceType(StarState), default=StarState.NEW)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    entered_at: Mapped[datetime | None]
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    entered_by: Mapped[User | None] = relationship()
    star_reference: Mapped[str | None] = mapped_column(sa.String(100))
    #: The fields as they were entered: {key: {"raw": comparable value, "text": as shown then}}.
    entered_fields: Mapped[dict | None] = mapped_column(sa.JSON)

    def __str__(self) -> str:
        kind = kind_of(self.kind)
        return f"{kind.label if kind else self.kind} #{self.record_id}"

    @property
    def kind_label(self) -> str:
        kind = kind_of(self.kind)
        return str(kind.label) if kind else self.kind

    @property
    def record(self):
        """The queued record itself, or None when it is gone (or its kind is no longer tracked)."""
        kind = kind_of(self.kind)
        return None if kind is None else db.session.get(kind.model, self.record_id)

    @property
    def waiting(self) -> bool:
        return self.state in (StarState.NEW, StarState.CHANGED)

    def days_waiting(self, today: date | None = None) -> int | None:
        if not self.waiting or self.queued_at is None:
            return None
        return ((today or date.today()) - self.queued_at.date()).days

    def late(self, today: date | None = None) -> bool:
        """Waiting longer than ``LATE_WORKING_DAYS`` working days."""
        return self.waiting and add_working_days(self.queued_at.date(), LATE_WORKING_DAYS) < (today or date.today())


# --- The fields, as STAR asks for them ----------------------------------------------------------


def show(value) -> str:
    """A field's value as text to copy into STAR."""
    if value is None or value == "":
        return ""
    if isinstance(value, Choice):
        return str(value.label)
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, tuple):  # one line of parts, e.g. an activity: what, who, by when
        return " · ".join(show(v) for v in value if v not in (None, ""))
    if isinstance(value, list):  # lines
        return "\n".join(show(v) for v in value)
    return str(value)


def fields_of(item: StarItem, record=None) -> list[tuple[str, str, str]]:
    """(key, label, text) of the item's record, in STAR's order; empty when the record is gone."""
    kind = kind_of(item.kind)
    record = record if record is not None else item.record
    if kind is None or record is None:
        return []
    return [(key, str(label), show(value)) for key, label, value in kind.fields(record)]


def changes(item: StarItem, record=None) -> dict[str, str]:
    """For a changed item, {key: the text entered in STAR} of each field that differs now."""
    if item.state != StarState.CHANGED or not item.entered_fields:
        return {}
    kind = kind_of(item.kind)
    record = record if record is not None else item.record
    if kind is None or record is None:
        return {}
    now = {key: jsonable(value) for key, _, value in kind.fields(record)}
    was = item.entered_fields
    return {key: (was.get(key) or {}).get("text", "") for key in now if (was.get(key) or {}).get("raw") != now[key]}


# --- Queueing -----------------------------------------------------------------------------------


def _queue(conn, kind: str, record_id: int, client_id: int | None) -> None:
    """Put one record in the queue: new when it never was, changed when it was entered."""
    table = StarItem.__table__
    row = conn.execute(
        sa.select(table.c.id, table.c.state).where(table.c.kind == kind, table.c.record_id == record_id)
    ).first()
    if row is None:
        conn.execute(
            table.insert().values(
                kind=kind, record_id=record_id, client_id=client_id, state=StarState.NEW.value, queued_at=utcnow()
            )
        )
    elif row.state == StarState.ENTERED.value:
        conn.execute(
            table.update()
            .where(table.c.id == row.id)
            .values(state=StarState.CHANGED.value, queued_at=utcnow(), client_id=client_id)
        )
    else:
        conn.execute(table.update().where(table.c.id == row.id).values(client_id=client_id))


def track(kind: str, record) -> None:
    """Queue ``record`` (saved, of a tracked ``kind``) for STAR now, e.g. a young person who was helped."""
    if kind not in KINDS:
        raise KeyError(kind)
    db.session.flush()
    _queue(db.session.connection(), kind, record.id, getattr(record, "client_id", None))


def _touched(session: Session) -> list[tuple[str, object, bool]]:
    """(kind, record, deleted) of every tracked record this flush creates, changes in a field STAR
    holds, or deletes; a changed part (a plan's goal) counts as a change of its record."""
    found = []
    for kind in KINDS.values():
        for obj in session.new:
            if isinstance(obj, kind.model):
                found.append((kind.key, obj, False))
        for obj in session.dirty:
            if isinstance(obj, kind.model) and _changed(obj, kind.watched):
                found.append((kind.key, obj, False))
        for obj in session.deleted:
            if isinstance(obj, kind.model):
                found.append((kind.key, obj, True))
        for part, (attributes, owner) in kind.parts.items():
            for obj in (*session.new, *session.dirty, *session.deleted):
                if not isinstance(obj, part) or (obj in session.dirty and not _changed(obj, attributes)):
                    continue
                record = owner(obj)
                if record is not None and record not in session.deleted:
                    found.append((kind.key, record, False))
    return found


def _changed(obj, attributes) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _before_flush(session: Session, flush_context, instances) -> None:
    if KINDS:
        session.info.setdefault("star_touched", []).extend(_touched(session))


def _after_flush(session: Session, flush_context) -> None:
    touched = session.info.pop("star_touched", None)
    if not touched:
        return
    conn = session.connection()
    done = set()
    for key, record, deleted in touched:
        record_id = getattr(record, "id", None)
        if record_id is None or (key, record_id) in done:
            continue
        done.add((key, record_id))
        if deleted:
            table = StarItem.__table__
            conn.execute(table.delete().where(table.c.kind == key, table.c.record_id == record_id))
            continue
        when = KINDS[key].when
        if when is None or when(record):
            _queue(conn, key, record_id, getattr(record, "client_id", None))


def listen(session_class=Session) -> None:
    """Keep the STAR queue for every session of ``session_class`` (idempotent)."""
    if not sa.event.contains(session_class, "before_flush", _before_flush):
        sa.event.listen(session_class, "before_flush", _before_flush)
        sa.event.listen(session_class, "after_flush", _after_flush)


# --- Marking entered ----------------------------------------------------------------------------


def star_reference_error(reference: str | None) -> str | None:
    """Why a STAR reference cannot be stored, or None."""
    if reference and len(reference) > 100:
        return str(_l("A STAR reference holds at most 100 characters."))
    return text_error(reference)


def fields_stamp(item: StarItem, record=None) -> str:
    """A short fingerprint of the fields the user is shown: what a form to mark the item carries
    back, so that a record changed meanwhile is not recorded as entered as it is now."""
    shown = "\x1f".join(f"{key}={text}" for key, _, text in fields_of(item, record))
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def mark_entered(items, by: User | None, reference: str | None = None, seen: dict | None = None) -> int:
    """Mark ``items`` entered in STAR by ``by`` now, keeping their fields as entered; an item whose
    record is gone is dropped from the queue. Returns how many were marked.

    ``seen`` ({item id: ``fields_stamp``} of what the user copied) refuses, with ``RuleViolation``, an
    item whose record changed since: its fields as entered would not be the ones in STAR."""
    reference = (reference or "").strip() or None
    marked = 0
    for item in items:
        kind = kind_of(item.kind)
        record = item.record
        if kind is None or record is None:
            db.session.delete(item)
            continue
        if seen is not None and seen.get(item.id) != fields_stamp(item, record):
            raise RuleViolation(
                {"seen": str(_l("The record changed after you opened it: check its fields and mark it again."))}
            )
        item.state = StarState.ENTERED
        item.entered_at = utcnow()
        item.entered_by = by
        if reference is not None or item.star_reference is None:
            item.star_reference = reference
        item.entered_fields = {
            key: {"raw": jsonable(value), "text": show(value)} for key, _, value in kind.fields(record)
        }
        marked += 1
    return marked


def mark_seen(items, by: User | None, seen: dict, reference: str | None = None) -> tuple[int, list[StarItem]]:
    """Mark in bulk what the user saw: ``seen`` holds each item's ``fields_stamp`` as their list or
    confirmation page showed it. An item whose record changed since (or that they were never shown)
    is left waiting and returned, to be named to them; the rest are marked. Returns (marked, refused)."""
    refused, fine = [], []
    for item in items:
        record = item.record if kind_of(item.kind) is not None else None
        if record is not None and seen.get(item.id) != fields_stamp(item, record):
            refused.append(item)
        else:
            fine.append(item)  # unchanged, or its record is gone (``mark_entered`` drops it)
    return mark_entered(fine, by, reference), refused


def seen_stamps(values: list[str]) -> dict[int, str]:
    """``{item id: stamp}`` from a form's ``seen`` values, each ``"<id>:<stamp>"``; others are ignored."""
    stamps: dict[int, str] = {}
    for value in values:
        key, _, stamp = str(value).partition(":")
        if key.isdigit() and stamp:
            stamps[int(key)] = stamp
    return stamps


# --- What waits ---------------------------------------------------------------------------------


def load_records(items) -> None:
    """Load the records of ``items`` with what their fields read: one query per kind and relation,
    not one per item (``StarItem.record`` then finds them in the session). Their clients are the
    items' own (loaded with them); the users they name are the few staff, read in one query."""
    keep = db.session.info.setdefault("star_records", [])
    # The session holds its records weakly: keep these for the request, or they are read again.
    keep.extend(db.session.scalars(sa.select(User)).all())
    wanted: dict[str, list[int]] = {}
    for item in items:
        wanted.setdefault(item.kind, []).append(item.record_id)
    for key, ids in wanted.items():
        kind = KINDS.get(key)
        if kind is not None:
            records = db.session.scalars(
                sa.select(kind.model).where(kind.model.id.in_(ids)).options(*kind.options())
            ).all()
            keep.extend(records)


def waiting_items(client_condition=None) -> sa.Select:
    """The waiting items, oldest first, of the clients ``client_condition`` (a condition on
    ``Client``) allows, or of all."""
    query = sa.select(StarItem).where(StarItem.state.in_(WAITING)).order_by(StarItem.queued_at, StarItem.id)
    if client_condition is not None:
        query = query.where(StarItem.client_id.in_(sa.select(Client.id).where(client_condition)))
    return query


def waiting_summary(client_condition=None, today: date | None = None) -> dict:
    """How many items wait, how many of them longer than ``LATE_WORKING_DAYS`` working days, and the
    oldest one's age in days (None when nothing waits)."""
    today = today or date.today()
    queued = [
        q.date()
        for q in db.session.scalars(
            waiting_items(client_condition).with_only_columns(StarItem.queued_at).order_by(StarItem.queued_at)
        )
    ]
    return {
        "waiting": len(queued),
        "late": sum(1 for q in queued if add_working_days(q, LATE_WORKING_DAYS) < today),
        "oldest_days": (today - queued[0]).days if queued else None,
    }
