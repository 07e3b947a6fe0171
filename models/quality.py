"""Elukvaliteet: one questionnaire answered at entry, after one year and at exit, so answers compare."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .clients import Client, ClientStatus


class QolPoint(Choice):
    ENTRY = "entry", _l("At entry")
    ONE_YEAR = "one_year", _l("After one year")
    EXIT = "exit", _l("At exit")


POINT_ORDER = list(QolPoint)


class Instrument(Versioned, db.Model):
    """Küsimustik: the questionnaire's items and scale are data, not code."""

    __tablename__ = "qol_instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    scale_note: Mapped[str | None] = mapped_column(sa.String(300))
    active: Mapped[bool] = mapped_column(default=True)
    items: Mapped[list["InstrumentItem"]] = relationship(
        back_populates="instrument", cascade="all, delete-orphan", order_by="InstrumentItem.position"
    )

    def __str__(self) -> str:
        return self.name


class InstrumentItem(db.Model):
    """One question of a questionnaire."""

    __tablename__ = "qol_item"
    __table_args__ = (sa.UniqueConstraint("instrument_id", "position", name="uq_qol_item_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("qol_instrument.id", ondelete="CASCADE"), index=True)
    instrument: Mapped[Instrument] = relationship(back_populates="items")
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.String(300))

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class QolAnswerSet(Versioned, db.Model):
    """Elukvaliteedi hinnang: one client's answers at one point; the score is computed from them."""

    __tablename__ = "qol_answer_set"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "point", name="uq_qol_answer_set_point"),
        choice_check("point", QolPoint),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    client: Mapped[Client] = relationship()
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("qol_instrument.id"), index=True)
    instrument: Mapped[Instrument] = relationship()
    point: Mapped[QolPoint] = mapped_column(ChoiceType(QolPoint), index=True)
    answered_on: Mapped[date] = mapped_column(index=True)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 2), index=True)
    note: Mapped[str | None] = mapped_column(sa.Text)
    answers: Mapped[list["QolAnswer"]] = relationship(
        back_populates="answer_set", cascade="all, delete-orphan", lazy="selectin"
    )

    def __str__(self) -> str:
        return f"{self.client} – {self.point}"

    def value_of(self, item: InstrumentItem) -> int | None:
        """The answer given to ``item``, if any."""
        return next((a.value for a in self.answers if a.item_id == item.id or a.item is item), None)


