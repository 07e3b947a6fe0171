"""Kirjad: citizens' memoranda, requests for explanation and for information, their legal deadlines,
answers and access restriction (märgukirjale ja selgitustaotlusele vastamise seadus, AvTS)."""

from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .archive import Archivable
from .base import Choice, ChoiceType, Versioned, choice_check, db
from .clients import Client
from .files import StoredFile
from .letter_numbers import next_number
from .terms import LetterTerms, add_calendar_days, add_months, add_working_days, current_terms
from .users import User


class LetterKind(Choice):
    MEMORANDUM = "memorandum", _l("Memorandum")
    EXPLANATION = "explanation", _l("Request for explanation")
    INFORMATION = "information", _l("Request for information")
    OTHER = "other", _l("Other letter")


class LetterStatus(Choice):
    REGISTERED = "registered", _l("Registered")
    IN_PROGRESS = "in_progress", _l("In progress")
    FORWARDED = "forwarded", _l("Forwarded")
    ANSWERED = "answered", _l("Answered")
    UNANSWERED = "unanswered", _l("Left unanswered")


#: A letter in these states still waits for the department.
OPEN = (LetterStatus.REGISTERED, LetterStatus.IN_PROGRESS)


class SenderKind(Choice):
    PERSON = "person", _l("Private person")
    ORGANISATION = "organisation", _l("Organisation")


class LetterChannel(Choice):
    EMAIL = "email", _l("E-mail")
    POST = "post", _l("Post")
    PORTAL = "portal", _l("State portal or web form")
    IN_PERSON = "in_person", _l("Handed in person")


class UnansweredGround(Choice):
    """The grounds the law allows for leaving a letter unanswered (märgukirja seadus § 6)."""

    UNIDENTIFIED = "unidentified", _l("The sender cannot be identified")
    NO_CONTACT = "no_contact", _l("The sender gave no contact details")
    UNREADABLE = "unreadable", _l("The content cannot be understood")
    NO_ANSWER_WANTED = "no_answer_wanted", _l("The sender asked for no answer")
    UNREASONABLE = "unreasonable", _l("Answering would need unreasonable effort")
    NOT_ESTONIAN = "not_estonian", _l("The letter is not in Estonian")
    NO_GUARDIAN_CONSENT = (
        "no_guardian_consent",
        _l("A person with restricted active legal capacity wrote without the guardian's consent"),
    )


#: The legal basis written on a letter about a client's private life, restricted by default.
PRIVATE_LIFE_BASIS = "AvTS § 35 lg 1 p 12"
#: ... and for how long (years from registration; AvTS § 40 lg 3).
PRIVATE_LIFE_YEARS = 75


