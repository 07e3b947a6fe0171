"""Juhtumitöö: need assessments, procedural steps and counselling."""

from datetime import date

import sqlalchemy as sa
from flask import request
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.form import rules as form_rules
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from models import (
    Assessment,
    CaseStep,
    Client,
    Counselling,
    LifeArea,
    NeedLevel,
    NetworkMember,
    Provider,
    Role,
    RuleViolation,
    User,
    assessment_errors,
    counselling_errors,
    step_errors,
)
from models.base import db
from models.casework import STEP_KIND_ORDER, step_delete_errors

from .base import RegisterView, badge

CASE_WORKERS = ("head", "case_manager")

NEED_COLOURS = {NeedLevel.CONSIDERABLE: "warning", NeedLevel.GREAT: "danger"}
LEVEL_COLOURS = {NeedLevel.NONE: "light", NeedLevel.SOME: "info", **NEED_COLOURS}


# --- Shared -------------------------------------------------------------------------------------


def _case_workers():
    """Active users who do case work (case managers and the head): who assesses, acts, counsels."""
    return db.session.scalars(
        sa.select(User)
        .where(User.active, User.roles.any(Role.name.in_(CASE_WORKERS)))
        .order_by(User.full_name, User.email)
    )


def _case_worker_options():
    return [(str(u.id), str(u)) for u in _case_workers()]


def _signed_in_case_worker():
    """The signed-in user when they do case work (the default 'by' of a new record), else None."""
    if not current_user.is_authenticated:
        return None
    user = db.session.get(User, current_user.id)
    return user if user is not None and {r.name for r in user.roles} & set(CASE_WORKERS) else None


def _clients():
    return db.session.scalars(sa.select(Client).order_by(Client.last_name, Client.first_name))


def _network():
    return db.session.scalars(
        sa.select(NetworkMember)
        .join(NetworkMember.client)
        .order_by(Client.last_name, Client.first_name, NetworkMember.name)
    )


def _network_label(member: NetworkMember) -> str:
    return f"{member.name} ({member.client}, {member.role})"


def _providers():
    return db.session.scalars(sa.select(Provider).order_by(Provider.name))


def _client_last_name(model):
    return sa.select(Client.last_name).where(Client.id == model.client_id).scalar_subquery()


def _client_first_name(model):
    return sa.select(Client.first_name).where(Client.id == model.client_id).scalar_subquery()


def _user_name(column):
    return sa.select(User.full_name).where(User.id == column).scalar_subquery()


class ClientNameFilter(BaseSQLAFilter):
    """Records of clients whose name (first, last or both) or personal ID code contains the text."""

    def __init__(self, model, name):
        super().__init__(model.client_id, name)
        self.model = model

    def apply(self, query, value, alias=None):
        term = f"%{' '.join(str(value).split())}%"
        full_name = Client.first_name + " " + Client.last_name
        matching = sa.select(Client.id).where(
            sa.or_(full_name.ilike(term), Client.last_name.ilike(term), Client.personal_code.ilike(term))
        )
        return query.filter(self.model.client_id.in_(matching))

    def operation(self):
        return gettext("contains")


class _Listed:
    """Filter options read when the list page is drawn (Flask-Admin reads them once, at start-up)."""

    def __init__(self, options):
        self.options = options

    def __bool__(self):
        return True

    def __iter__(self):
        return iter(self.options())


class UserFilter(BaseSQLAFilter):
    """Records by one case worker, chosen from a list."""

    def get_options(self, view):
        return _Listed(_case_worker_options)

    def clean(self, value):
        return int(value)

    def validate(self, value):
        return str(value).isdigit()

    def apply(self, query, value, alias=None):
        return query.filter(self.column == value)

    def operation(self):
        return gettext("equals")


class CaseWorkView(RegisterView):
    """A case-work register: case managers and the head read and write; new records are dated today
    and made by the signed-in case worker unless said otherwise."""

    read_roles = CASE_WORKERS
    write_roles = CASE_WORKERS
    #: The date field a new record gets today in, and the user field the signed-in user goes in.
    date_field = ""
    user_field = ""

    def create_form(self, obj=None):
        # RegisterView.create_form reads ?client_id through ``self.session.get``, but ``self.session``
        # is the Flask-SQLAlchemy object here (views are registered with ``db``), which has no
        # ``get``: the preselection is done here instead, through ``db.session``.
        form = ModelView.create_form(self, obj)
        if request.method == "GET":
            client_id = request.args.get("client_id", type=int)
            if client_id and "client" in form and form.client.data is None:
                form.client.data = db.session.get(Client, client_id)
            if self.date_field in form and form[self.date_field].data is None:
                form[self.date_field].data = date.today()
            if self.user_field in form and form[self.user_field].data is None:
                form[self.user_field].data = _signed_in_case_worker()
        return form


