"""Juhtumitöö: need assessments, procedural steps and counselling."""

import sqlalchemy as sa
from flask_admin.form import rules as form_rules
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import aliased, joinedload

from models import (
    Assessment,
    CaseStep,
    Client,
    Counselling,
    LifeArea,
    NeedLevel,
    NetworkMember,
    RuleViolation,
    assessment_errors,
    counselling_errors,
    step_errors,
)
from models.base import db
from models.casework import STEP_KIND_ORDER, step_delete_errors

from ..registers.base import badge, label
from ..registers.shared import (
    CaseWorkView,
    ClientNameFilter,
    UserFilter,
    case_workers,
    client_first_name,
    client_last_name,
    clients,
    network,
    network_label,
    providers,
    user_name,
)

NEED_COLOURS = {NeedLevel.CONSIDERABLE: "warning", NeedLevel.GREAT: "danger"}
LEVEL_COLOURS = {NeedLevel.NONE: "light", NeedLevel.SOME: "info", **NEED_COLOURS}


# --- Need assessments ---------------------------------------------------------------------------


def _needs(view, context, model, name):
    """The life areas with considerable or great need, as coloured badges (great first)."""
    flagged = [(area, level) for area, level, _ in model.levels() if level in NEED_COLOURS]
    flagged.sort(key=lambda pair: pair[1] != NeedLevel.GREAT)
    return Markup(" ").join(
        Markup('<span title="')
        + label(level)
        + Markup('">')
        + badge(label(area), NEED_COLOURS[level])
        + Markup("</span>")
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
        "client": {"query_factory": clients},
        "assessor": {"query_factory": case_workers},
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
        columns["client"] = [client_last_name(Assessment), client_first_name(Assessment)]
        self._sortable_joins["client"] = [[], []]
        columns["assessor"] = user_name(Assessment.assessor_id)
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
        "client": {"query_factory": clients},
        "by": {"query_factory": case_workers},
        "kind": {"description": _l("The steps the national register STAR records.")},
    }
    form_widget_args = {"note": {"rows": 3}}

    #: The timeline: each client's steps together, by date, a day's steps in the order of the procedure.
    def timeline(self, client):
        return (client.last_name, client.first_name, CaseStep.client_id, CaseStep.done_on, STEP_KIND_ORDER, CaseStep.id)

    def get_sortable_columns(self):
        columns = super().get_sortable_columns()
        columns["client"] = [client_last_name(CaseStep), client_first_name(CaseStep)]
        self._sortable_joins["client"] = [[], []]
        columns["kind"] = STEP_KIND_ORDER
        columns["by"] = user_name(CaseStep.by_id)
        self._sortable_joins.pop("by", None)
        return columns

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        # The client's name comes from a join (not a sub-select per row), so the planner can walk
        # ix_client_name and each client's steps by ix_case_step_client_id instead of sorting the table.
        client = joins.get((True, CaseStep.client))
        if client is None:
            client = joins[(True, CaseStep.client)] = aliased(Client)
            query = query.join(client, CaseStep.client)
        if sort_column == "client":
            order = sa.desc if sort_desc else sa.asc
            query = query.order_by(order(client.last_name), order(client.first_name))
        elif sort_column is not None:
            query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        # Within the chosen order, the rest still reads as a timeline.
        return query.order_by(*self.timeline(client)), joins

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
            "query_factory": clients,
            "description": _l("For a network member, their client is filled in when left empty."),
        },
        "network_member": {"query_factory": network, "get_label": network_label},
        "provider": {"query_factory": providers},
        "by": {"query_factory": case_workers},
    }
    form_widget_args = {"note": {"rows": 3}}

    def get_query(self):
        # "Counselled" names the network member or provider: load them with the page, not per row.
        return super().get_query().options(joinedload(Counselling.network_member), joinedload(Counselling.provider))

    def get_sortable_columns(self):
        columns = super().get_sortable_columns()
        columns["client"] = [client_last_name(Counselling), client_first_name(Counselling)]
        self._sortable_joins["client"] = [[], []]
        columns["by"] = user_name(Counselling.by_id)
        self._sortable_joins.pop("by", None)
        return columns


def register(admin) -> None:
    for view, model, name, endpoint, url in (
        (AssessmentView, Assessment, _l("Need assessments"), "assessments", "assessments"),
        (CaseStepView, CaseStep, _l("Procedural steps"), "case_steps", "case-steps"),
        (CounsellingView, Counselling, _l("Counselling"), "counselling", "counselling"),
    ):
        admin.add_view(view(model, db, name=name, endpoint=endpoint, url=url, category=_l("Case work")))
