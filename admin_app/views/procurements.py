"""Hanked: the procurement register."""

from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import validators

from models import Bid, Procurement, procurement_errors
from models.base import db

from ..i18n import format_money
from ..registers.base import MANAGERS, RegisterView
from ..registers.fields import DateField, DecimalField
from ..registers.importing import ImportMixin


def _bids(view, context, model, name):
    rows = []
    for bid in sorted(model.bids, key=lambda b: (b.price is None, b.price or 0)):
        text = Markup("{}: {}").format(bid.provider, format_money(bid.price))
        rows.append(Markup("<strong>{} ★</strong>").format(text) if bid.provider_id == model.winner_id else text)
    return Markup("<br>").join(rows)


def _components(view, context, model, name):
    return ", ".join(c.code for c in model.components)


class BidInline(InlineFormAdmin):
    form_columns = ("id", "provider", "price", "received_on", "notes")
    form_label = _l("Bidders")
    column_labels = {
        "provider": _l("Provider"),
        "price": _l("Tender price (€)"),
        "received_on": _l("Received"),
        "notes": _l("Notes"),
    }
    form_overrides = {"received_on": DateField, "price": DecimalField}
    form_args = {"provider": {"validators": [validators.InputRequired()]}}


class ProcurementView(ImportMixin, RegisterView):
    """Public procurements of service components."""

    import_register = "procurements"
    read_roles = ("head", "case_manager", "accountant")
    write_roles = MANAGERS
    rules = procurement_errors

    column_list = (
        "reference_number",
        "title",
        "procedure_type",
        "estimated_value",
        "tender_deadline",
        "status",
        "winner",
        "contract_end",
    )
    column_details_list = (
        "reference_number",
        "title",
        "procedure_type",
        "estimated_value",
        "components",
        "published_on",
        "tender_deadline",
        "decision_on",
        "contract_on",
        "status",
        "bids",
        "winner",
        "contract_start",
        "contract_end",
        "notes",
    )
    column_labels = {
        "reference_number": _l("Register reference no."),
        "title": _l("Subject"),
        "procedure_type": _l("Procedure"),
        "estimated_value": _l("Estimated value"),
        "components": _l("Service components"),
        "published_on": _l("Published"),
        "tender_deadline": _l("Tender deadline"),
        "decision_on": _l("Decision date"),
        "contract_on": _l("Contract signed"),
        "status": _l("Status"),
        "bids": _l("Bidders"),
        "winner": _l("Winner"),
        "winner.name": _l("Winner"),
        "contract_start": _l("Contract from"),
        "contract_end": _l("Contract until"),
        "notes": _l("Notes"),
    }
    column_formatters = {"bids": _bids, "components": _components}
    column_formatters_detail = {"bids": _bids, "components": _components}
    column_searchable_list = ("reference_number", "title")
    column_filters = ("procedure_type", "status", "tender_deadline", "contract_end", "winner.name")
    column_sortable_list = (
        "reference_number",
        "title",
        "procedure_type",
        "estimated_value",
        "tender_deadline",
        "status",
        ("winner", "winner.name"),
        "contract_end",
    )
    column_default_sort = ("tender_deadline", True)
    column_editable_list = ("status",)

    form_columns = (
        "reference_number",
        "title",
        "procedure_type",
        "estimated_value",
        "components",
        "published_on",
        "tender_deadline",
        "decision_on",
        "contract_on",
        "status",
        "bids",
        "winner",
        "contract_start",
        "contract_end",
        "notes",
    )
    form_args = {
        "reference_number": {"validators": [validators.InputRequired()]},
        "title": {"validators": [validators.InputRequired()]},
        "estimated_value": {"description": _l("Euros without VAT")},
    }
    inline_models = (BidInline(Bid),)


def register(admin) -> None:
    admin.add_view(
        ProcurementView(
            Procurement,
            db,
            name=_l("Procurements"),
            endpoint="procurements",
            url="procurements",
            category=_l("Registers"),
        )
    )