class Letter(Archivable, Versioned, db.Model):
    """Kiri: a letter from a citizen or an organisation, registered, assigned, answered."""

    __tablename__ = "letter"
    __table_args__ = (
        choice_check("kind", LetterKind),
        choice_check("status", LetterStatus),
        choice_check("sender_kind", SenderKind),
        choice_check("channel", LetterChannel),
        choice_check("unanswered_ground", UnansweredGround),
        sa.CheckConstraint("status <> 'unanswered' OR unanswered_ground IS NOT NULL", name="unanswered_ground"),
        sa.CheckConstraint(
            "NOT restricted OR (restriction_basis IS NOT NULL AND restricted_until IS NOT NULL)", name="restriction"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    received_on: Mapped[date]
    registered_on: Mapped[date] = mapped_column(index=True)
    kind: Mapped[LetterKind] = mapped_column(ChoiceType(LetterKind), index=True)
    channel: Mapped[LetterChannel | None] = mapped_column(ChoiceType(LetterChannel))
    sender_kind: Mapped[SenderKind] = mapped_column(ChoiceType(SenderKind), default=SenderKind.PERSON)
    sender_name: Mapped[str | None] = mapped_column(sa.String(200))
    sender_email: Mapped[str | None] = mapped_column(sa.String(255))
    sender_address: Mapped[str | None] = mapped_column(sa.String(300))
    subject: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str | None] = mapped_column(sa.Text)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="SET NULL"), index=True)
    client: Mapped[Client | None] = relationship()
    answerer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    answerer: Mapped[User | None] = relationship(foreign_keys=[answerer_id])
    status: Mapped[LetterStatus] = mapped_column(ChoiceType(LetterStatus), default=LetterStatus.REGISTERED, index=True)
    # Computed by ``settle`` from the registration date, the kind and the extension; never typed.
    due_on: Mapped[date] = mapped_column(index=True)
    extended_until: Mapped[date | None]
    extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    sender_told_of_extension_on: Mapped[date | None]
    forwarded_to: Mapped[str | None] = mapped_column(sa.String(200))
    forwarded_on: Mapped[date | None]
    sender_told_of_forwarding_on: Mapped[date | None]
    answered_on: Mapped[date | None] = mapped_column(index=True)
    outgoing_number: Mapped[str | None] = mapped_column(sa.String(40))
    answer_text: Mapped[str | None] = mapped_column(sa.Text)
    #: The answer as a file, kept in the database; it goes with the letter (replaced or deleted).
    answer_document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id"), index=True, unique=True)
    answer_document: Mapped[StoredFile | None] = relationship(
        cascade="all, delete-orphan", single_parent=True, lazy="joined"
    )
    #: Answered (or forwarded) after the deadline: set when it happens, never cleared.
    late: Mapped[bool] = mapped_column(default=False, index=True)
    unanswered_ground: Mapped[UnansweredGround | None] = mapped_column(ChoiceType(UnansweredGround))
    private_life: Mapped[bool] = mapped_column(default=False)
    restricted: Mapped[bool] = mapped_column(default=False, index=True)
    restriction_basis: Mapped[str | None] = mapped_column(sa.String(100))
    restricted_until: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    attachments: Mapped[list["LetterAttachment"]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", order_by="LetterAttachment.id"
    )

    def __str__(self) -> str:
        return self.number or str(_l("New letter"))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @hybrid_property
    def is_restricted(self) -> bool:
        """Restricted today (asutusesiseseks kasutamiseks): the restriction ends with its end date."""
        return bool(self.restricted) and (self.restricted_until is None or self.restricted_until >= date.today())

    @is_restricted.inplace.expression
    @classmethod
    def _is_restricted_expression(cls):
        return sa.and_(
            cls.restricted, sa.or_(cls.restricted_until.is_(None), cls.restricted_until >= sa.func.current_date())
        )

    @property
    def forward_by(self) -> date | None:
        return forwarding_deadline(self) if self.registered_on else None

    @property
    def extension_limit(self) -> date | None:
        return extension_limit(self) if self.registered_on and self.kind else None


class LetterAttachment(db.Model):
    """Lisa: a file that came with the letter, kept in the database."""

    __tablename__ = "letter_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id", ondelete="CASCADE"), index=True)
    letter: Mapped[Letter] = relationship(back_populates="attachments")
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"), index=True, unique=True)
    document: Mapped[StoredFile] = relationship(cascade="all, delete-orphan", single_parent=True, lazy="joined")

    def __str__(self) -> str:
        return self.document.name if self.document else ""


# --- Deadlines: plain functions of the registration date, the kind and the settings -------------


def normal_deadline(letter: Letter, terms: LetterTerms | None = None) -> date:
    """Vastamise tähtaeg without an extension: 5 working days for a request for information,
    30 calendar days for anything else."""
    terms = terms or current_terms()
    if letter.kind == LetterKind.INFORMATION:
        return add_working_days(letter.registered_on, terms.information_working_days)
    return add_calendar_days(letter.registered_on, terms.answer_days)


def extension_limit(letter: Letter, terms: LetterTerms | None = None) -> date:
    """The latest a deadline may be extended to: 15 working days for a request for information,
    two months from registration for anything else."""
    terms = terms or current_terms()
    if letter.kind == LetterKind.INFORMATION:
        return add_working_days(letter.registered_on, terms.information_extended_working_days)
    return add_months(letter.registered_on, terms.extended_months)


def forwarding_deadline(letter: Letter, terms: LetterTerms | None = None) -> date:
    """A letter for another body is forwarded within 5 working days of registration."""
    terms = terms or current_terms()
    return add_working_days(letter.registered_on, terms.forward_working_days)


def deadline(letter: Letter, terms: LetterTerms | None = None) -> date:
    """The deadline in force: the extended one when there is an extension, else the normal one."""
    return letter.extended_until or normal_deadline(letter, terms)


