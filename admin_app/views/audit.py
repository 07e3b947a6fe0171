"""Auditijälg and "who saw this client's data": read-only screens for the administrator and the head.

Neither screen changes anything: the audit list refuses every write URL with 403 (for the
administrator too), and the tables themselves are append-only (see models/audit.py)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, abort, current_app, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter, FilterEqual, FilterLike
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from exports.access_log import access_workbook, write_access_workbook
from exports.tabular import CHUNK_ROWS
from models import AccessEvent, AccessKind, AuditAction, AuditEvent, Client, db
from models.text import control_character

from ..access_rules import shows_no_person
from ..background import Counted, JobOutcome, job, start_job
from ..registers.base import RegisterView, SecuredMixin

TALLINN = ZoneInfo("Europe/Tallinn")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDITORS = ("head",)  # and the administrator, who may read everything


def local_time(value: datetime | None) -> datetime | None:
    """A stored moment as a Tallinn wall-clock time (SQLite gives it back without its zone)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(TALLINN)


def _when(view, context, model, name):
    value = local_time(getattr(model, name))
    return value.strftime("%d.%m.%Y %H:%M:%S") if value else ""


def _action(view, context, model, name):
    try:
        return str(AuditAction(model.action))
    except ValueError:
        return model.action


def _changes(view, context, model, name):
    """Each changed field on a line of its own: old → new."""
    rows = []
    for key, value in (model.changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            old, new = ("" if v is None else v for v in value)
            rows.append(Markup("<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>").format(key, old, new))
        else:
            rows.append(Markup('<tr><th>{}</th><td colspan="3">{}</td></tr>').format(key, value))
    if not rows:
        return ""
    return Markup('<table class="table table-sm mb-0 audit-changes">{}</table>').format(Markup("").join(rows))


def _changes_text(view, context, model, name):
    return "; ".join(
        f"{key}: {value[0]} → {value[1]}" if isinstance(value, list) and len(value) == 2 else f"{key}: {value}"
        for key, value in (model.changes or {}).items()
    )


class AuditView(RegisterView):
    """Auditijälg: every created, changed and deleted record, newest first; nobody may change it."""

    read_roles = AUDITORS
    write_roles = ()
    can_view_details = True
    action_disallowed_list = ["delete"]
    write_methods = RegisterView.write_methods | {"action_view"}

    column_list = ("at", "actor", "action", "table_name", "record_id", "changes")
    column_details_list = ("at", "actor", "user_id", "action", "table_name", "record_id", "changes", "url")
    column_labels = {
        "at": _l("When"),
        "actor": _l("Who"),
        "user_id": _l("User number"),
        "action": _l("What was done"),
        "table_name": _l("Table"),
        "record_id": _l("Record"),
        "changes": _l("Changes (old → new)"),
        "url": _l("Address"),
    }
    column_formatters = {"at": _when, "action": _action, "changes": _changes}
    column_formatters_export = {"at": lambda v, c, m, n: local_time(m.at), "changes": _changes_text}
    column_filters = (
        FilterEqual(AuditEvent.table_name, _l("Table")),
        FilterEqual(AuditEvent.record_id, _l("Record")),
        FilterLike(AuditEvent.actor, _l("Who")),
        FilterEqual(AuditEvent.action, _l("What was done"), options=AuditAction.choices()),
        DateTimeBetweenFilter(AuditEvent.at, _l("When")),
    )
    column_searchable_list = ("table_name", "record_id", "actor")
    column_default_sort = ("id", True)

    def may_write(self) -> bool:
        return False  # the log is append-only, for the administrator too

    def _wanted(self, query):
        """``?table=client&record=5``: the history of one record (the details pages link here)."""
        for column, value in (
            (AuditEvent.table_name, request.args.get("table")),
            (AuditEvent.record_id, request.args.get("record")),
        ):
            if value:
                # No table or record is named with a control character (PostgreSQL cannot even compare NUL).
                query = query.filter(column == value if control_character(value) is None else sa.false())
        return query

    def get_query(self):
        return self._wanted(super().get_query())

    def get_count_query(self):
        return self._wanted(super().get_count_query())


def _accesses(client_id: int, stream: bool = False):
    """The times the client's data was seen, oldest first: a list, or (``stream``) read a chunk at a time."""
    query = sa.select(AccessEvent).where(AccessEvent.client_id == client_id).order_by(AccessEvent.at, AccessEvent.id)
    if stream:
        return db.session.scalars(query.execution_options(yield_per=CHUNK_ROWS))
    return db.session.scalars(query).all()


def _times_seen(client_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(AccessEvent.id)).where(AccessEvent.client_id == client_id))


def _workbook_name(client: Client) -> str:
    return f"kes-nagi-{client.id}-{datetime.now(TALLINN):%Y-%m-%d}.xlsx"


class AccessLogView(SecuredMixin, BaseView):
    """Kes nägi kliendi andmeid: each time a client's data was seen, on screen and as a workbook —
    what the municipality hands over when the person asks who has seen their data."""

    read_roles = AUDITORS

    def is_visible(self) -> bool:
        return False  # opened from a client's details page

    def _client(self) -> Client:
        client = db.session.get(Client, request.args.get("client_id", type=int) or 0)
        if client is None:
            abort(404)
        return client

    @shows_no_person
    @expose("/")
    def index(self):
        client = self._client()
        return self.render(
            "admin/access_log.html",
            client=client,
            events=_accesses(client.id),
            kinds={k.value: str(k) for k in AccessKind},
            local_time=local_time,
            xlsx_url=url_for(".xlsx", client_id=client.id),
        )

    @shows_no_person
    @expose("/xlsx/")
    def xlsx(self):
        client = self._client()
        seen = _times_seen(client.id)
        if seen > current_app.config["BACKGROUND_ACCESS_LOG_ROWS"]:  # a busy client's: written by a job
            download = start_job(
                ACCESS_LOG,
                title=gettext("Who saw the data of client no. %(id)s", id=client.id),
                params={"client_id": client.id},
                rows_total=seen,
                file_name=_workbook_name(client),
                mimetype=XLSX,
            )
            return redirect(url_for("downloads.progress", download_id=download.id))
        body = access_workbook(client, _accesses(client.id), str(get_locale() or "et"), local_time)
        return Response(
            body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{_workbook_name(client)}"'}
        )


ACCESS_LOG = "access-log"


@job(ACCESS_LOG)
def _access_log_job(download, path: str, report) -> JobOutcome:
    """The workbook of a busy client, written as the request would write it, its events streamed."""
    view = next(v for v in current_app.extensions["admin"][0]._views if v.endpoint == "access_log")
    if not view.is_accessible():
        raise PermissionError(gettext("%(who)s may no longer read who saw the data.", who=download.owner.email))
    client = db.session.get(Client, download.params["client_id"])
    if client is None:
        raise LookupError(gettext("The client no longer exists."))
    events = Counted(_accesses(client.id, stream=True), report, CHUNK_ROWS)
    write_access_workbook(path, client, events, _times_seen(client.id), download.language, local_time)
    return JobOutcome(events.done, has_file=True)


def register(admin) -> None:
    category = _l("Administration")
    admin.add_view(AuditView(AuditEvent, db, name=_l("Audit trail"), endpoint="audit", category=category))
    admin.add_view(AccessLogView(name=_l("Who saw the data"), endpoint="access_log", url="access-log"))


__all__ = ["AccessLogView", "AuditView"]
