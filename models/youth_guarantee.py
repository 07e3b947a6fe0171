"""Noortegarantii: youth guarantee list rounds from STAR, an outreach record per young person on a
round, the contact attempts made, and the rules on the order of an outreach's statuses.

The import of a round's file (mapping, preview, saving) is ``models.youth_import``."""

import string
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from .access import stood_in_for
from .base import Choice, ChoiceType, Versioned, choice_check, db, utcnow
from .clients import Client
from .users import User

#: Contact is kept for at least this long after a young person's goal is reached.
FOLLOW_UP_MONTHS = 6
#: The ages the list covers, on the query date.
MIN_AGE, MAX_AGE = 16, 26


class Half(Choice):
    SPRING = "spring", _l("spring")
    AUTUMN = "autumn", _l("autumn")


class OutreachStatus(Choice):
    NOT_CONTACTED = "not_contacted", _l("Not contacted")
    NO_ANSWER = "no_answer", _l("Contacted, no answer")
    UNREACHABLE = "unreachable", _l("Unreachable")
    WANTS_HELP = "wants_help", _l("Wants help")
    DOES_NOT_WANT = "does_not_want", _l("Does not want help")
    NOT_ON_TERMS = "not_on_terms", _l("Not on the list's terms")
    BECAME_CLIENT = "became_client", _l("Became a client")
    CLOSED = "closed", _l("Closed")


class OffTermsReason(Choice):
    STUDYING = "studying", _l("Studying")
    WORKING = "working", _l("Working")
    UNEMPLOYED = "unemployed", _l("Registered as unemployed")
    MOVED = "moved", _l("Moved away")
    WORK_ABILITY = "work_ability", _l("Lack of work ability established")
    BUSINESS = "business", _l("Running a business")
    PARENTAL = "parental", _l("On parental benefit")
    PRISON = "prison", _l("In prison")
    CONSCRIPT = "conscript", _l("In conscript service")
    OTHER = "other", _l("Other reason")


class AttemptChannel(Choice):
    EMAIL = "email", _l("E-mail")
    SMS = "sms", _l("SMS")
    PHONE = "phone", _l("Phone")
    LETTER = "letter", _l("Letter")
    MEETING = "meeting", _l("Meeting")
    HOME_VISIT = "home_visit", _l("Home visit")


class AttemptOutcome(Choice):
    SENT = "sent", _l("Sent, no answer yet")
    NO_ANSWER = "no_answer", _l("No answer")
    REACHED = "reached", _l("Reached")
    WRONG_CONTACT = "wrong_contact", _l("Wrong contact details")


#: Outcomes meaning the young person was reached (the report's "reached").
REACHED_STATUSES = (
    OutreachStatus.WANTS_HELP,
    OutreachStatus.DOES_NOT_WANT,
    OutreachStatus.NOT_ON_TERMS,
    OutreachStatus.BECAME_CLIENT,
)