def warning_date(today: date, terms: LetterTerms | None = None) -> date:
    """Open letters due on or before this day are due soon (within 5 working days of ``today``)."""
    terms = terms or current_terms()
    return add_working_days(today, terms.warning_working_days)


# --- Saving: what follows from the record, then what is wrong with it ---------------------------


def settle(letter: Letter, today: date | None = None, terms: LetterTerms | None = None) -> None:
    """Fill in what follows from the record before its rules are checked: a letter about a client's
    private life is restricted (AvTS § 35 lg 1 p 12, 75 years); an extension with a reason and no date
    runs to the legal limit; an assigned letter is in progress; the deadline is computed; an answer or
    a forwarding after the deadline is recorded as late, for good."""
    today = today or date.today()
    if not letter.registered_on or not letter.kind:
        return
    if letter.private_life and not letter.restricted:
        letter.restricted = True
        letter.restriction_basis = letter.restriction_basis or PRIVATE_LIFE_BASIS
        until = letter.registered_on + relativedelta(years=PRIVATE_LIFE_YEARS)
        letter.restricted_until = letter.restricted_until or until
    if (letter.extension_reason or "").strip() and letter.extended_until is None:
        letter.extended_until = extension_limit(letter, terms)
    if letter.answerer_id is not None or letter.answerer is not None:
        if letter.status in (None, LetterStatus.REGISTERED):
            letter.status = LetterStatus.IN_PROGRESS
    if letter.status is None:
        letter.status = LetterStatus.REGISTERED
    letter.due_on = deadline(letter, terms)
    if letter.status == LetterStatus.ANSWERED and letter.answered_on and letter.answered_on > letter.due_on:
        letter.late = True
    if letter.status == LetterStatus.FORWARDED and letter.forwarded_on:
        if letter.forwarded_on > forwarding_deadline(letter, terms):
            letter.late = True


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


#: The registrar registers and assigns: no answers, extensions or links to clients (health data).
#: The form leaves these out for them and an import refuses them (one rule, two paths).
NOT_FOR_REGISTRAR = (
    "client",
    "status",
    "extended_until",
    "extension_reason",
    "sender_told_of_extension_on",
    "forwarded_to",
    "forwarded_on",
    "sender_told_of_forwarding_on",
    "answered_on",
    "outgoing_number",
    "answer_text",
    "answer_file",
    "unanswered_ground",
)


def letter_errors(letter: Letter, today: date | None = None, terms: LetterTerms | None = None) -> dict[str, str]:
    """What is wrong with a letter, by field (call ``settle`` first)."""
    today = today or date.today()
    errors: dict[str, str] = {}
    if _blank(letter.subject):
        errors["subject"] = str(_l("Give the subject of the letter."))
    if letter.received_on and letter.received_on > today:
        errors["received_on"] = str(_l("This date is in the future."))
    if letter.registered_on and letter.registered_on > today:
        errors["registered_on"] = str(_l("This date is in the future."))
    elif letter.registered_on and letter.received_on and letter.registered_on < letter.received_on:
        errors["registered_on"] = str(_l("A letter cannot be registered before it was received."))
    if letter.sender_kind == SenderKind.ORGANISATION and _blank(letter.sender_name):
        errors["sender_name"] = str(_l("Give the name of the organisation."))
    if letter.sender_email and "@" not in letter.sender_email:
        errors["sender_email"] = str(_l("Give an e-mail address, e.g. mari@example.ee."))
    if not letter.registered_on or not letter.kind:
        return errors
    errors.update(_extension_errors(letter, today, terms))
    errors.update(_outcome_errors(letter, today))
    if letter.restricted:
        if _blank(letter.restriction_basis):
            errors["restriction_basis"] = str(_l("Give the legal basis of the restriction, e.g. AvTS § 35 lg 1 p 12."))
        if letter.restricted_until is None:
            errors["restricted_until"] = str(_l("Give the date the restriction ends."))
        elif letter.restricted_until <= letter.registered_on:
            errors["restricted_until"] = str(_l("The restriction must end after the letter was registered."))
    return errors


