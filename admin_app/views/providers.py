"""Teenuseosutajad and omavalitsused: the provider register and the municipality list."""

from datetime import date

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import validators

from models import Municipality, Provider, ProviderStaff, municipality_errors, provider_errors
from models.base import db

from ..i18n import format_date
from ..registers.archive import ArchiveMixin
from ..registers.base import MANAGERS, RegisterView, badge
from ..registers.fields import DateField, strip
from ..registers.importing import ImportMixin

CERTIFICATE_BADGES = {"expired": ("danger", _l("expired")), "expiring": ("warning", _l("expires soon"))}


def _certificate_badge(person) -> Markup:
    """A red or amber badge with the expiry date when the certificate needs attention."""
    state = person.certificate_state()
    if state not in CERTIFICATE_BADGES:
        return Markup("")
    kind, label = CERTIFICATE_BADGES[state]
    return Markup(" ") + badge(f"{label} {format_date(person.certificate_valid_until)}", kind)


def _staff_list(view, context, model, name):
    """Staff names, one a line, flagged when their certificate has expired or soon expires."""
    return Markup("<br>").join(
        Markup('<span class="text-nowrap">{}</span>{}').format(p.name, _certificate_badge(p)) for p in model.staff
    )


def _staff_details(view, context, model, name):
    """Each staff member with qualification and certificate."""
    rows = []
    for p in model.staff:
        until = p.certificate_valid_until
        certificate = " ".join(
            part for part in (p.certificate_number, until and f"{gettext('valid until')} {format_date(until)}") if part
        )
        rows.append(
            Markup("<strong>{}</strong> – {}{}{}").format(
                p.name,
                p.qualification or "—",
                Markup("; {}").format(certificate) if certificate else "",
                _certificate_badge(p),
            )
        )
    return Markup("<br>").join(rows)


def _kinds(view, context, model, name):
    return ", ".join(model.kinds)


def _iban(view, context, model, name):
    from models.codes import format_iban

    return format_iban(model.iban)


class CertificateFilter(BaseSQLAFilter):
    """Providers with a staff certificate that has expired or expires within the warning period."""

    def apply(self, query, value, alias=None):
        from datetime import timedelta

        from flask import current_app

        limit = date.today() + timedelta(days=current_app.config["CERTIFICATE_WARNING_DAYS"])
        flagged = select(ProviderStaff.provider_id).where(ProviderStaff.certificate_valid_until <= limit)
        return query.filter(Provider.id.in_(flagged))

    def operation(self):
        return gettext("expired or expiring")


class StaffInline(InlineFormAdmin):
    form_columns = ("id", "name", "qualification", "certificate_number", "certificate_valid_until")
    form_label = _l("Staff who deliver services")
    column_labels = {
        "name": _l("Name"),
        "qualification": _l("Qualification"),
        "certificate_number": _l("Certificate number"),
        "certificate_valid_until": _l("Certificate valid until"),
    }
    form_overrides = {"certificate_valid_until": DateField}


class ProviderView(ImportMixin, ArchiveMixin, RegisterView):
    """The provider register; case managers keep it up to date."""

    import_register = "providers"
    import_also = ("provider_staff",)
    read_roles = ("head", "case_manager", "accountant")
    write_roles = MANAGERS
    rules = provider_errors

    # E-mail and IBAN are on the details page; the list stays one screen wide.
    column_list = (
        "registry_code",
        "name",
        "municipality",
        "kinds",
        "staff",
        "contact_person",
        "phone",
        "active",
    )
    column_details_list = (
        "registry_code",
        "name",
        "municipality",
        "kinds",
        "contact_person",
        "email",
        "phone",
        "iban",
        "active",
        "notes",
        "staff",
    )
    column_labels = {
        "registry_code": _l("Registry code"),
        "name": _l("Name"),
        "municipality": _l("Municipality"),
        "municipality.name": _l("Municipality"),
        "kinds": _l("Kinds"),
        "contact_person": _l("Contact person"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "iban": _l("IBAN"),
        "is_base_support": _l("Base support"),
        "is_component": _l("Service components"),
        "is_supplementary": _l("Supplementary support"),
        "active": _l("Active"),
        "notes": _l("Notes"),
        "staff": _l("Staff"),
    }
    column_formatters = {"staff": _staff_list, "kinds": _kinds, "iban": _iban}
    column_formatters_detail = {"staff": _staff_details, "kinds": _kinds, "iban": _iban}
    column_searchable_list = ("name", "registry_code", "contact_person", "email")
    column_filters = (
        "is_base_support",
        "is_component",
        "is_supplementary",
        "active",
        "municipality.name",
        CertificateFilter(ProviderStaff.certificate_valid_until, _l("Staff certificate")),
    )
    column_sortable_list = ("registry_code", "name", ("municipality", "municipality.name"), "active")
    column_default_sort = "name"
    column_editable_list = ("contact_person", "email", "phone", "active")

    form_columns = (
        "registry_code",
        "name",
        "municipality",
        "is_base_support",
        "is_component",
        "is_supplementary",
        "contact_person",
        "email",
        "phone",
        "iban",
        "active",
        "notes",
        "staff",
    )
    form_args = {
        "registry_code": {
            "validators": [validators.InputRequired()],
            "filters": [strip],
            "description": _l("8 digits"),
        },
        "name": {"validators": [validators.InputRequired()]},
        "email": {"validators": [validators.Optional(), validators.Email()]},
        "iban": {"filters": [strip], "description": _l("e.g. EE38 2200 2210 2014 5685")},
    }
    inline_models = (StaffInline(ProviderStaff),)

    def get_query(self):
        # The list shows each provider's staff: load them in one statement, not one per row.
        return super().get_query().options(selectinload(Provider.staff), joinedload(Provider.municipality))


class MunicipalityView(RegisterView):
    """Municipalities: reference data kept by the administrator."""

    read_roles = MANAGERS
    write_roles = ("admin",)
    rules = municipality_errors

    column_list = ("name", "county", "registry_code")
    column_labels = {"name": _l("Name"), "county": _l("County"), "registry_code": _l("Registry code")}
    column_searchable_list = ("name", "registry_code")
    column_filters = ("county",)
    column_default_sort = "name"
    column_editable_list = ("county",)
    form_columns = ("name", "county", "registry_code")
    form_args = {"name": {"validators": [validators.InputRequired()]}, "registry_code": {"filters": [strip]}}


def register(admin) -> None:
    admin.add_view(
        ProviderView(
            Provider, db, name=_l("Providers"), endpoint="providers", url="providers", category=_l("Registers")
        )
    )
    admin.add_view(
        MunicipalityView(
            Municipality,
            db,
            name=_l("Municipalities"),
            endpoint="municipalities",
            url="municipalities",
            category=_l("Reference data"),
        )
    )
