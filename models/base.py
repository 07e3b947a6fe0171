"""The database handle, the declarative base and the pieces every register shares."""

import enum
import sqlite3
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def trigram_index(table: str, column: str) -> sa.Index:
    """A pg_trgm GIN index, so a search for any part of ``column`` (ILIKE '%…%') uses an index
    rather than reading the table. PostgreSQL only: the migration creates none on SQLite."""
    return sa.Index(
        f"ix_{table}_{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
        info={"postgresql_only": True},
    )


#: SQLite's FTS5 trigram index of clients (migration c9f1e3a5b7d2). It and its shadow tables
#: (``client_search_data`` and the like, which hold rows even when no client exists) have no model.
SEARCH_TABLE = "client_search"


def is_search_table(name: str) -> bool:
    return name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_")


def schema_filter(dialect: str):
    """Alembic's ``include_object`` for comparing models with a database of ``dialect``: leaves
    out the indexes that exist on PostgreSQL only when the database is another one, and SQLite's
    FTS5 search table of clients with its shadow tables (kept by triggers, no model of its own)."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and reflected and is_search_table(str(name)):
            return False
        return not (type_ == "index" and dialect != "postgresql" and obj.info.get("postgresql_only"))

    return include


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked: without this a provider with offers could be
    deleted on SQLite while PostgreSQL refuses it, and ON DELETE CASCADE would do nothing."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


CENT = Decimal("0.01")

#: The days the registers reason about: a period or a date outside them is a typing error, refused with a
#: message (arithmetic on year 1 or 9999 — an age band, a deadline — would otherwise fail).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def day_in_range(day: date | None) -> bool:
    """True when ``day`` is none, or within the days the registers reason about."""
    return day is None or EARLIEST_DAY <= day <= LATEST_DAY


def money(value) -> Decimal:
    """Round a euro amount half up to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Choice(enum.StrEnum):
    """A closed list of choices: stored as its value, shown as its translated label."""

    def __new__(cls, value: str, label):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    def __str__(self) -> str:
        return str(self.label)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for a select box or a filter."""
        return [(m.value, m.label) for m in cls]


class ChoiceType(TypeDecorator):
    """A ``Choice`` column: a short string in the database, a ``Choice`` member in Python."""

    impl = sa.String(24)
    cache_ok = True

    def __init__(self, choice_cls: type[Choice]):
        super().__init__()
        self.choice_cls = choice_cls

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return None
        return self.choice_cls(value).value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # A dictionary look-up first: this runs once per row and column of every list and export.
        return self.choice_cls._value2member_map_.get(value) or self.choice_cls(value)


def choice_check(column: str, choice_cls: type[Choice]) -> sa.CheckConstraint:
    """A CHECK constraint that keeps ``column`` inside the values of ``choice_cls``."""
    values = ", ".join(f"'{m.value}'" for m in choice_cls)
    return sa.CheckConstraint(f"{column} IN ({values})", name=f"{column}_choice")


class RuleViolation(Exception):
    """A record breaks a rule of the domain; ``errors`` maps a field name to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def check(errors: dict[str, str]) -> None:
    """Raise ``RuleViolation`` when ``errors`` holds anything."""
    if errors:
        raise RuleViolation(errors)


YES_NO = {True: _l("Yes"), False: _l("No")}


def plan_for_the_table_as_it_is(session) -> None:
    """On PostgreSQL, plan every statement of the current transaction afresh (``SET LOCAL``).

    A long import inserts tens of thousands of rows in one transaction and asks, batch after batch,
    the same statement ("the records with these keys"). psycopg prepares a statement on the server
    after five runs, and PostgreSQL may then keep one generic plan, made while the table was nearly
    empty and without the keys' values: a scan comparing every row with each of the batch's 500 keys,
    ~1 s per batch at 50,000 new rows (100,000 clients saved in over 6 minutes instead of 29 s, idle
    machine, tests/bench/import_bench.py). A plan made for each run knows the keys and the table's
    size. Costs a plan per statement (well under a millisecond each)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))


# --- No lost edits -----------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Versioned:
    """A record edited on a screen: every save raises ``version`` by one and stamps ``saved_at``
    (UTC); SQLAlchemy refuses (``StaleDataError``) an update based on a version someone else has
    already replaced, so two people editing the same record never overwrite each other unseen."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")
    saved_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}
