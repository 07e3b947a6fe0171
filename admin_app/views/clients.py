"""Kliendid: the client register with the client's network."""

from flask import flash, redirect, url_for
from flask_admin.actions import action
from flask_admin.form import rules as form_rules
from flask_admin.model.form import InlineFormAdmin
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import validators

from models import Client, ClientStatus, NetworkMember, NetworkRole, Provider, TargetGroup, client_errors
from models.base import RuleViolation, db
from models.clients import LIST_SEARCHED, assign_case_manager, assignable_case_managers, found_by

from ..i18n import format_date
from ..registers.archive import ArchiveMixin
from ..registers.base import RegisterView, badge, label
from ..registers.fields import DateField, strip
from ..registers.importing import ImportMixin

STATUS_COLOURS = {
    ClientStatus.APPLICANT: "info",
    ClientStatus.ACTIVE: "success",
    ClientStatus.PAUSED: "warning",
    ClientStatus.EXITED: "secondary",
}


def _status(view, context, model, name):
    text = badge(label(model.status), STATUS_COLOURS[model.status])
    if model.status == ClientStatus.EXITED and model.exit_date:
        text += Markup(" <small>{}</small>").format(format_date(model.exit_date))
    return text


def _eligibility(view, context, model, name):
    if model.target_group != TargetGroup.PILOT:
        return ""
    reasons = model.pilot_ineligibility()
    if not reasons:
        return badge(gettext("eligible"), "success")
    return Markup("{} <small>{}</small>").format(badge(gettext("not eligible"), "danger"), "; ".join(reasons))


def _network(view, context, model, name):
    return Markup("<br>").join(
        Markup("{} – {}{}").format(m.name, m.role.label, f", {m.phone}" if m.phone else "") for m in model.network
    )


def _case_file(view, context, model, name):
    return Markup('<a class="case-file-link" href="{}">{}</a>').format(
        url_for("case_file.index", client_id=model.id), gettext("Open the case file")
    )


def _sex(view, context, model, name):
    return {"M": gettext("male"), "F": gettext("female")}.get(model.sex, "")


def _case_managers():
    return db.session.scalars(assignable_case_managers())


def _base_providers():
    return db.session.scalars(select(Provider).where(Provider.is_base_support).order_by(Provider.name))


class NetworkInline(InlineFormAdmin):
    form_columns = ("id", "role", "name", "relation", "phone", "email")
    form_label = _l("Network members")
    column_labels = {
        "role": _l("Role"),
        "name": _l("Name"),
        "relation": _l("Relation"),
        "phone": _l("Phone"),
        "email": _l("E-mail"),
    }
    form_args = {"name": {"validators": [validators.InputRequired()]}}

    def __init__(self, model, **kwargs):
        self.form_choices = {"role": NetworkRole.choices()}
        super().__init__(model, **kwargs)