def _extension_errors(letter: Letter, today: date, terms: LetterTerms | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if letter.extended_until is None:
        if letter.sender_told_of_extension_on:
            errors["extension_reason"] = str(_l("Give the reason for the extension."))
        return errors
    normal, limit = normal_deadline(letter, terms), extension_limit(letter, terms)
    if letter.extended_until <= normal:
        errors["extended_until"] = str(
            _l("An extended deadline must be after the normal one (%(day)s).", day=f"{normal:%d.%m.%Y}")
        )
    elif letter.extended_until > limit:
        errors["extended_until"] = str(
            _l("The deadline can be extended to %(day)s at the latest.", day=f"{limit:%d.%m.%Y}")
        )
    if _blank(letter.extension_reason):
        errors["extension_reason"] = str(_l("Give the reason for the extension."))
    if letter.sender_told_of_extension_on is None:
        errors["sender_told_of_extension_on"] = str(_l("Record when the sender was told of the extension."))
    elif letter.sender_told_of_extension_on > today:
        errors["sender_told_of_extension_on"] = str(_l("This date is in the future."))
    elif letter.sender_told_of_extension_on < letter.registered_on:
        errors["sender_told_of_extension_on"] = str(_l("This date is before the letter was registered."))
    return errors


def _outcome_errors(letter: Letter, today: date) -> dict[str, str]:
    """An answer, a forwarding or leaving unanswered: each needs its own facts."""
    errors: dict[str, str] = {}
    status = letter.status
    if status == LetterStatus.ANSWERED:
        if letter.answered_on is None:
            errors["answered_on"] = str(_l("Give the date of the answer."))
        if _blank(letter.outgoing_number):
            errors["outgoing_number"] = str(_l("Give the number of the outgoing answer."))
        if _blank(letter.answer_text) and letter.answer_document is None:
            errors["answer_text"] = str(_l("Write the answer or attach it as a file."))
    elif letter.answered_on or not _blank(letter.outgoing_number):
        errors["status"] = str(_l("A letter with an answer date is answered: choose the status Answered."))
    if letter.answered_on:
        if letter.answered_on > today:
            errors["answered_on"] = str(_l("This date is in the future."))
        elif letter.answered_on < letter.registered_on:
            errors["answered_on"] = str(_l("A letter cannot be answered before it was registered."))
    if status == LetterStatus.FORWARDED:
        if _blank(letter.forwarded_to):
            errors["forwarded_to"] = str(_l("Name the body the letter was forwarded to."))
        if letter.forwarded_on is None:
            errors["forwarded_on"] = str(_l("Give the date the letter was forwarded."))
        if letter.sender_told_of_forwarding_on is None:
            errors["sender_told_of_forwarding_on"] = str(_l("Record when the sender was told of the forwarding."))
    for name in ("forwarded_on", "sender_told_of_forwarding_on"):
        day = getattr(letter, name)
        if day and day > today:
            errors[name] = str(_l("This date is in the future."))
        elif day and day < letter.registered_on:
            errors[name] = str(_l("This date is before the letter was registered."))
    if status == LetterStatus.UNANSWERED and letter.unanswered_ground is None:
        errors["unanswered_ground"] = str(_l("Choose the legal ground for leaving the letter unanswered."))
    elif status != LetterStatus.UNANSWERED and letter.unanswered_ground is not None:
        errors["unanswered_ground"] = str(_l("Only a letter left unanswered has a ground for it."))
    return errors


def save_letter(letter: Letter, today: date | None = None, terms: LetterTerms | None = None) -> Letter:
    """Register (a new letter gets its number) or update a letter in the current transaction; raises
    ``RuleViolation`` with every problem, by field, and then nothing is changed."""
    from .base import RuleViolation

    # The record is judged as it stands in memory: nothing half-checked reaches the database.
    with db.session.no_autoflush:
        settle(letter, today, terms)
        errors = letter_errors(letter, today, terms)
    if errors:
        raise RuleViolation(errors)
    if not letter.number:
        letter.number = next_number(letter.registered_on.year)
    db.session.add(letter)
    return letter


def letters_due(today: date | None = None, *, answerer_id: int | None = None) -> list[Letter]:
    """Open letters due within five working days of ``today`` or overdue, the most urgent first: those
    ``answerer_id`` answers, or every one when None."""
    today = today or date.today()
    query = (
        sa.select(Letter)
        .where(Letter.status.in_([s.value for s in OPEN]), Letter.due_on <= warning_date(today))
        .order_by(Letter.due_on, Letter.id)
    )
    if answerer_id is not None:
        query = query.where(Letter.answerer_id == answerer_id)
    return list(db.session.scalars(query))
