"""Kohtumised: meetings, who took part, the minutes and the follow-up tasks."""

from flask import request
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.form import rules as form_rules
from flask_admin.model.filters import BaseBooleanFilter
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import validators

from models import Client, FollowUp, Meeting, meeting_errors
from models.base import db
from models.meetings import follow_up_errors

from ..i18n import format_date
from ..registers.base import RegisterView, badge
from ..registers.shared import (
    CASE_WORKERS,
    RememberedInline,
    RowRules,
    case_workers,
    clients,
    network,
    network_label,
    providers,
    signed_in_user,
)


class FollowUpInline(RememberedInline):
    form_columns = ("id", "task", "owner", "owner_other", "deadline", "done")
    form_label = _l("Follow-ups")
    column_labels = {
        "task": _l("Task"),
        "owner": _l("Owner"),
        "owner_other": _l("Owner (someone else)"),
        "deadline": _l("Deadline"),
        "done": _l("Done"),
    }
    form_args = {
        "task": {"validators": [validators.InputRequired()]},
        "owner": {"query_factory": case_workers},
        "owner_other": {"description": _l("When the owner is not a user: a name, a provider, the client.")},
    }


class OverdueFollowUpsFilter(BaseSQLAFilter, BaseBooleanFilter):
    """Meetings with (or without) a follow-up past its deadline and not done."""

    def __init__(self, name):
        super().__init__(Meeting.id, name, options=None)

    def apply(self, query, value, alias=None):
        overdue = Meeting.id.in_(select(FollowUp.meeting_id).where(FollowUp.overdue))
        return query.filter(overdue if value == "1" else ~overdue)

    def operation(self):
        return gettext("equals")


def _overdue_badge(model) -> Markup:
    overdue = [f for f in model.follow_ups if f.overdue]
    if not overdue:
        return Markup("")
    text = ngettext("%(num)s overdue", "%(num)s overdue", len(overdue))
    return badge(text, "danger")


def _follow_ups_list(view, context, model, name):
    """How many follow-ups are open, with a red count of those overdue."""
    if not model.follow_ups:
        return ""
    open_ = sum(1 for f in model.follow_ups if not f.done)
    text = gettext("%(open)s open of %(all)s", open=open_, all=len(model.follow_ups))
    return Markup('<span class="text-nowrap">{} {}</span>').format(text, _overdue_badge(model))


def _owner(f: FollowUp) -> str:
    return str(f.owner) if f.owner else (f.owner_other or "")


def _follow_ups_details(view, context, model, name):
    """Each follow-up: task, owner, deadline, done; overdue ones in red."""
    rows = []
    for f in model.follow_ups:
        state = (
            badge(gettext("overdue"), "danger")
            if f.overdue
            else badge(gettext("done"), "success")
            if f.done
            else badge(gettext("open"), "info")
        )
        rows.append(
            Markup('<tr class="{}"><td>{}</td><td>{}</td><td class="text-nowrap">{}</td><td>{}</td></tr>').format(
                "table-danger" if f.overdue else "",
                f.task,
                _owner(f),
                format_date(f.deadline) if f.deadline else "—",
                state,
            )
        )
    if not rows:
        return ""
    head = Markup("<tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr>").format(
        gettext("Task"), gettext("Owner"), gettext("Deadline")
    )
    return Markup('<table class="table table-sm mb-0">{}{}</table>').format(head, Markup("").join(rows))


def _participants(view, context, model, name):
    """Everyone who took part: clients, network members, providers, others."""
    names = [
        *(str(c) for c in model.clients),
        *(str(n) for n in model.network_members),
        *(str(p) for p in model.providers),
    ]
    if model.others:
        names.append(model.others)
    return ", ".join(names)


def _names(view, context, model, name):
    return Markup("<br>").join(str(x) for x in getattr(model, name))


class MeetingView(RowRules, RegisterView):
    """Kohtumised: case managers record meetings and follow their tasks up."""

    read_roles = CASE_WORKERS
    write_roles = CASE_WORKERS
    rules = meeting_errors
    row_rules = (("follow_ups", follow_up_errors),)

    column_list = ("held_on", "kind", "title", "participants", "follow_ups", "recorded_by")
    column_details_list = (
        "held_on",
        "kind",
        "title",
        "clients",
        "network_members",
        "providers",
        "others",
        "minutes",
        "recorded_by",
        "follow_ups",
    )
    column_labels = {
        "held_on": _l("Date"),
        "kind": _l("Kind"),
        "title": _l("Title"),
        "participants": _l("Participants"),
        "clients": _l("Clients"),
        "network_members": _l("Network members"),
        "providers": _l("Providers"),
        "others": _l("Other participants"),
        "minutes": _l("Minutes"),
        "recorded_by": _l("Recorded by"),
        "recorded_by.full_name": _l("Recorded by"),
        "follow_ups": _l("Follow-ups"),
    }
    column_formatters = {"participants": _participants, "follow_ups": _follow_ups_list}
    column_formatters_detail = {
        "follow_ups": _follow_ups_details,
        "clients": _names,
        "network_members": lambda v, c, m, n: Markup("<br>").join(network_label(x) for x in m.network_members),
        "providers": _names,
    }
    column_searchable_list = ("title", "minutes", "others")
    column_filters = (
        "kind",
        "held_on",
        OverdueFollowUpsFilter(_l("Has overdue follow-ups")),
    )
    column_sortable_list = ("held_on", "kind", "title", ("recorded_by", "recorded_by.full_name"))
    column_default_sort = [("held_on", True), ("id", True)]

    form_columns = (
        "held_on",
        "kind",
        "title",
        "recorded_by",
        "clients",
        "network_members",
        "providers",
        "others",
        "minutes",
        "follow_ups",
    )
    form_create_rules = form_edit_rules = (
        form_rules.FieldSet(("held_on", "kind", "title", "recorded_by"), _l("Meeting")),
        form_rules.FieldSet(("clients", "network_members", "providers", "others"), _l("Participants")),
        form_rules.FieldSet(("minutes", "follow_ups"), _l("Minutes and follow-ups")),
    )
    form_args = {
        "title": {"validators": [validators.InputRequired()]},
        "recorded_by": {"query_factory": case_workers},
        "clients": {"query_factory": clients},
        "network_members": {"query_factory": network, "get_label": network_label},
        "providers": {"query_factory": providers},
        "others": {"description": _l("Anyone else, e.g. an SKA adviser or a family doctor.")},
    }
    inline_models = (FollowUpInline(FollowUp),)

    def get_query(self):
        return (
            super()
            .get_query()
            .options(
                selectinload(Meeting.follow_ups),
                selectinload(Meeting.clients),
                selectinload(Meeting.network_members),
                selectinload(Meeting.providers),
            )
        )

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            if form.recorded_by.data is None:
                form.recorded_by.data = signed_in_user()
            # "Add a meeting" from a client's case file arrives with ?client_id=N.
            client_id = request.args.get("client_id", type=int)
            client = client_id and db.session.get(Client, client_id)
            if client and not form.clients.data:
                form.clients.data = [client]
        return form

    def on_model_change(self, form, model, is_created):
        if is_created and model.recorded_by is None:
            model.recorded_by = signed_in_user()
        super().on_model_change(form, model, is_created)


def register(admin) -> None:
    admin.add_view(
        MeetingView(Meeting, db, name=_l("Meetings"), endpoint="meetings", url="meetings", category=_l("Case work"))
    )
