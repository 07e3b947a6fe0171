"""Kliendid: clients (pilot participants), their network, and the pilot's eligibility rule."""

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import codes
from .archive import Archivable
from .base import Choice, ChoiceType, RuleViolation, Versioned, choice_check, db, trigram_index, utcnow
from .providers import Municipality, Provider, _taken
from .text import LIKE_ESCAPE, contains_pattern
from .users import Role, User


class TargetGroup(Choice):
    PILOT = "pilot", _l("Adult with a mental disorder (pilot)")
    YOUTH = "youth", _l("Young person")
    SPECIAL_NEEDS = "special_needs", _l("Person with special needs")


class ClientStatus(Choice):
    APPLICANT = "applicant", _l("Applicant")
    ACTIVE = "active", _l("Active")
    PAUSED = "paused", _l("Paused")
    EXITED = "exited", _l("Exited")


class ExitReason(Choice):
    GOALS_MET = "goals_met", _l("Goals met")
    MOVED = "moved", _l("Moved away")
    DECLINED = "declined", _l("Declined further help")
    STATE_SERVICE = "state_service", _l("Moved to a state service")
    DIED = "died", _l("Died")
    OTHER = "other", _l("Other")


class Disability(Choice):
    NONE = "none", _l("None established")
    MODERATE = "moderate", _l("Moderate")
    SEVERE = "severe", _l("Severe")
    PROFOUND = "profound", _l("Profound")
    PERMANENT = "permanent", _l("Permanent incapacity for work")


class NetworkRole(Choice):
    RELATIVE = "relative", _l("Relative")
    GUARDIAN = "guardian", _l("Guardian")
    SUPPORT_PERSON = "support_person", _l("Support person")
    SPECIALIST = "specialist", _l("Specialist")


# ICD-10 main diagnoses the pilot excludes: dementia (F00-F03) and alcohol dependence (F10).
EXCLUDED_DIAGNOSES = ("F00", "F01", "F02", "F03", "F10")
PILOT_MIN_AGE = 16
#: The columns the client list searches in (admin_app/views/clients.py).
SEARCHED = ("personal_code", "first_name", "last_name", "phone", "email")


