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


def _seen(person):
    """The access events of ``person`` (a client, or a young person's outreach record): as the client,
    or by their personal code (a young person's record, also before they became a client)."""
    seen = [AccessEvent.personal_code == person.personal_code] if person.personal_code else []
    if isinstance(person, Client):
        seen.append(AccessEvent.client_id == person.id)
    return sa.or_(*seen) if seen else sa.false()


def _accesses(person, stream: bool = False):
    """Each time ``person`` was seen, oldest first: a list, or (``stream``) read a chunk at a time."""
    query = sa.select(AccessEvent).where(_seen(person)).order_by(AccessEvent.at, AccessEvent.id)
    if stream:
        return db.session.scalars(query.execution_options(yield_per=CHUNK_ROWS))
    return db.session.scalars(query).all()


def _times_seen(person) -> int:
    return db.session.scalar(sa.select(sa.func.count(AccessEvent.id)).where(_seen(person)))


def _workbook_name(person) -> str:
    return f"kes-nagi-{person.id}-{datetime.now(TALLINN):%Y-%m-%d}.xlsx"


def _person_models() -> dict:
    """The registers whose records are people logged by personal code (``access_by_personal_code``)."""
    return {
        m.class_.__tablename__: m.class_
        for m in db.Model.registry.mappers
        if getattr(m.class_, "access_by_personal_code", False)
    }


class AccessLogView(SecuredMixin, BaseView):
    """Kes nägi kliendi andmeid: each time a client's data was seen, on screen and as a workbook —
    what the municipality hands over when the person asks who has seen their data."""

    read_roles = AUDITORS

    def is_visible(self) -> bool:
        return False  # opened from a client's details page

    def _person(self):
        """The client (``client_id``), or the person a record is (``table`` and ``record_id``: a young
        person on a youth guarantee list), whose log is asked for; with the address of their page."""
        if "table" in request.args:
            model = _person_models().get(request.args.get("table", ""))
            person = db.session.get(model, request.args.get("record_id", type=int) or 0) if model else None
            if person is None:
                abort(404)
            admin = self.admin._views
            view = next((v for v in admin if getattr(v, "model", None) is model), None)
            back = url_for(f"{view.endpoint}.details_view", id=person.id) if view else None
            return person, back, {"table": model.__tablename__, "record_id": person.id}
        client = db.session.get(Client, request.args.get("client_id", type=int) or 0)
        if client is None:
            abort(404)
        return client, url_for("clients.details_view", id=client.id), {"client_id": client.id}

    @shows_no_person
    @expose("/")
    def index(self):
        person, back, args = self._person()
        return self.render(
            "admin/access_log.html",
            client=person,
            back_url=back,
            events=_accesses(person),
            kinds={k.value: str(k) for k in AccessKind},
            local_time=local_time,
            xlsx_url=url_for(".xlsx", **args),
        )

    @shows_no_person
    @expose("/xlsx/")
    def xlsx(self):
        person, _, args = self._person()
        seen = _times_seen(person)
        if seen > current_app.config["BACKGROUND_ACCESS_LOG_ROWS"]:  # a busy person's: written by a job
            download = start_job(
                ACCESS_LOG,
                title=gettext("Who saw the data of client no. %(id)s", id=person.id),
                params=args,
                rows_total=seen,
                file_name=_workbook_name(person),
                mimetype=XLSX,
            )
            return redirect(url_for("downloads.progress", download_id=download.id))
        body = access_workbook(person, _accesses(person), str(get_locale() or "et"), local_time)
        return Response(
            body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{_workbook_name(person)}"'}
        )


ACCESS_LOG = "access-log"


@job(ACCESS_LOG)
def _access_log_job(download, path: str, report) -> JobOutcome:
    """The workbook of a busy client, written as the request would write it, its events streamed."""
    view = next(v for v in current_app.extensions["admin"][0]._views if v.endpoint == "access_log")
    if not view.is_accessible():
        raise PermissionError(gettext("%(who)s may no longer read who saw the data.", who=download.owner.email))
    params = download.params
    model = _person_models().get(params["table"]) if "table" in params else Client
    person = db.session.get(model, params.get("record_id") or params.get("client_id") or 0) if model else None
    if person is None:
        raise LookupError(gettext("The client no longer exists."))
    events = Counted(_accesses(person, stream=True), report, CHUNK_ROWS)
    write_access_workbook(path, person, events, _times_seen(person), download.language, local_time)
    return JobOutcome(events.done, has_file=True)


def register(admin) -> None:
    category = _l("Administration")
    admin.add_view(AuditView(AuditEvent, db, name=_l("Audit trail"), endpoint="audit", category=category))
    admin.add_view(AccessLogView(name=_l("Who saw the data"), endpoint="access_log", url="access-log"))


__all__ = ["AccessLogView", "AuditView"]
