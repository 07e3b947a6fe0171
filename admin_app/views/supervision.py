"""Järelevalve: inspections of providers (and of a client's service) and the violations found."""

from flask import request
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.model.filters import BaseBooleanFilter
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import validators

from models import Inspection, Severity, Violation, ViolationKind, ViolationStatus, inspection_errors
from models.base import db
from models.supervision import violation_errors

from ..i18n import format_date
from ..registers.base import RegisterView, badge
from ..registers.shared import CASE_WORKERS, RememberedInline, RowRules, clients, providers, signed_in_user

SEVERITY_COLOURS = {Severity.SEVERE: "danger", Severity.SIGNIFICANT: "warning", Severity.MINOR: "secondary"}
STATUS_COLOURS = {
    ViolationStatus.OPEN: "info",
    ViolationStatus.REMEDIED: "success",
    ViolationStatus.NOT_REMEDIED: "dark",
}


class ViolationInline(RememberedInline):
    form_columns = ("id", "kind", "severity", "description", "remedy_by", "status", "remedied_on")
    form_label = _l("Violations")
    column_labels = {
        "kind": _l("Kind"),
        "severity": _l("Severity"),
        "description": _l("Description"),
        "remedy_by": _l("Deadline to remedy"),
        "status": _l("Status"),
        "remedied_on": _l("Remedied on"),
    }

    def __init__(self, model, **kwargs):
        self.form_choices = {
            "kind": ViolationKind.choices(),
            "severity": Severity.choices(),
            "status": ViolationStatus.choices(),
        }
        super().__init__(model, **kwargs)


class ViolationFilter(BaseSQLAFilter):
    """Inspections with a violation whose ``column`` is the chosen value."""

    def __init__(self, column, name, options):
        # Filtered by a subquery: the list itself is never joined to its violations (no duplicate rows).
        super().__init__(Inspection.id, name, options=options)
        self.violation_column = column

    def validate(self, value):
        return value in {key for key, _ in self.options}

    def apply(self, query, value, alias=None):
        found = select(Violation.inspection_id).where(self.violation_column == value)
        return query.filter(Inspection.id.in_(found))

    def operation(self):
        return gettext("has")


class OverdueViolationFilter(BaseSQLAFilter, BaseBooleanFilter):
    """Inspections with (or without) an open violation past its deadline to remedy."""

    def __init__(self, name):
        super().__init__(Inspection.id, name, options=None)

    def apply(self, query, value, alias=None):
        overdue = Inspection.id.in_(select(Violation.inspection_id).where(Violation.overdue))
        return query.filter(overdue if value == "1" else ~overdue)

    def operation(self):
        return gettext("equals")


def _violations_list(view, context, model, name):
    """How many violations of each severity, as coloured badges, and how many are open past deadline."""
    parts = []
    for severity in (Severity.SEVERE, Severity.SIGNIFICANT, Severity.MINOR):
        n = sum(1 for v in model.violations if v.severity == severity)
        if n:
            parts.append(badge(f"{n} {severity.label}", SEVERITY_COLOURS[severity]))
    overdue = sum(1 for v in model.violations if v.overdue)
    if overdue:
        parts.append(badge(ngettext("%(num)s open past deadline", "%(num)s open past deadline", overdue), "danger"))
    return Markup('<span class="text-nowrap">{}</span>').format(Markup(" ").join(parts))


def _violations_details(view, context, model, name):
    """Each violation with its severity, deadline and status; those open past deadline in red."""
    if not model.violations:
        return ""
    head = Markup("<tr>{}</tr>").format(
        Markup("").join(
            Markup("<th>{}</th>").format(gettext(t))
            for t in ("Kind", "Severity", "Description", "Deadline to remedy", "Status", "Remedied on")
        )
    )
    rows = []
    for v in model.violations:
        status = badge(v.status.label, STATUS_COLOURS[v.status])
        if v.overdue:
            status += Markup(" ") + badge(gettext("past deadline"), "danger")
        rows.append(
            Markup(
                '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td class="text-nowrap">{}</td>'
                "<td>{}</td><td>{}</td></tr>"
            ).format(
                "table-danger" if v.overdue else "",
                v.kind.label,
                badge(v.severity.label, SEVERITY_COLOURS[v.severity]),
                v.description or "",
                format_date(v.remedy_by) if v.remedy_by else "—",
                status,
                format_date(v.remedied_on) if v.remedied_on else "",
            )
        )
    return Markup('<table class="table table-sm mb-0">{}{}</table>').format(head, Markup("").join(rows))


class InspectionView(RowRules, RegisterView):
    """Järelevalve: inspections, their findings and the violations to be remedied."""

    read_roles = CASE_WORKERS
    write_roles = CASE_WORKERS
    rules = inspection_errors
    row_rules = (("violations", violation_errors),)

    column_list = ("inspected_on", "provider", "client", "inspector", "violations")
    column_details_list = ("inspected_on", "provider", "client", "inspector", "findings", "violations")
    column_labels = {
        "inspected_on": _l("Date"),
        "provider": _l("Provider"),
        "provider.name": _l("Provider"),
        "client": _l("Client"),
        "inspector": _l("Inspector"),
        "findings": _l("Findings"),
        "violations": _l("Violations"),
    }
    column_formatters = {"violations": _violations_list}
    column_formatters_detail = {"violations": _violations_details}
    column_searchable_list = ("inspector", "findings", "provider.name")
    column_filters = (
        "provider.name",
        "inspected_on",
        ViolationFilter(Violation.kind, _l("Violation kind"), ViolationKind.choices()),
        ViolationFilter(Violation.status, _l("Violation status"), ViolationStatus.choices()),
        ViolationFilter(Violation.severity, _l("Violation severity"), Severity.choices()),
        OverdueViolationFilter(_l("Open past deadline")),
    )
    column_sortable_list = ("inspected_on", ("provider", "provider.name"), "inspector")
    column_default_sort = [("inspected_on", True), ("id", True)]

    form_columns = ("provider", "client", "inspected_on", "inspector", "findings", "violations")
    form_args = {
        "provider": {"query_factory": providers, "validators": [validators.InputRequired()]},
        "client": {
            "query_factory": clients,
            "description": _l("When the inspection concerns the service one client gets."),
        },
        "inspector": {"validators": [validators.InputRequired()]},
    }
    inline_models = (ViolationInline(Violation),)

    def get_query(self):
        return (
            super()
            .get_query()
            .options(
                selectinload(Inspection.violations), joinedload(Inspection.provider), joinedload(Inspection.client)
            )
        )

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET" and not form.inspector.data:
            user = signed_in_user()
            form.inspector.data = str(user) if user else None
        return form


def register(admin) -> None:
    admin.add_view(
        InspectionView(
            Inspection, db, name=_l("Supervision"), endpoint="supervision", url="supervision", category=_l("Case work")
        )
    )