class Client(Archivable, Versioned, db.Model):
    """Klient: a person the department helps; in the pilot, a participant."""

    __tablename__ = "client"
    __table_args__ = (
        choice_check("target_group", TargetGroup),
        choice_check("status", ClientStatus),
        choice_check("exit_reason", ExitReason),
        choice_check("disability", Disability),
        sa.CheckConstraint(
            "status <> 'exited' OR (exit_date IS NOT NULL AND exit_reason IS NOT NULL)", name="exit_complete"
        ),
        sa.Index("ix_client_name", "last_name", "first_name"),
        # The daily list (archived clients hidden) in its order, key included: a later page is read
        # from the index alone (admin_app/registers/paging.py).
        sa.Index(
            "ix_client_name_current",
            "last_name",
            "first_name",
            "id",
            postgresql_where=sa.text("archived_on IS NULL"),
            sqlite_where=sa.text("archived_on IS NULL"),
        ),
        # Counting current clients in a status (the list filtered to active ones) reads this alone.
        sa.Index(
            "ix_client_status_current",
            "status",
            postgresql_where=sa.text("archived_on IS NULL"),
            sqlite_where=sa.text("archived_on IS NULL"),
        ),
        # The list's search looks in all five at once: each needs its index for PostgreSQL to use any.
        *(trigram_index("client", c) for c in SEARCHED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    personal_code: Mapped[str] = mapped_column(sa.String(11), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    last_name: Mapped[str] = mapped_column(sa.String(100))
    birth_date: Mapped[date] = mapped_column(index=True)
    sex: Mapped[str] = mapped_column(sa.String(1))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(255))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipality.id"), index=True)
    municipality: Mapped[Municipality | None] = relationship()
    target_group: Mapped[TargetGroup] = mapped_column(ChoiceType(TargetGroup), index=True)
    case_manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    case_manager: Mapped[User | None] = relationship(foreign_keys=[case_manager_id])
    status: Mapped[ClientStatus] = mapped_column(ChoiceType(ClientStatus), default=ClientStatus.APPLICANT, index=True)
    applied_on: Mapped[date | None]
    entry_date: Mapped[date | None]
    exit_date: Mapped[date | None]
    exit_reason: Mapped[ExitReason | None] = mapped_column(ChoiceType(ExitReason))
    consent_given: Mapped[bool] = mapped_column(default=False)
    consent_date: Mapped[date | None]
    base_provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    base_provider: Mapped[Provider | None] = relationship()
    # Health data, seen only by those whose work needs it.
    disability: Mapped[Disability] = mapped_column(ChoiceType(Disability), default=Disability.NONE)
    main_diagnosis: Mapped[str | None] = mapped_column(sa.String(8))
    on_state_services: Mapped[bool] = mapped_column(default=False)
    in_other_project: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    network: Mapped[list["NetworkMember"]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="NetworkMember.name"
    )

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @classmethod
    def sql_label(cls):
        """``str(client)`` as an SQL expression, so a list of many can be read without loading each."""
        return cls.first_name + " " + cls.last_name

    @property
    def age(self) -> int:
        """Full years of age today."""
        return codes.age_on(self.birth_date, date.today())

    def pilot_ineligibility(self, on: date | None = None) -> list[str]:
        """Why the client cannot take part in the pilot on ``on`` (empty when they can)."""
        on = on or date.today()
        reasons = []
        if self.birth_date:
            if codes.age_on(self.birth_date, on) < PILOT_MIN_AGE:
                reasons.append(str(_l("is younger than %(n)s", n=PILOT_MIN_AGE)))
            elif on >= codes.pension_age_date(self.birth_date):
                reasons.append(str(_l("has reached pension age")))
        if self.disability in (None, Disability.NONE, Disability.MODERATE):
            reasons.append(str(_l("has no severe, profound or permanent disability established")))
        diagnosis = (self.main_diagnosis or "").upper()
        if diagnosis.startswith(EXCLUDED_DIAGNOSES):
            reasons.append(str(_l("main diagnosis is dementia or alcohol dependence")))
        if self.on_state_services:
            reasons.append(str(_l("receives state special-welfare or social rehabilitation services")))
        if self.in_other_project:
            reasons.append(str(_l("receives similar services from another funded project")))
        return reasons


class NetworkMember(db.Model):
    """Võrgustikuliige: a person in the client's network."""

    __tablename__ = "network_member"
    __table_args__ = (choice_check("role", NetworkRole),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    client: Mapped[Client] = relationship(back_populates="network")
    role: Mapped[NetworkRole] = mapped_column(ChoiceType(NetworkRole))
    name: Mapped[str] = mapped_column(sa.String(200))
    relation: Mapped[str | None] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(255))

    def __str__(self) -> str:
        return self.name


def client_errors(c: Client) -> dict[str, str]:
    """What is wrong with a client record, by field; derives birth date and sex in place."""
    errors: dict[str, str] = {}
    try:
        c.personal_code = codes.personal_code(c.personal_code)
        c.birth_date = codes.birth_date(c.personal_code)
        c.sex = codes.sex(c.personal_code)
        if c.birth_date > date.today():
            errors["personal_code"] = str(_l("This personal ID code gives a birth date in the future."))
        elif _taken(Client, Client.personal_code, c.personal_code, c.id):
            errors["personal_code"] = str(_l("A client with this personal ID code is already registered."))
    except codes.CodeError as e:
        errors["personal_code"] = str(e)
    if c.main_diagnosis:
        c.main_diagnosis = c.main_diagnosis.strip().upper()
        if not _icd10(c.main_diagnosis):
            errors["main_diagnosis"] = str(_l("Give an ICD-10 code such as F20 or F20.0."))
    if c.status == ClientStatus.EXITED:
        if not c.exit_date:
            errors["exit_date"] = str(_l("An exited client needs the exit date."))
        if not c.exit_reason:
            errors["exit_reason"] = str(_l("An exited client needs the reason for leaving."))
    elif c.exit_date or c.exit_reason:
        errors["status"] = str(_l("An exit date or reason is given, but the status is not 'Exited'."))
    if c.applied_on and c.applied_on > date.today():
        errors["applied_on"] = str(_l("This date is in the future."))
    if c.entry_date and c.applied_on and c.entry_date < c.applied_on:
        errors["entry_date"] = str(_l("Entry cannot be before the application."))
    start = c.entry_date or c.applied_on
    if c.exit_date and start and c.exit_date < start:
        errors["exit_date"] = str(_l("Exit cannot be before entry (%(day)s).", day=f"{start:%d.%m.%Y}"))
    if c.consent_given and not c.consent_date:
        errors["consent_date"] = str(_l("Give the date consent was given."))
    if c.consent_date and c.consent_date > date.today():
        errors["consent_date"] = str(_l("The consent date cannot be in the future."))
    if c.base_provider is not None and not c.base_provider.is_base_support:
        errors["base_provider"] = str(
            _l("%(name)s is not registered as a base-support provider.", name=c.base_provider.name)
        )
    if c.target_group == TargetGroup.PILOT and c.status != ClientStatus.APPLICANT and c.birth_date:
        reasons = c.pilot_ineligibility(c.exit_date if c.status == ClientStatus.EXITED else None)
        if reasons:
            errors.setdefault(
                "status",
                str(
                    _l("Not eligible for the pilot, so only an applicant: the client %(why)s.", why="; ".join(reasons))
                ),
            )
    for member in c.network:
        if not (member.name or "").strip() or not member.role:
            errors["network"] = str(_l("Every network member needs a name and a role."))
    return errors


def _icd10(code: str) -> bool:
    return re.fullmatch(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?", code) is not None


def taking_part(start, end):
    """SQL condition: clients taking part at some time between ``start`` and ``end`` — entered by the
    end and not left before the start (the reports count participants by it)."""
    return sa.and_(
        Client.entry_date.is_not(None),
        Client.entry_date <= end,
        sa.or_(Client.exit_date.is_(None), Client.exit_date >= start),
    )


#: What the client list searches (every word in one of them); on SQLite the FTS5 table
#: ``client_search`` (migration c9f1e3a5b7d2) indexes them all.
LIST_SEARCHED = ("personal_code", "first_name", "last_name", "phone", "email")
NAME_OR_CODE = ("first_name", "last_name", "personal_code")


def _indexed(words: list[str], columns) -> sa.ColumnElement[bool]:
    """SQLite: the clients with every one of ``words`` in one of ``columns``, looked up in the FTS5
    trigram index ``client_search`` — what saves reading all 100,000 rows for ``LIKE '%…%'``
    (~300 ms to a few ms). One ``MATCH`` of all the words (``AND``) costs a fifth of one per word.
    Each word is a quoted phrase, so that nothing in it is FTS5 syntax."""
    where = "{" + " ".join(columns) + "} : "
    phrases = " AND ".join(where + '"' + word.replace('"', '""') + '"' for word in words)
    table = sa.table("client_search", sa.column("rowid"))
    return Client.id.in_(sa.select(table.c.rowid).where(sa.literal_column("client_search").op("MATCH")(phrases)))


def _by_index(word: str) -> bool:
    """The trigram index serves a word of three letters or more, on SQLite (PostgreSQL has pg_trgm)."""
    return len(word) >= 3 and db.session.get_bind().dialect.name == "sqlite"


def found_by(text: str, columns=NAME_OR_CODE) -> list:
    """The conditions on ``Client`` of a search for ``text``: every word of it in one of ``columns``
    (by default the first name, the last name or the personal code: "Mari Tamm", "Tamm", "4860"),
    whatever the case. The trigram indexes of those columns serve it on PostgreSQL, the FTS5 trigram
    table on SQLite; ``%`` and ``_`` are letters, not wildcards."""
    words = text.split()
    indexed = [word for word in words if _by_index(word)]
    conditions = [_indexed(indexed, columns)] if indexed else []
    for word in words:
        if word not in indexed:
            likes = (getattr(Client, c).ilike(contains_pattern(word), escape=LIKE_ESCAPE) for c in columns)
            conditions.append(sa.or_(*likes))
    return conditions


def assignable_case_managers():
    """The active users who may be a client's case manager (the client form offers the same)."""
    return (
        sa.select(User)
        .join(User.roles)
        .where(Role.name == "case_manager", User.active)
        .order_by(User.full_name, User.email)
    )


def assign_case_manager(keys: list[int], manager_id: int | None) -> int:
    """Give the clients ``keys`` the case manager ``manager_id`` (``None``: nobody) in one UPDATE,
    audited as one entry naming the rows (models/audit.py); each client's version moves on, so an
    edit form opened before is refused rather than saved over it. How many changed. The caller
    chooses ``keys`` (a list's rows, least access included) and commits."""
    if manager_id is not None:
        allowed = assignable_case_managers().where(User.id == manager_id)
        if db.session.scalar(allowed) is None:
            raise RuleViolation({"case_manager_id": str(_l("Choose a case manager from the list."))})
    if not keys:
        return 0
    statement = (
        sa.update(Client)
        # The keys as literal parameters: the audit entry names the rows.
        .where(Client.id.in_(sorted(keys)), Client.case_manager_id.is_distinct_from(manager_id))
        .values(case_manager_id=manager_id, version=Client.version + 1, saved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount
