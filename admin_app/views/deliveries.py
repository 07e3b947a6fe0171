"""Teenuse osutamised: the delivery register, priced on save, locked once invoiced; bulk load from Excel."""

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import validators

from models import Client, ClientStatus, Provider, ServiceComponent, ServiceDelivery, delivery_errors
from models.base import db
from models.delivery_sheet import COLUMNS, SheetError, load_deliveries
from models.invoice_locks import invoice_number_of_deliveries

from ..access_rules import shows_no_person
from ..i18n import format_quantity
from ..registers.base import RegisterView, badge
from ..registers.importing import ImportMixin

WRITERS = ("head", "case_manager", "accountant")


def quantity(view, context, model, name) -> str:
    """A quantity in its unit, never as money."""
    unit = model.component.unit.label if model.component is not None else ""
    return f"{format_quantity(model.quantity)} {unit}".strip()


def _invoice(view, context, model, name):
    """The confirmed invoice the delivery is on: its month's, when it has a line of the delivery's
    key (a draft bills nothing yet). Joined into the page's one query, as a related record is."""
    invoice = model.invoice
    if invoice is None:
        return ""
    link = Markup('<a href="{}">{}</a>').format(url_for("invoices.details_view", id=invoice.id), invoice.number or "")
    return Markup("{} {}").format(badge(gettext("invoiced"), "success"), link)


def _clients():
    """Clients who may have had services: not applicants (an exited client's past deliveries count)."""
    return db.session.scalars(
        select(Client).where(Client.status != ClientStatus.APPLICANT).order_by(Client.last_name, Client.first_name)
    )


def _providers():
    return db.session.scalars(select(Provider).where(Provider.active).order_by(Provider.name))


def _components():
    return db.session.scalars(select(ServiceComponent).where(ServiceComponent.active).order_by(ServiceComponent.code))


class DeliveryView(ImportMixin, RegisterView):
    """Service deliveries: what was delivered to whom, priced from the price list or an accepted offer.

    Shows the client by name and personal ID code only: the accountant works here and sees no health data."""

    import_register = "deliveries"
    read_roles = WRITERS
    write_roles = WRITERS
    rules = delivery_errors
    list_template = "admin/delivery_list.html"

    column_list = (
        "delivered_on",
        "period_end",
        "client",
        "client.personal_code",
        "provider",
        "component",
        "mode",
        "quantity",
        "unit_price",
        "amount",
        "invoice",
    )
    column_details_list = (*column_list, "offer", "notes")
    column_labels = {
        "delivered_on": _l("Date"),
        "period_end": _l("Period end"),
        "client": _l("Client"),
        "client.personal_code": _l("Personal ID code"),
        "client.last_name": _l("Last name"),
        "client.first_name": _l("First name"),
        "provider": _l("Provider"),
        "provider.name": _l("Provider"),
        "component": _l("Service component"),
        "component.name": _l("Service component"),
        "component.code": _l("Component code"),
        "mode": _l("Mode"),
        "quantity": _l("Quantity"),
        "unit_price": _l("Unit price"),
        "amount": _l("Amount"),
        "invoice": _l("Invoice"),
        "offer": _l("Price from offer"),
        "notes": _l("Notes"),
    }
    column_formatters = {"invoice": _invoice, "quantity": quantity}
    #: The file names the invoice by its number, read as a column (a million rows: records cost 2.7×).
    column_export_sql = {"invoice": invoice_number_of_deliveries}
    column_formatters_detail = {"invoice": _invoice, "quantity": quantity}
    column_searchable_list = (
        "client.last_name",
        "client.first_name",
        "client.personal_code",
        "provider.name",
        "component.code",
        "component.name",
    )
    column_filters = ("delivered_on", "provider.name", "component.name", "client.last_name", "amount")
    column_sortable_list = (
        "delivered_on",
        ("client", "client.last_name"),
        ("provider", "provider.name"),
        ("component", "component.code"),
        "quantity",
        "amount",
    )
    column_default_sort = ("delivered_on", True)

    form_columns = ("client", "provider", "component", "mode", "delivered_on", "period_end", "quantity", "notes")
    form_args = {
        "client": {"validators": [validators.InputRequired()], "query_factory": _clients},
        "provider": {"validators": [validators.InputRequired()], "query_factory": _providers},
        "component": {"validators": [validators.InputRequired()], "query_factory": _components},
        "delivered_on": {
            "validators": [validators.InputRequired()],
            "description": _l("The day of the delivery, or the first day of a period."),
        },
        "period_end": {"description": _l("For a period: its last day, in the same month.")},
        "quantity": {
            "validators": [validators.InputRequired()],
            "description": _l(
                "In the component's unit; the unit price comes from the price list or an accepted offer."
            ),
        },
    }

    @shows_no_person
    @expose("/upload/", methods=("GET", "POST"))
    def upload_view(self):
        """Load deliveries from an .xlsx sheet: all rows or none, with a report of every problem."""
        if not self.may_write():
            return self.inaccessible_callback("upload_view")
        problems, columns = [], [str(c) for c in COLUMNS]
        if request.method == "POST":
            upload = request.files.get("sheet")
            if upload is None or not upload.filename:
                flash(gettext("Choose an Excel file (.xlsx) to load."), "error")
            else:
                try:
                    saved, problems = load_deliveries(upload.stream, self.client_scope_condition())
                except SheetError as e:
                    flash(str(e), "error")
                else:
                    if not problems:
                        flash(
                            ngettext("%(num)s delivery loaded.", "%(num)s deliveries loaded.", saved),
                            "success",
                        )
                        return redirect(url_for(".index_view"))
                    flash(
                        gettext("Nothing was loaded: correct the rows listed below and load the file again."), "error"
                    )
        return self.render("admin/delivery_upload.html", problems=problems, columns=columns)


def register(admin) -> None:
    admin.add_view(
        DeliveryView(
            ServiceDelivery,
            db,
            name=_l("Service deliveries"),
            endpoint="deliveries",
            url="deliveries",
            category=_l("Invoicing"),
        )
    )