# --- Need assessments ---------------------------------------------------------------------------


def _needs(view, context, model, name):
    """The life areas with considerable or great need, as coloured badges (great first)."""
    flagged = [(area, level) for area, level, _ in model.levels() if level in NEED_COLOURS]
    flagged.sort(key=lambda pair: pair[1] != NeedLevel.GREAT)
    return Markup(" ").join(
        Markup('<span title="{}">{}</span>').format(level.label, badge(area.label, NEED_COLOURS[level]))
        for area, level in flagged
    )


def _areas(view, context, model, name):
    """Every life area with its level and note, as a table."""
    head = Markup("<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>").format(
        gettext("Life area"), gettext("Level of need"), gettext("Note")
    )
    rows = Markup("").join(
        Markup('<tr><td class="text-nowrap">{}</td><td class="text-nowrap">{}</td><td>{}</td></tr>').format(
            area.label, badge(level.label, LEVEL_COLOURS[level]), note or ""
        )
        for area, level, note in model.levels()
    )
    return Markup('<table class="table table-sm mb-0 assessment-areas">{}<tbody>{}</tbody></table>').format(head, rows)


def _level_and_note(area: LifeArea):
    return form_rules.FieldSet(
        (form_rules.Row(form_rules.Field(f"{area.value}_level"), form_rules.Field(f"{area.value}_note")),),
        area.label,
    )


AREA_LABELS = {
    **{f"{a.value}_level": _l("Level of need") for a in LifeArea},
    **{f"{a.value}_note": _l("Note") for a in LifeArea},
}


class AssessmentView(CaseWorkView):
    """Abivajaduse hindamised: a client's need across the life areas, a summary and a decision."""

    rules = assessment_errors
    date_field = "assessed_on"
    user_field = "assessor"

    column_list = ("client", "assessed_on", "assessor", "decision", "needs")
    column_details_list = ("client", "assessed_on", "assessor", "areas", "summary", "decision")
    column_labels = {
        "client": _l("Client"),
        "assessed_on": _l("Assessed on"),
        "assessor": _l("Assessor"),
        "decision": _l("Decision on help"),
        "needs": _l("Considerable or great need"),
        "areas": _l("Life areas"),
        "summary": _l("Summary"),
        **AREA_LABELS,
    }
    column_formatters = {"needs": _needs}
    column_formatters_detail = {"areas": _areas}
    column_searchable_list = ("client.first_name", "client.last_name", "client.personal_code")
    column_filters = (
        "decision",
        "assessed_on",
        ClientNameFilter(Assessment, _l("Client")),
        UserFilter(Assessment.assessor_id, _l("Assessor")),
    )
    column_sortable_list = ("client", "assessed_on", "assessor", "decision")
    column_default_sort = [("assessed_on", True), ("id", True)]

    form_columns = (
        "client",
        "assessed_on",
        "assessor",
        *(f"{a.value}_{part}" for a in LifeArea for part in ("level", "note")),
        "summary",
        "decision",
    )
    form_create_rules = form_edit_rules = (
        form_rules.FieldSet(("client", "assessed_on", "assessor"), _l("Assessment")),
        *(_level_and_note(a) for a in LifeArea),
        form_rules.FieldSet(("summary", "decision"), _l("Summary and decision")),
    )
    form_args = {
        "client": {"query_factory": _clients},
        "assessor": {"query_factory": _case_workers},
        **{f"{a.value}_level": {"label": _l("Level of need")} for a in LifeArea},
        **{f"{a.value}_note": {"label": _l("Note")} for a in LifeArea},
    }
    form_widget_args = {
        **{f"{a.value}_level": {"column_class": "col-md-4"} for a in LifeArea},
        **{f"{a.value}_note": {"column_class": "col-md-8", "rows": 2} for a in LifeArea},
        "summary": {"rows": 4},
    }

    def get_sortable_columns(self):
        columns = super().get_sortable_columns()
        columns["client"] = [_client_last_name(Assessment), _client_first_name(Assessment)]
        self._sortable_joins["client"] = [[], []]
        columns["assessor"] = _user_name(Assessment.assessor_id)
        self._sortable_joins.pop("assessor", None)
        return columns


# --- Procedural steps ---------------------------------------------------------------------------


