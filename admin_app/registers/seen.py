"""Kes nägi minu andmeid: every time a client's record is opened, their case file shown or their
row exported, an ``access_event`` row says who saw it, when, how and at which address.

The rows are written once the view has answered (``after_this_request``), in one statement on a
connection of their own, so a page or an export is not slowed by one write per record."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import after_this_request, current_app, g, request, url_for
from sqlalchemy.exc import OperationalError

from models import AccessEvent, AccessKind, Client, db
from models.audit import who

from ..access_rules import LOGS_ACCESS
from ..errors import database_unavailable


def client_ids_of(model) -> list[int]:
    """The clients a record belongs to: the client itself, its ``client_id``, or its ``clients``."""
    if isinstance(model, Client):
        return [model.id] if model.id is not None else []
    client_id = getattr(model, "client_id", None)
    if client_id is not None:
        return [client_id]
    clients = getattr(model, "clients", None)
    if isinstance(clients, list | tuple | set):
        return sorted({c.id for c in clients if isinstance(c, Client)})
    return []


def personal_code_of(model) -> str | None:
    """The personal code a record is logged by when it is a person who need not be a client (a young
    person on a youth guarantee list: ``access_by_personal_code`` on its model)."""
    if getattr(type(model), "access_by_personal_code", False):
        return getattr(model, "personal_code", None)
    return None


def client_column(model):
    """The column naming a row's client, for registers whose rows belong to one client (else None)."""
    if model is Client:
        return Client.id
    column = getattr(model, "client_id", None)
    return column if isinstance(column, sa.orm.InstrumentedAttribute) else None


def _write(response):
    rows, statements = g.pop("_seen_rows", []), g.pop("_seen_selects", [])
    if rows or statements:
        # On a connection of its own: the request's session (and the user it loaded) stays as it is,
        # and an export streams on after the rows are committed.
        try:
            with db.engine.begin() as conn:
                for statement in statements:
                    conn.execute(statement)
                if rows:
                    conn.execute(sa.insert(AccessEvent.__table__), rows)
        except OperationalError:
            # The database went away after the page was drawn: nobody sees a person's data unlogged.
            response.close()
            return current_app.make_response(database_unavailable())
    return response


def _queue():
    if "_seen_rows" not in g:
        g._seen_rows, g._seen_selects = [], []
        after_this_request(_write)


def _common() -> dict:
    user_id, actor = who()
    return dict(at=datetime.now(UTC), user_id=user_id, actor=actor, url=request.full_path.rstrip("?"))


def note_seen(
    client_ids,
    kind: AccessKind,
    table_name: str | None = None,
    record_id: int | None = None,
    personal_code: str | None = None,
) -> None:
    """Record (when the request has been answered) that the signed-in user saw these clients' data,
    or the data of the person with ``personal_code`` (who need not be a client)."""
    if not client_ids and not personal_code:
        return
    _queue()
    common = _common()
    g._seen_rows.extend(
        dict(
            common,
            client_id=c,
            personal_code=personal_code,
            kind=kind.value,
            table_name=table_name,
            record_id=record_id,
        )
        for c in (client_ids or [None])
    )


def _note_rows(rows, kind: AccessKind, table_name: str) -> None:
    """Queue one access row per (client_id, record_id) row of the select ``rows``, written by one
    INSERT … SELECT after the answer: an export or an invoice of thousands of clients costs one statement."""
    rows = rows.subquery()
    common = _common()
    by_code = "personal_code" in rows.c
    select = sa.select(
        *(sa.literal(value, type_=AccessEvent.__table__.c[key].type).label(key) for key, value in common.items()),
        sa.literal(kind.value).label("kind"),
        sa.literal(table_name).label("table_name"),
        rows.c.client_id,
        rows.c.record_id,
        *([rows.c.personal_code] if by_code else []),
    ).where(
        sa.or_(rows.c.client_id.is_not(None), rows.c.personal_code.is_not(None))
        if by_code
        else rows.c.client_id.is_not(None)
    )
    columns = [*common, "kind", "table_name", "client_id", "record_id", *(["personal_code"] if by_code else [])]
    _queue()
    g._seen_selects.append(sa.insert(AccessEvent.__table__).from_select(columns, select))


def _clients_link(model):
    """The link table of a register whose rows name several clients (a meeting's ``clients``):
    ``(table, column of the row's key, column of the client)``, or None."""
    relationship = sa.inspect(model).relationships.get("clients")
    if relationship is None or relationship.secondary is None or relationship.mapper.class_ is not Client:
        return None
    # (meeting.id, meeting_client.meeting_id) and (client.id, meeting_client.client_id)
    link_row = relationship.synchronize_pairs[0][1]
    link_client = relationship.secondary_synchronize_pairs[0][1]
    return relationship.secondary, link_row, link_client


def note_exported(query, model) -> None:
    """One access row per exported row and client of it, written by one INSERT … SELECT."""
    pk = sa.inspect(model).primary_key[0]
    column = client_column(model)
    if column is not None and getattr(model, "access_by_personal_code", False):
        rows = query.with_entities(
            column.label("client_id"), pk.label("record_id"), model.personal_code.label("personal_code")
        ).order_by(None)
    elif column is not None:
        rows = query.with_entities(column.label("client_id"), pk.label("record_id")).order_by(None)
    elif (link := _clients_link(model)) is not None:
        _table, link_row, link_client = link
        exported = query.with_entities(pk.label("record_id")).order_by(None).subquery()
        rows = sa.select(link_client.label("client_id"), link_row.label("record_id")).join(
            exported, exported.c.record_id == link_row
        )
    else:
        return
    _note_rows(rows, AccessKind.EXPORT, model.__tablename__)


def note_seen_in(rows, kind: AccessKind, table_name: str) -> None:
    """Record that the signed-in user saw the clients of ``rows``, a select of ``client_id`` and
    ``record_id`` (an invoice's lines, say), by one statement once the request has been answered."""
    _note_rows(rows, kind, table_name)


class SeenMixin:
    """Logs each opening of a client's record (details, edit form, print) and each exported row;
    links a record to its history."""

    access_rules = {"details_view": LOGS_ACCESS, "edit_view": LOGS_ACCESS, "export": LOGS_ACCESS}

    def get_one(self, id):
        model = super().get_one(id)
        if model is not None and request.method == "GET":
            edit = (request.endpoint or "").endswith(".edit_view")
            kind = AccessKind.EDIT if edit else AccessKind.DETAILS
            note_seen(
                client_ids_of(model),
                kind,
                self.model.__tablename__,
                getattr(model, "id", None),
                personal_code=personal_code_of(model),
            )
        return model

    def history_url(self, model) -> str | None:
        """The audit trail of ``model`` (its details page links here), for those who may read it."""
        audit = next((v for v in self.admin._views if v.endpoint == "audit"), None)
        if audit is None or not audit.is_accessible() or model is None:
            return None
        identity = sa.inspect(model).identity
        if not identity:
            return None
        record = ",".join(str(part) for part in identity)
        return url_for("audit.index_view", table=self.model.__tablename__, record=record)

    def access_log_url(self, model) -> str | None:
        """Who saw this client's data, for those who may know it."""
        log = next((v for v in self.admin._views if v.endpoint == "access_log"), None)
        if log is None or not log.is_accessible():
            return None
        if isinstance(model, Client):
            return url_for("access_log.index", client_id=model.id)
        if personal_code_of(model):
            return url_for("access_log.index", table=self.model.__tablename__, record_id=model.id)
        return None

    def exporting(self, query) -> None:
        super().exporting(query)
        note_exported(query, self.model)