class ClientView(ImportMixin, ArchiveMixin, RegisterView):
    """Clients and pilot participants; health data stays with case managers and the head."""

    import_register = "clients"
    import_also = ("network",)
    read_roles = ("head", "case_manager")
    write_roles = ("head", "case_manager")
    rules = client_errors

    #: At 1366 px these stay on the details page (the personal code holds the birth date; the archived
    #: column is empty unless the "Show archived" filter is on).
    column_wide_only = ("birth_date", "municipality", "phone", "archived_on")
    column_list = (
        "personal_code",
        "last_name",
        "first_name",
        "birth_date",
        "municipality",
        "target_group",
        "case_manager",
        "status",
        "eligibility",
        "phone",
    )
    column_details_list = (
        "case_file",
        "personal_code",
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "phone",
        "email",
        "address",
        "municipality",
        "target_group",
        "case_manager",
        "status",
        "applied_on",
        "entry_date",
        "exit_date",
        "exit_reason",
        "consent_given",
        "consent_date",
        "base_provider",
        "disability",
        "main_diagnosis",
        "on_state_services",
        "in_other_project",
        "eligibility",
        "notes",
        "network",
    )
    column_labels = {
        "personal_code": _l("Personal ID code"),
        "first_name": _l("First name"),
        "last_name": _l("Last name"),
        "birth_date": _l("Born"),
        "sex": _l("Sex"),
        "phone": _l("Phone"),
        "email": _l("E-mail"),
        "address": _l("Address"),
        "municipality": _l("Municipality of residence"),
        "municipality.name": _l("Municipality of residence"),
        "target_group": _l("Target group"),
        "case_manager": _l("Case manager"),
        "case_manager.full_name": _l("Case manager"),
        "status": _l("Status"),
        "applied_on": _l("Application received"),
        "entry_date": _l("Entry date"),
        "exit_date": _l("Exit date"),
        "exit_reason": _l("Reason for leaving"),
        "consent_given": _l("Consent to data processing"),
        "consent_date": _l("Consent date"),
        "base_provider": _l("Base-support provider"),
        "base_provider.name": _l("Base-support provider"),
        "disability": _l("Degree of disability"),
        "main_diagnosis": _l("Main diagnosis (ICD-10)"),
        "on_state_services": _l("Receives state special-welfare or rehabilitation services"),
        "in_other_project": _l("Receives similar services from another funded project"),
        "eligibility": _l("Pilot eligibility"),
        "notes": _l("Notes"),
        "network": _l("Network members"),
        "case_file": _l("Case file"),
    }
    column_formatters = {"status": _status, "eligibility": _eligibility, "sex": _sex}
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-folder-open", "case_file.index", title=_l("Case file"), id_arg="client_id")
    ]
    column_formatters_detail = {
        "case_file": _case_file,
        "status": _status,
        "eligibility": _eligibility,
        "sex": _sex,
        "network": _network,
    }
    column_searchable_list = LIST_SEARCHED

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # On SQLite the words of three letters or more come from the FTS5 trigram index
        # (models.clients.found_by): ~300 ms of reading every client for LIKE '%…%' saved at
        # 100,000 clients. Others (and "^word", "=word") go Flask-Admin's way; PostgreSQL's
        # LIKE is served by its pg_trgm indexes already.
        words = [w for w in search.split(" ") if w]
        indexed = [w for w in words if w[0] not in "^=" and len(w) >= 3]
        if not indexed or db.engine.dialect.name != "sqlite":
            return super()._apply_search(query, count_query, joins, count_joins, search)
        conditions = found_by(" ".join(indexed), LIST_SEARCHED)
        query = query.filter(*conditions)
        if count_query is not None:
            count_query = count_query.filter(*conditions)
        rest = " ".join(w for w in words if w not in indexed)
        if rest:
            return super()._apply_search(query, count_query, joins, count_joins, rest)
        return query, count_query, joins, count_joins

    column_filters = (
        "status",
        "target_group",
        "municipality.name",
        "case_manager.full_name",
        "base_provider.name",
        "birth_date",
        "consent_given",
    )
    column_sortable_list = (
        "personal_code",
        "last_name",
        "first_name",
        "birth_date",
        ("municipality", "municipality.name"),
        "target_group",
        ("case_manager", "case_manager.full_name"),
        "status",
    )
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_editable_list = ("phone",)

    form_columns = (
        "personal_code",
        "first_name",
        "last_name",
        "phone",
        "email",
        "address",
        "municipality",
        "target_group",
        "case_manager",
        "status",
        "applied_on",
        "entry_date",
        "exit_date",
        "exit_reason",
        "consent_given",
        "consent_date",
        "base_provider",
        "disability",
        "main_diagnosis",
        "on_state_services",
        "in_other_project",
        "notes",
        "network",
    )
    # The form reads in the order a case manager fills it in: the person, the case, health, the network.
    form_create_rules = form_edit_rules = (
        form_rules.FieldSet(
            ("personal_code", "first_name", "last_name", "phone", "email", "address", "municipality"), _l("Person")
        ),
        form_rules.FieldSet(
            (
                "target_group",
                "case_manager",
                "status",
                "applied_on",
                "entry_date",
                "exit_date",
                "exit_reason",
                "consent_given",
                "consent_date",
                "base_provider",
            ),
            _l("Case"),
        ),
        form_rules.FieldSet(
            ("disability", "main_diagnosis", "on_state_services", "in_other_project"),
            _l("Pilot eligibility (health data)"),
        ),
        form_rules.FieldSet(("notes", "network"), _l("Notes and network")),
    )
    form_args = {
        "personal_code": {
            "validators": [validators.InputRequired()],
            "filters": [strip],
            "description": _l("Birth date and sex are taken from the code."),
        },
        "first_name": {"validators": [validators.InputRequired()]},
        "last_name": {"validators": [validators.InputRequired()]},
        "email": {"validators": [validators.Optional(), validators.Email()]},
        "case_manager": {"query_factory": _case_managers},
        "base_provider": {
            "query_factory": _base_providers,
            "description": _l("Only base-support providers are listed."),
        },
        "main_diagnosis": {"description": _l("ICD-10 code, e.g. F20.0")},
    }
    form_overrides = {"exit_date": DateField, "consent_date": DateField}
    inline_models = (NetworkInline(NetworkMember),)

    # --- Assigning a case manager: to the ticked rows or to all matching ----------------------------

    all_matching_actions = (*ArchiveMixin.all_matching_actions, "assign")

    def is_action_allowed(self, name: str) -> bool:
        if name == "assign":
            return self.may_write()
        return super().is_action_allowed(name)

    @action("assign", _l("Assign a case manager"))
    def action_assign(self, ids):
        return redirect(self.chosen_rows_url("assign", ids))

    def all_matching_choice(self, name: str):
        if name != "assign":
            return super().all_matching_choice(name)
        options = [("", gettext("Nobody (unassigned)"))] + [(str(u.id), str(u)) for u in _case_managers()]
        return _l("Case manager"), options

    def assign_all(self, keys: list[int], choice: str) -> None:
        manager_id = int(choice) if choice.isdigit() else None
        if choice and manager_id is None:
            raise RuleViolation({"case_manager_id": gettext("Choose a case manager from the list.")})
        done = assign_case_manager(keys, manager_id)
        db.session.commit()
        flash(ngettext("%(num)s client assigned.", "%(num)s clients assigned.", done), "success")


def register(admin) -> None:
    admin.add_view(
        ClientView(Client, db, name=_l("Clients"), endpoint="clients", url="clients", category=_l("Registers"))
    )