class CaseStepView(CaseWorkView):
    """Menetlustoimingud: a client's steps in order, so the case reads as a timeline."""

    rules = step_errors
    date_field = "done_on"
    user_field = "by"

    column_list = ("client", "done_on", "kind", "by", "note")
    column_details_list = ("client", "done_on", "kind", "by", "note")
    column_labels = {
        "client": _l("Client"),
        "done_on": _l("Date"),
        "kind": _l("Step"),
        "by": _l("Done by"),
        "note": _l("Note"),
    }
    column_searchable_list = ("client.first_name", "client.last_name", "client.personal_code", "note")
    column_filters = (
        "kind",
        "done_on",
        ClientNameFilter(CaseStep, _l("Client")),
        UserFilter(CaseStep.by_id, _l("Done by")),
    )
    column_sortable_list = ("client", "done_on", "kind", "by")

    form_columns = ("client", "kind", "done_on", "by", "note")
    form_args = {
        "client": {"query_factory": _clients},
        "by": {"query_factory": _case_workers},
        "kind": {"description": _l("The steps the national register STAR records.")},
    }
    form_widget_args = {"note": {"rows": 3}}

    #: The timeline: each client's steps together, by date, a day's steps in the order of the procedure.
    def timeline(self):
        return (
            _client_last_name(CaseStep),
            _client_first_name(CaseStep),
            CaseStep.client_id,
            CaseStep.done_on,
            STEP_KIND_ORDER,
            CaseStep.id,
        )

    def get_sortable_columns(self):
        columns = super().get_sortable_columns()
        columns["client"] = [_client_last_name(CaseStep), _client_first_name(CaseStep)]
        self._sortable_joins["client"] = [[], []]
        columns["kind"] = STEP_KIND_ORDER
        columns["by"] = _user_name(CaseStep.by_id)
        self._sortable_joins.pop("by", None)
        return columns

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:
            return query.order_by(*self.timeline()), joins
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        # Within the chosen order, the rest still reads as a timeline.
        return query.order_by(*self.timeline()), joins

    def on_model_delete(self, model):
        errors = step_delete_errors(model)
        if errors:
            raise RuleViolation(errors)
        super().on_model_delete(model)


# --- Counselling --------------------------------------------------------------------------------


def _counselled(view, context, model, name):
    who = model.counselled
    if who is None:
        return ""
    if isinstance(who, NetworkMember):
        return f"{who.name} ({who.role})"
    return str(who)


class CounsellingView(CaseWorkView):
    """Nõustamised: a client, a network member or a provider counselled on a topic."""

    rules = counselling_errors
    date_field = "held_on"
    user_field = "by"

    column_list = ("held_on", "party", "counselled", "client", "topic", "channel", "by")
    column_details_list = (
        "party",
        "counselled",
        "client",
        "network_member",
        "provider",
        "topic",
        "channel",
        "held_on",
        "by",
        "note",
    )
    column_labels = {
        "party": _l("Who was counselled"),
        "counselled": _l("Counselled"),
        "client": _l("Client"),
        "network_member": _l("Network member"),
        "provider": _l("Provider"),
        "topic": _l("Topic"),
        "channel": _l("Channel"),
        "held_on": _l("Date"),
        "by": _l("Counselled by"),
        "note": _l("Note"),
    }
    column_formatters = {"counselled": _counselled}
    column_formatters_detail = {"counselled": _counselled}
    column_searchable_list = (
        "client.first_name",
        "client.last_name",
        "client.personal_code",
        "network_member.name",
        "provider.name",
        "note",
    )
    column_filters = (
        "topic",
        "channel",
        "party",
        "held_on",
        ClientNameFilter(Counselling, _l("Client")),
        UserFilter(Counselling.by_id, _l("Counselled by")),
    )
    column_sortable_list = ("held_on", "party", "client", "topic", "channel", "by")
    column_default_sort = [("held_on", True), ("id", True)]

    form_columns = ("party", "client", "network_member", "provider", "topic", "channel", "held_on", "by", "note")
    form_create_rules = form_edit_rules = (
        form_rules.FieldSet(("party", "client", "network_member", "provider"), _l("Who was counselled")),
        form_rules.FieldSet(("topic", "channel", "held_on", "by", "note"), _l("Counselling")),
    )
    form_args = {
        "client": {
            "query_factory": _clients,
            "description": _l("For a network member, their client is filled in when left empty."),
        },
        "network_member": {"query_factory": _network, "get_label": _network_label},
        "provider": {"query_factory": _providers},
        "by": {"query_factory": _case_workers},
    }
    form_widget_args = {"note": {"rows": 3}}

    def get_sortable_columns(self):
        columns = super().get_sortable_columns()
        columns["client"] = [_client_last_name(Counselling), _client_first_name(Counselling)]
        self._sortable_joins["client"] = [[], []]
        columns["by"] = _user_name(Counselling.by_id)
        self._sortable_joins.pop("by", None)
        return columns


def register(admin) -> None:
    for view, model, name, endpoint, url in (
        (AssessmentView, Assessment, _l("Need assessments"), "assessments", "assessments"),
        (CaseStepView, CaseStep, _l("Procedural steps"), "case_steps", "case-steps"),
        (CounsellingView, Counselling, _l("Counselling"), "counselling", "counselling"),
    ):
        admin.add_view(view(model, db, name=name, endpoint=endpoint, url=url, category=_l("Case work")))
