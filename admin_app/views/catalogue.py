"""Teenuskomponendid: the component catalogue with its price list."""

from datetime import date

from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import validators

from exports.tabular import Kind
from models import ComponentPrice, ServiceComponent, component_errors
from models.base import db

from ..i18n import format_date, format_money
from ..registers.base import ALL_STAFF, RegisterView
from ..registers.fields import DateField, DecimalField
from ..registers.importing import ImportMixin


def _current_price(view, context, model, name):
    row = model.price_on(date.today())
    return format_money(row.unit_price) if row else ""


def _current_price_value(view, context, model, name):
    row = model.price_on(date.today())
    return row.unit_price if row else None


def _price_list(view, context, model, name):
    """Every price row, the one valid today in bold."""
    today = date.today()
    lines = []
    for row in model.prices:
        text = Markup("{}: {} ({}–{})").format(
            row.mode, format_money(row.unit_price), format_date(row.valid_from), format_date(row.valid_until) or "…"
        )
        lines.append(Markup("<strong>{}</strong>").format(text) if row.covers(today) else text)
    return Markup("<br>").join(lines)


class PriceInline(InlineFormAdmin):
    form_columns = ("id", "mode", "unit_price", "valid_from", "valid_until")
    form_label = _l("Price list")
    column_labels = {
        "mode": _l("Mode"),
        "unit_price": _l("Unit price (€)"),
        "valid_from": _l("Valid from"),
        "valid_until": _l("Valid until"),
    }
    form_overrides = {"valid_from": DateField, "valid_until": DateField, "unit_price": DecimalField}
    form_args = {
        "unit_price": {"validators": [validators.InputRequired()]},
        "valid_from": {"validators": [validators.InputRequired()]},
        "valid_until": {"validators": [validators.Optional()]},
    }

    def __init__(self, model, **kwargs):
        from models import PriceMode

        self.form_choices = {"mode": PriceMode.choices()}
        super().__init__(model, **kwargs)


class ServiceComponentView(ImportMixin, RegisterView):
    """The catalogue; reference data kept by the administrator and the head."""

    import_register = "components"
    read_roles = ALL_STAFF
    write_roles = ("head",)
    rules = component_errors

    column_list = ("code", "name", "area", "unit", "current_price", "yearly_cap", "active")
    column_details_list = (
        "code",
        "name",
        "area",
        "unit",
        "yearly_cap",
        "provider_requirements",
        "staff_qualification",
        "active",
        "prices",
    )
    column_labels = {
        "code": _l("Code"),
        "name": _l("Name"),
        "area": _l("Area"),
        "unit": _l("Unit"),
        "current_price": _l("Price today"),
        "yearly_cap": _l("Yearly cap per participant"),
        "provider_requirements": _l("Requirements for the provider"),
        "staff_qualification": _l("Qualification of the person delivering"),
        "active": _l("Active"),
        "prices": _l("Price list"),
    }
    column_formatters = {"current_price": _current_price}
    column_formatters_export = {"current_price": _current_price_value}
    column_export_kinds = {"current_price": Kind.MONEY}
    column_formatters_detail = {"prices": _price_list}
    column_searchable_list = ("code", "name")
    column_filters = ("area", "unit", "active")
    column_sortable_list = ("code", "name", "area", "unit", "yearly_cap", "active")
    column_default_sort = "code"
    column_editable_list = ("name", "active")

    form_columns = (
        "code",
        "name",
        "area",
        "unit",
        "yearly_cap",
        "provider_requirements",
        "staff_qualification",
        "active",
        "prices",
    )
    form_args = {
        "code": {"validators": [validators.InputRequired()]},
        "name": {"validators": [validators.InputRequired()]},
        "yearly_cap": {"description": _l("Leave empty when there is no cap")},
    }
    inline_models = (PriceInline(ComponentPrice),)


def register(admin) -> None:
    admin.add_view(
        ServiceComponentView(
            ServiceComponent,
            db,
            name=_l("Service components"),
            endpoint="service_components",
            url="service-components",
            category=_l("Registers"),
        )
    )
