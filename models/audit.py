"""Auditijälg: the append-only record of every change, and of who saw a client's data.

Every create, update and delete the ORM flushes is written to ``audit_event`` by a session
listener, in the same transaction as the change itself: a change that is rolled back leaves no
trace, and one that is committed cannot be committed without its audit row. The two tables are
only ever inserted into; on PostgreSQL a trigger (made by the migration) refuses UPDATE and DELETE."""

import enum
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Choice, db

#: Columns whose values never go into the log: a change is recorded as "changed" only.
SECRETS = frozenset(
    {
        "password",
        "fs_uniquifier",
        "fs_webauthn_user_handle",
        "tf_totp_secret",
        "tf_recovery_codes",
        "mf_recovery_codes",
        "us_totp_secrets",
    }
)
HIDDEN = "changed"
#: Tables the log itself is kept in: never audited, never changed.
APPEND_ONLY = ("audit_event", "access_event")


class AuditAction(Choice):
    CREATE = "create", _l("Created")
    UPDATE = "update", _l("Changed")
    DELETE = "delete", _l("Deleted")


class AccessKind(Choice):
    DETAILS = "details", _l("Details")
    EDIT = "edit", _l("Edit form")
    CASE_FILE = "case_file", _l("Case file")
    EXPORT = "export", _l("Export")
    PRINT = "print", _l("Print")