class QolAnswer(db.Model):
    """The value given to one item."""

    __tablename__ = "qol_answer"
    __table_args__ = (sa.UniqueConstraint("answer_set_id", "item_id", name="uq_qol_answer_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_set_id: Mapped[int] = mapped_column(sa.ForeignKey("qol_answer_set.id", ondelete="CASCADE"), index=True)
    answer_set: Mapped[QolAnswerSet] = relationship(back_populates="answers")
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("qol_item.id"), index=True)
    item: Mapped[InstrumentItem] = relationship()
    value: Mapped[int]


def compute_score(values: list[int]) -> Decimal:
    """The score of an answer set: the mean of its answers, to two decimals."""
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def answer_set_errors(s: QolAnswerSet) -> dict[str, str]:
    """What is wrong with an answer set, by field; computes its score in place."""
    errors: dict[str, str] = {}
    if s.client is None:
        return {"client": str(_l("Choose the client."))}
    if s.instrument is None:
        return {"instrument": str(_l("Choose the questionnaire."))}
    if s.answered_on and s.answered_on > date.today():
        errors["answered_on"] = str(_l("This date is in the future."))
    instrument = s.instrument
    own = {i.id for i in instrument.items}
    answered = {a.item.id if a.item else a.item_id: a.value for a in s.answers}
    missing = [i for i in instrument.items if answered.get(i.id) is None]
    out_of_scale = [
        v for v in answered.values() if v is not None and not instrument.scale_min <= v <= instrument.scale_max
    ]
    if missing:
        errors["answers"] = str(_l("Answer every item (%(n)s missing).", n=len(missing)))
    elif out_of_scale:
        errors["answers"] = str(
            _l("Answers are from %(lo)s to %(hi)s.", lo=instrument.scale_min, hi=instrument.scale_max)
        )
    elif set(answered) - own:
        errors["answers"] = str(_l("Some answers are to items of another questionnaire."))
    with db.session.no_autoflush:
        others = db.session.execute(
            sa.select(QolAnswerSet.point, QolAnswerSet.answered_on, QolAnswerSet.instrument_id).where(
                QolAnswerSet.client_id == s.client.id, QolAnswerSet.id != (s.id or 0)
            )
        ).all()
    if s.point is None:
        errors["point"] = str(_l("Choose the point: at entry, after one year or at exit."))
    elif any(p == s.point for p, _, _ in others):
        errors["point"] = str(_l("This client already has answers at this point."))
    if any(used != instrument.id for _, _, used in others):
        # The three points compare only when they answer the same questions on the same scale.
        errors["client"] = str(
            _l("This client's other points were answered with another questionnaire; use the same one so they compare.")
        )
    if s.answered_on and s.point:
        mine = POINT_ORDER.index(s.point)
        for point, day, _ in others:
            theirs = POINT_ORDER.index(QolPoint(point))
            if (theirs < mine and day > s.answered_on) or (theirs > mine and day < s.answered_on):
                errors["answered_on"] = str(
                    _l(
                        "The points go in order: entry, after one year, exit (%(point)s was on %(day)s).",
                        point=QolPoint(point).label,
                        day=f"{day:%d.%m.%Y}",
                    )
                )
    if not errors:
        s.score = compute_score([v for v in answered.values()])
    return errors


def instrument_in_use(instrument: Instrument) -> bool:
    """True when answer sets were given with ``instrument``."""
    if instrument.id is None:
        return False
    with db.session.no_autoflush:
        return bool(db.session.scalar(sa.select(sa.exists().where(QolAnswerSet.instrument_id == instrument.id))))


def instrument_errors(instrument: Instrument) -> dict[str, str]:
    """What is wrong with a questionnaire, by field. Once answers were given with it, its scale and
    its items stay as they are (texts may be corrected), or the answers would no longer compare."""
    errors: dict[str, str] = {}
    if instrument.scale_min is not None and instrument.scale_max is not None:
        if instrument.scale_min >= instrument.scale_max:
            errors["scale_max"] = str(_l("The highest answer must be above the lowest."))
        elif instrument.scale_max - instrument.scale_min > 10:
            errors["scale_max"] = str(_l("A scale has at most 11 steps."))
    deleted = set(db.session.deleted)
    items = [i for i in instrument.items if i not in deleted]
    if not items:
        errors["items"] = str(_l("A questionnaire needs at least one item."))
    positions = [i.position for i in items]
    if len(positions) != len(set(positions)):
        errors["items"] = str(_l("Two items have the same position."))
    if not instrument_in_use(instrument):
        return errors
    with db.session.no_autoflush:
        stored = db.session.execute(
            sa.select(Instrument.scale_min, Instrument.scale_max).where(Instrument.id == instrument.id)
        ).one()
        stored_items = set(
            db.session.scalars(sa.select(InstrumentItem.id).where(InstrumentItem.instrument_id == instrument.id))
        )
    locked = str(
        _l(
            "Answers were given with this questionnaire, so its scale and items cannot change (the item texts "
            "may be corrected). Make a new questionnaire instead."
        )
    )
    if (instrument.scale_min, instrument.scale_max) != tuple(stored):
        errors["scale_min"] = errors["scale_max"] = locked
    if {i.id for i in items} != stored_items:
        errors["items"] = locked
    return errors


def instrument_delete_errors(instrument: Instrument) -> dict[str, str]:
    """A questionnaire that answers were given with is never deleted."""
    if instrument_in_use(instrument):
        return {"items": str(_l("Answers were given with this questionnaire, so it cannot be deleted."))}
    return {}


def one_year_due(within_days: int = 30, today: date | None = None) -> list[tuple[Client, date]]:
    """Clients whose one-year answers fall due within ``within_days`` or are overdue: (client, due date)."""
    today = today or date.today()
    entry = sa.orm.aliased(QolAnswerSet)
    later = sa.select(QolAnswerSet.id).where(
        QolAnswerSet.client_id == entry.client_id,
        QolAnswerSet.point.in_([QolPoint.ONE_YEAR.value, QolPoint.EXIT.value]),
    )
    rows = db.session.execute(
        sa.select(Client, entry.answered_on)
        .join(entry, sa.and_(entry.client_id == Client.id, entry.point == QolPoint.ENTRY.value))
        .where(~sa.exists(later), Client.status.in_([ClientStatus.ACTIVE.value, ClientStatus.PAUSED.value]))
        .order_by(entry.answered_on)
    ).all()
    limit = today + timedelta(days=within_days)
    due = [(client, answered + relativedelta(years=1)) for client, answered in rows]
    return [(client, day) for client, day in due if day <= limit]