class YouthRound(db.Model):
    """Nimekirja voor: one list from STAR, named by its year and half, with its query and arrival dates."""

    __tablename__ = "youth_round"
    __table_args__ = (choice_check("half", Half), sa.UniqueConstraint("year", "half", name="one_per_half"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    half: Mapped[Half] = mapped_column(ChoiceType(Half))
    queried_on: Mapped[date]
    received_on: Mapped[date] = mapped_column(index=True)
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    imported_by: Mapped[User | None] = relationship()
    imported_at: Mapped[datetime | None] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return f"{self.year} {self.half.label if self.half else ''}".strip()

    @property
    def sort_key(self) -> tuple:
        return (self.year, 0 if self.half == Half.SPRING else 1)


class YouthLayout(db.Model):
    """A file layout seen before: its headings (joined) and the mapping chosen for it, as JSON."""

    __tablename__ = "youth_layout"

    id: Mapped[int] = mapped_column(primary_key=True)
    headings: Mapped[str] = mapped_column(sa.String(64), unique=True)
    mapping: Mapped[str] = mapped_column(sa.Text)


class Outreach(Versioned, db.Model):
    """Väljaulatuv töö: one young person on one round, the case manager reaching out and the outcome."""

    #: Opening a record is logged like a client's, by the young person's personal code (``access_event``).
    access_by_personal_code = True

    __tablename__ = "youth_outreach"
    __table_args__ = (
        choice_check("status", OutreachStatus),
        choice_check("off_terms_reason", OffTermsReason),
        sa.UniqueConstraint("round_id", "personal_code", name="once_per_round"),
        sa.Index("ix_youth_outreach_manager_status", "case_manager_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("youth_round.id", ondelete="CASCADE"), index=True)
    round: Mapped[YouthRound] = relationship()
    earlier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("youth_outreach.id", ondelete="SET NULL"), index=True)
    earlier: Mapped["Outreach | None"] = relationship(remote_side=[id])
    personal_code: Mapped[str] = mapped_column(sa.String(11), index=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    birth_date: Mapped[date]
    email: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    guardian_name: Mapped[str | None] = mapped_column(sa.String(200))
    guardian_phone: Mapped[str | None] = mapped_column(sa.String(40))
    guardian_email: Mapped[str | None] = mapped_column(sa.String(255))
    education: Mapped[str | None] = mapped_column(sa.String(300))
    employment: Mapped[str | None] = mapped_column(sa.String(300))
    status: Mapped[OutreachStatus] = mapped_column(
        ChoiceType(OutreachStatus), default=OutreachStatus.NOT_CONTACTED, index=True
    )
    off_terms_reason: Mapped[OffTermsReason | None] = mapped_column(ChoiceType(OffTermsReason))
    answer: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    case_manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    case_manager: Mapped[User | None] = relationship()
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="SET NULL"), index=True)
    client: Mapped[Client | None] = relationship()
    first_mail_at: Mapped[datetime | None]
    goal_reached_on: Mapped[date | None]
    follow_up_on: Mapped[date | None] = mapped_column(index=True)
    attempts: Mapped[list["ContactAttempt"]] = relationship(
        back_populates="outreach", cascade="all, delete-orphan", order_by="ContactAttempt.made_on"
    )

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @classmethod
    def in_scope_of(cls, user_id: int, today: date | None = None) -> sa.ColumnElement[bool]:
        """A case manager sees the records assigned to them (or to a colleague they stand in for) and
        the unassigned ones, as with clients (``models.access``)."""
        return sa.or_(
            cls.case_manager_id.is_(None),
            cls.case_manager_id == user_id,
            cls.case_manager_id.in_(stood_in_for(user_id, today)),
        )


class ContactAttempt(db.Model):
    """Kontakti katse: a dated attempt to reach the young person, its channel and outcome, and who made it."""

    __tablename__ = "youth_contact_attempt"
    __table_args__ = (choice_check("channel", AttemptChannel), choice_check("outcome", AttemptOutcome))

    id: Mapped[int] = mapped_column(primary_key=True)
    outreach_id: Mapped[int] = mapped_column(sa.ForeignKey("youth_outreach.id", ondelete="CASCADE"), index=True)
    outreach: Mapped[Outreach] = relationship(back_populates="attempts")
    made_on: Mapped[date] = mapped_column(index=True)
    channel: Mapped[AttemptChannel] = mapped_column(ChoiceType(AttemptChannel))
    outcome: Mapped[AttemptOutcome] = mapped_column(ChoiceType(AttemptOutcome))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    by: Mapped[User | None] = relationship()
    note: Mapped[str | None] = mapped_column(sa.String(500))

    def __str__(self) -> str:
        return f"{self.made_on:%d.%m.%Y} {self.channel.label}" if self.made_on and self.channel else ""


def round_name(year: int, half: Half) -> str:
    return f"{year} {Half(half).label}"


def _kept(rows: list) -> list:
    return [r for r in rows if (s := object_session(r)) is None or r not in s.deleted]


def attempt_errors(a: ContactAttempt, o: Outreach) -> dict[str, str]:
    """What is wrong with one contact attempt of ``o``, by the attempt's field."""
    errors: dict[str, str] = {}
    if a.made_on is None:
        errors["made_on"] = str(_l("Every contact attempt needs its date."))
    elif a.made_on > date.today():
        errors["made_on"] = str(_l("A contact attempt cannot be in the future."))
    elif o.round is not None and o.round.received_on and a.made_on < o.round.received_on:
        errors["made_on"] = str(
            _l("A contact attempt cannot be before the list arrived (%(day)s).", day=f"{o.round.received_on:%d.%m.%Y}")
        )
    if not a.channel:
        errors["channel"] = str(_l("Every contact attempt needs its channel."))
    if not a.outcome:
        errors["outcome"] = str(_l("Every contact attempt needs its outcome."))
    return errors


def outreach_errors(o: Outreach) -> dict[str, str]:
    """What is wrong with an outreach record, by field: its status must follow the model's order.

    Nobody is contacted without an attempt; nobody is unreachable without at least two attempts on two
    different days; an answer (wanting help or not) needs someone to have reached them; not on the
    list's terms needs its reason (and "other" a note); became a client needs the client; a record
    with attempts is never "not contacted" again."""
    errors: dict[str, str] = {}
    attempts = _kept(o.attempts)
    problems = [m for a in attempts for m in attempt_errors(a, o).values()]
    if problems:
        errors["attempts"] = " ".join(dict.fromkeys(problems))
    days = {a.made_on for a in attempts if a.made_on}
    status = OutreachStatus(o.status) if o.status else OutreachStatus.NOT_CONTACTED
    reached = any(a.outcome == AttemptOutcome.REACHED for a in attempts)
    if status == OutreachStatus.NOT_CONTACTED and attempts:
        errors["status"] = str(_l("Contact attempts are recorded: the record is no longer 'not contacted'."))
    elif status == OutreachStatus.NO_ANSWER and not attempts:
        errors["status"] = str(_l("Record the contact attempt first."))
    elif status == OutreachStatus.UNREACHABLE and len(days) < 2:
        errors["status"] = str(_l("Unreachable needs at least two contact attempts on two different days."))
    elif status == OutreachStatus.UNREACHABLE and reached:
        errors["status"] = str(_l("The young person was reached, so they are not unreachable."))
    elif status in (OutreachStatus.WANTS_HELP, OutreachStatus.DOES_NOT_WANT) and not reached:
        errors["status"] = str(_l("An answer needs a contact attempt in which the young person was reached."))
    elif status == OutreachStatus.NOT_ON_TERMS and not o.off_terms_reason:
        errors["off_terms_reason"] = str(_l("Give the reason the young person is not on the list's terms."))
    elif status == OutreachStatus.BECAME_CLIENT and o.client is None and o.client_id is None:
        errors["status"] = str(_l("Use 'Became a client': it links the client to the record."))
    elif status == OutreachStatus.CLOSED and not attempts and not (o.notes or "").strip():
        errors["notes"] = str(_l("Say in the notes why a record nobody contacted is closed."))
    if o.off_terms_reason and status != OutreachStatus.NOT_ON_TERMS:
        errors["off_terms_reason"] = str(_l("A reason is given, but the status is not 'Not on the list's terms'."))
    if o.off_terms_reason == OffTermsReason.OTHER and not (o.notes or "").strip():
        errors["notes"] = str(_l("Describe the other reason in the notes."))
    if o.goal_reached_on:
        if o.goal_reached_on > date.today():
            errors["goal_reached_on"] = str(_l("This date is in the future."))
        else:
            o.follow_up_on = follow_up_date(o.goal_reached_on)
    return errors


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def follow_up_date(goal_reached_on: date) -> date:
    """The follow-up day: six months after the goal was reached."""
    return add_months(goal_reached_on, FOLLOW_UP_MONTHS)


def goal_reached(client_id: int, day: date) -> Outreach | None:
    """A young person who is a client reached their goal on ``day`` (a closing step, or leaving with
    goals met): their latest outreach record gets the follow-up date six months later."""
    record = db.session.scalar(
        sa.select(Outreach).where(Outreach.client_id == client_id).order_by(Outreach.id.desc()).limit(1)
    )
    if record is not None and (record.goal_reached_on is None or record.goal_reached_on < day):
        record.goal_reached_on = day
        record.follow_up_on = follow_up_date(day)
    return record


class YouthMailTemplate(Versioned, db.Model):
    """The first-contact e-mail the head edits: one template, its subject and text. ``{name}`` and
    ``{round}`` in them are replaced by the young person's first name and the round."""

    __tablename__ = "youth_mail_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return self.subject


DEFAULT_SUBJECT = "Noortegarantii: kas saame sind aidata?"
DEFAULT_BODY = (
    "Tere, {name}!\n\n"
    "Sinu nimi on noortegarantii tugisüsteemi nimekirjas ({round}). Vald pakub noortele, kes ei õpi ega "
    "tööta, tuge õpingute, töö või muu eluga seotud küsimustes.\n\n"
    "Palun vasta sellele kirjale ühe lausega:\n"
    "  • „Soovin abi“ – juhtumikorraldaja võtab sinuga ühendust;\n"
    "  • „Ei soovi abi“ – me ei tülita sind rohkem.\n\n"
    "Lugupidamisega\nsotsiaalosakond"
)


def mail_template() -> YouthMailTemplate:
    """The first-contact template; the default one is made on first use."""
    template = db.session.scalar(sa.select(YouthMailTemplate).order_by(YouthMailTemplate.id).limit(1))
    if template is None:
        template = YouthMailTemplate(subject=DEFAULT_SUBJECT, body=DEFAULT_BODY)
        db.session.add(template)
        db.session.flush()
    return template


def _placeholders_only(text: str) -> bool:
    """Whether ``text``'s braces are only ``{name}``, ``{round}`` or doubled ones: no attribute, index,
    conversion or format (``{name.x}`` would fail when sending, and ``{name.__class__}`` says too much)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return False
    return all(f is None or (f in ("name", "round") and not spec and not conv) for _, f, spec, conv in parsed)


def mail_template_errors(t: YouthMailTemplate) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ("subject", "body"):
        text = getattr(t, name) or ""
        if not text.strip():
            errors[name] = str(_l("This field is required."))
        else:
            if not _placeholders_only(text):
                errors[name] = str(_l("Only {name} and {round} may stand in braces."))
    return errors


def first_mail(o: Outreach, template: YouthMailTemplate) -> tuple[str, str]:
    """The subject and text of ``o``'s first-contact e-mail."""
    values = {"name": o.first_name, "round": str(o.round)}
    return template.subject.format(**values), template.body.format(**values)


def mail_sent(o: Outreach, by: User | None, today: date | None = None) -> ContactAttempt:
    """Record that the first-contact e-mail went to ``o``: an attempt, the time, and 'contacted'."""
    attempt = ContactAttempt(
        made_on=today or date.today(), channel=AttemptChannel.EMAIL, outcome=AttemptOutcome.SENT, by=by
    )
    o.attempts.append(attempt)
    o.first_mail_at = utcnow()
    if o.status == OutreachStatus.NOT_CONTACTED:
        o.status = OutreachStatus.NO_ANSWER
    return attempt


def to_client_errors(o: Outreach) -> dict[str, str]:
    if o.status not in (OutreachStatus.WANTS_HELP, OutreachStatus.BECAME_CLIENT):
        return {"status": str(_l("Only a young person who wants help becomes a client."))}
    return {}