class AuditEvent(db.Model):
    """One created, changed or deleted record: who, when, where, and each field's old and new value."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    # No foreign key: the log outlives the user (and a deleted user must not rewrite it).
    user_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(sa.String(255))
    action: Mapped[str] = mapped_column(sa.String(10))
    table_name: Mapped[str] = mapped_column(sa.String(64))
    record_id: Mapped[str | None] = mapped_column(sa.String(64))
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    url: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_audit_event_record", "table_name", "record_id"),)

    def __str__(self) -> str:
        return f"{self.table_name} {self.record_id or ''} ({self.action})"


class AccessEvent(db.Model):
    """One time a person's data was seen: who, when, which client (or, for a young person on a youth
    guarantee list who is no client, which personal code), how (details, edit, case file, export)."""

    __tablename__ = "access_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(sa.String(255))
    # No foreign key: who saw a client stays known after the client is deleted.
    client_id: Mapped[int | None] = mapped_column(index=True)
    #: The person seen, for a record of someone not (yet) a client (a young person on a list round).
    personal_code: Mapped[str | None] = mapped_column(sa.String(11), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    table_name: Mapped[str | None] = mapped_column(sa.String(64))
    record_id: Mapped[int | None]
    url: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return f"{self.actor} {self.kind} {self.client_id}"


def who() -> tuple[int | None, str]:
    """(user id, name) of whoever makes the change: the signed-in user, a CLI command, or the system."""
    user = g.get("_login_user") if has_request_context() else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, (str(user) or "?")[:255]
    if has_request_context():
        return None, "anonymous"
    import click

    command = click.get_current_context(silent=True)
    if command is not None:
        return None, f"CLI: {command.command_path}"[:255]
    return None, "system"


#: Where a change comes from when it is not the page's own form, e.g. "import: clients.xlsx"
#: (models/importing): written in the entry's address field instead of the request's address.
_SOURCE: ContextVar[str | None] = ContextVar("audit_source", default=None)


@contextmanager
def source(text: str):
    """Audit the changes made inside the block as coming from ``text`` (e.g. an imported file)."""
    token = _SOURCE.set(text)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def _url() -> str | None:
    given = _SOURCE.get()
    if given is not None:
        return given
    return request.full_path.rstrip("?") if has_request_context() else None


def jsonable(value):
    """A column value as JSON keeps it: dates as ISO text, money as exact text, choices by their code."""
    if value is None or isinstance(value, bool | int | float | str) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def _record_id(state) -> str | None:
    # A new object has its key assigned only after ``after_flush``: read it from the instance.
    identity = state.identity or state.mapper.primary_key_from_instance(state.obj())
    if not identity or all(part is None for part in identity):
        return None
    return ",".join(str(part) for part in identity)


def _related_ids(objects) -> list:
    return sorted((_record_id(sa.inspect(o)) or "?") for o in objects if o is not None)


def _changes(state, action: str) -> dict:
    """{field: [old, new]} of a flushed object; secrets only say they changed."""
    changes: dict = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if action == AuditAction.CREATE:
            # A new record's values are all in its dict: no attribute history is read (it costs more
            # than the rest of the entry; a third of an import's save of 100,000 new rows).
            new = state.dict.get(key)
            if new is None:
                continue
            changes[key] = HIDDEN if key in SECRETS else [None, jsonable(new)]
            continue
        history = state.attrs[key].history
        if action == AuditAction.UPDATE:
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new and history.deleted:
                continue
        else:
            old, new = (history.deleted[0] if history.deleted else state.dict.get(key)), None
            if old is None:
                continue
        if key in SECRETS:
            changes[key] = HIDDEN
        else:
            changes[key] = [jsonable(old), jsonable(new)]
    # Many-to-many links (a user's roles, a meeting's clients) live in tables of their own.
    for rel in state.mapper.relationships:
        if rel.secondary is None or rel.viewonly:
            continue
        history = state.attrs[rel.key].history
        if not history.has_changes():
            continue
        before = [*history.unchanged, *history.deleted]
        after = [*history.unchanged, *history.added]
        changes[rel.key] = [_related_ids(before) if action != "create" else None, _related_ids(after)]
    return changes


def _entry(state, action, table: str, now, user_id, actor, url, changes: dict, record_id=None) -> dict:
    return dict(
        at=now,
        user_id=user_id,
        actor=actor,
        action=action.value,
        table_name=table,
        record_id=record_id or _record_id(state),
        changes=changes,
        url=url,
    )


def created(session: Session, objects) -> None:
    """Audit new records that one bulk INSERT wrote instead of a flush (an import's batch,
    models/importing/bulk.py): each gets the entry the flush would have written for it, the same
    fields with the same values, and all of them go in one statement."""
    now = datetime.now(UTC)
    user_id, actor = who()
    url = _url()
    rows = []
    for obj in objects:
        state = sa.inspect(obj)
        table = state.mapper.local_table.name
        changes = _changes(state, AuditAction.CREATE)
        # The id as the flush's entry writes it, read from the changes (a new record's id is among
        # them): asking the mapper for a transient record's key costs ~0.1 ms a record.
        record_id = str(changes["id"][1]) if "id" in changes else None
        rows.append(_entry(state, AuditAction.CREATE, table, now, user_id, actor, url, changes, record_id))
    if rows:
        session.connection().execute(sa.insert(AuditEvent.__table__), rows)


def _audit_rows(session: Session, flush_context) -> None:
    rows = []
    now = datetime.now(UTC)
    user_id, actor = who()
    url = _url()
    for action, objects in (
        (AuditAction.CREATE, session.new),
        (AuditAction.UPDATE, session.dirty),
        (AuditAction.DELETE, session.deleted),
    ):
        for obj in objects:
            state = sa.inspect(obj)
            table = getattr(state.mapper.local_table, "name", None)
            if table is None or table in APPEND_ONLY:
                continue
            if action == AuditAction.UPDATE and not session.is_modified(obj):
                continue
            changes = _changes(state, action)
            if action == AuditAction.UPDATE and not changes:
                continue
            rows.append(_entry(state, action, table, now, user_id, actor, url, changes))
    if rows:
        session.connection().execute(sa.insert(AuditEvent.__table__), rows)


def _bulk_statement(orm_execute_state) -> None:
    """An UPDATE or DELETE statement through the session (e.g. putting deliveries on an invoice),
    and an ``INSERT … SELECT`` (an invoice's lines, made from its deliveries in one statement), is
    logged too: one entry for the statement, saying the table, the statement and its parameters
    (hidden for the users' table). The rows it wrote are those the statement names."""
    statement = orm_execute_state.statement
    bulk_insert = orm_execute_state.is_insert and getattr(statement, "select", None) is not None
    if not (orm_execute_state.is_update or orm_execute_state.is_delete or bulk_insert):
        return
    name = getattr(getattr(statement, "table", None), "name", None)
    if name is None or name in APPEND_ONLY:
        return
    params = dict(statement.compile().params)
    if isinstance(orm_execute_state.parameters, dict):
        params.update(orm_execute_state.parameters)
    hidden = name == "user"
    changes = {"statement": str(statement), "parameters": HIDDEN if hidden else jsonable(params)}
    if bulk_insert:
        action = AuditAction.CREATE
    else:
        action = AuditAction.UPDATE if orm_execute_state.is_update else AuditAction.DELETE
    user_id, actor = who()
    row = dict(
        at=datetime.now(UTC),
        user_id=user_id,
        actor=actor,
        action=action.value,
        table_name=name,
        record_id=None,
        changes=changes,
        url=_url(),
    )
    orm_execute_state.session.connection().execute(sa.insert(AuditEvent.__table__), [row])


def listen(session_class=Session) -> None:
    """Start auditing every session of ``session_class`` (idempotent)."""
    if not sa.event.contains(session_class, "after_flush", _audit_rows):
        sa.event.listen(session_class, "after_flush", _audit_rows)
        sa.event.listen(session_class, "do_orm_execute", _bulk_statement)


def wipe(conn, table, *where) -> None:
    """Empty ``table`` (test clean-up, demo resets). On PostgreSQL the append-only tables' triggers are
    switched off for the transaction, which only the tables' owner may do (the app's role should not be)."""
    guarded = table.name in APPEND_ONLY and conn.dialect.name == "postgresql"
    if guarded:
        conn.execute(sa.text(f"ALTER TABLE {table.name} DISABLE TRIGGER {table.name}_append_only"))
    conn.execute(table.delete().where(*where))
    if guarded:
        conn.execute(sa.text(f"ALTER TABLE {table.name} ENABLE TRIGGER {table.name}_append_only"))
