"""Koondarved: generate the month's draft, check it, confirm, send, mark paid, credit; download the workbook."""

from itertools import groupby
from operator import attrgetter

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.wsgi import FileWrapper

from exports import einvoice
from exports import invoice as workbook
from models import (
    AccessKind,
    Client,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    RuleViolation,
    StoredFile,
    confirm_invoice,
    create_credit_note,
    generate_invoice,
    mark_paid,
    mark_sent,
)
from models import einvoice as einvoice_rules
from models.base import db
from models.clients import found_by
from models.invoices import last_month, parse_month
from models.invoicing import net_total, stale, totals_by

from .. import export_slots
from ..access_rules import logs_access, shows_no_person
from ..registers.access import limited_user_id, scoped
from ..registers.base import RegisterView, badge, signed_in_roles
from ..registers.seen import note_seen, note_seen_in
from ..registers.stored_files import send_download
from . import invoice_jobs
from .deliveries import format_quantity

STATUS_COLOURS = {
    InvoiceStatus.DRAFT: "secondary",
    InvoiceStatus.CONFIRMED: "info",
    InvoiceStatus.SENT: "primary",
    InvoiceStatus.PAID: "success",
}
CONFIRMERS = {"admin", "head"}


def _status(view, context, model, name):
    return badge(model.status.label, STATUS_COLOURS[model.status])


def _month(view, context, model, name):
    return f"{model.month:%m.%Y}"


class InvoiceView(RegisterView):
    """Monthly consolidated invoices to SKA and their credit notes."""

    read_roles = ("head", "case_manager", "accountant")
    write_roles = ("head", "accountant")
    list_template = "admin/invoice_list.html"
    details_template = "admin/invoice_details.html"
    #: Clients on one page of an invoice's details (a client's lines all on one page).
    clients_per_page = 50

    column_list = ("number", "kind", "month", "status", "total", "issued_on", "due_on", "reference_number")
    column_labels = {
        "number": _l("Number"),
        "kind": _l("Kind"),
        "month": _l("Month"),
        "status": _l("Status"),
        "total": _l("Total"),
        "issued_on": _l("Invoice date"),
        "due_on": _l("Due date"),
        "reference_number": _l("Reference number"),
        "credited_invoice": _l("Credits invoice"),
    }
    column_formatters = {"status": _status, "month": _month}
    column_searchable_list = ("number", "reference_number")
    column_filters = ("month", "status", "kind", "issued_on")
    column_sortable_list = ("number", "month", "status", "total", "issued_on", "due_on")
    column_default_sort = [("month", True), ("id", True)]

    # An invoice is made by generation and changed only through its lifecycle, never by a form;
    # a draft is not deleted either, it is generated again.
    can_create = False
    can_edit = False
    can_delete = False

    def _handle_view(self, name, **kwargs):
        if name in self.write_methods and signed_in_roles():
            abort(403)
        return super()._handle_view(name, **kwargs)

    def may_confirm(self) -> bool:
        return bool(signed_in_roles() & CONFIRMERS)

    def _invoice(self, invoice_id: int) -> Invoice:
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is None:
            abort(404)
        return invoice

    def _run(self, step, invoice, done):
        """Run a lifecycle step; say what happened (``done``, or what ``done()`` says after it), or why not."""
        try:
            step(invoice, by=current_user._get_current_object())
        except RuleViolation as e:
            flash(" ".join(e.errors.values()), "error")
        else:
            flash(done() if callable(done) else done, "success")
        return redirect(url_for(".details_view", id=invoice.id))

    @shows_no_person
    @expose("/generate/", methods=("GET", "POST"))
    def generate_view(self):
        """Generate (or regenerate) the draft of a month."""
        if not self.may_write():
            abort(403)
        error = None
        value = request.form.get("month") or f"{last_month():%Y-%m}"
        if request.method == "POST":
            month = parse_month(value)
            if month is None:
                error = gettext("Give the month as a month and year, e.g. 10.2026.")
            elif (error := invoice_jobs.busy(month)) is None:
                if invoice_jobs.is_big(month):  # too long for a request: a job, whose progress is shown
                    download = invoice_jobs.start_generate(month)
                    return redirect(url_for("downloads.progress", download_id=download.id))
                try:
                    invoice = generate_invoice(month, by=current_user._get_current_object())
                except RuleViolation as e:
                    error = " ".join(e.errors.values())
                else:
                    flash(invoice_jobs.generated(month, invoice), "success")
                    return redirect(url_for(".details_view", id=invoice.id))
        return self.render("admin/invoice_generate.html", value=value, error=error)

    @shows_no_person
    @expose("/<int:invoice_id>/confirm/", methods=("POST",))
    def confirm_view(self, invoice_id):
        if not self.may_confirm():
            abort(403)
        invoice = self._invoice(invoice_id)
        if (elsewhere := invoice_jobs.confirm_in_background(invoice)) is not None:
            return elsewhere  # a job's progress, or why none may start
        return self._run(confirm_invoice, invoice, lambda: invoice_jobs.confirmed(invoice))

    @shows_no_person
    @expose("/<int:invoice_id>/sent/", methods=("POST",))
    def sent_view(self, invoice_id):
        if not self.may_write():
            abort(403)
        return self._run(mark_sent, self._invoice(invoice_id), gettext("Marked as sent to SKA."))

    @shows_no_person
    @expose("/<int:invoice_id>/paid/", methods=("POST",))
    def paid_view(self, invoice_id):
        if not self.may_write():
            abort(403)
        return self._run(mark_paid, self._invoice(invoice_id), gettext("Marked as paid."))

    @shows_no_person
    @expose("/<int:invoice_id>/credit/", methods=("POST",))
    def credit_view(self, invoice_id):
        if not self.may_write():
            abort(403)
        invoice = self._invoice(invoice_id)
        try:
            ids = [int(i) for i in request.form.getlist("line")]
            note = create_credit_note(invoice, ids, by=current_user._get_current_object())
        except ValueError:
            flash(gettext("Choose the lines to credit."), "error")
        except RuleViolation as e:
            flash(" ".join(e.errors.values()), "error")
        else:
            flash(gettext("Credit note drafted; the head of department confirms it."), "success")
            return redirect(url_for(".details_view", id=note.id))
        return redirect(url_for(".details_view", id=invoice.id))

    @logs_access
    @expose("/<int:invoice_id>/download/")
    def download_view(self, invoice_id):
        """The workbook, written while the request lasts, then sent from its file (no database work left)."""
        invoice = self._invoice(invoice_id)
        if limited_user_id() is not None:
            abort(403)  # the workbook names every client on the invoice; a case manager sees their own
        slot = export_slots.take(current_user.id)
        if slot is None:
            flash(export_slots.busy_message(), "error")
            return redirect(url_for(".details_view", id=invoice.id))
        try:
            name = workbook.filename(invoice)
            # The workbook names every client on the invoice: each of them was seen.
            note_seen_in(_clients_on(invoice), AccessKind.EXPORT, "invoice")
            file = workbook.written(invoice)
        except BaseException:
            slot.release()
            raise
        response = Response(
            export_slots.held(slot, FileWrapper(file, workbook.CHUNK)),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
        response.call_on_close(file.close)  # which deletes it
        response.call_on_close(slot.release)
        return response

    @logs_access  # the XML names no client; with the workbook attached (a setting) it logs them as seen
    @expose("/<int:invoice_id>/einvoice/")
    def einvoice_view(self, invoice_id):
        """The e-invoice (EN 16931 XML): once sent, the very bytes SKA received; before, built and
        checked now. A file that fails the check is never offered: the page says which rule or setting."""
        if not self.may_write():
            abort(403)
        invoice = self._invoice(invoice_id)
        kept = invoice.einvoice
        if kept is not None:
            content, name = db.session.scalar(sa.select(StoredFile.content).where(StoredFile.id == kept.id)), kept.name
        else:
            try:
                content, name = einvoice.build(invoice), einvoice.filename(invoice)
            except RuleViolation as e:
                for message in e.errors.values():
                    flash(message, "error")
                return redirect(url_for(".details_view", id=invoice.id))
        if current_app.config.get("EINVOICE_ATTACH_SPECIFICATION") and b"EmbeddedDocumentBinaryObject" in content:
            note_seen_in(_clients_on(invoice), AccessKind.EXPORT, "invoice")  # the workbook inside names them
        return send_download(content, name, einvoice_rules.XML_TYPE)

    def _bulk(self, ids, step, allowed: bool) -> int:
        """Run ``step`` on each chosen invoice; flash why any was refused; return how many went."""
        if not allowed:
            abort(403)
        done = 0
        for invoice in db.session.scalars(sa.select(Invoice).where(Invoice.id.in_([int(i) for i in ids]))).all():
            try:
                step(invoice, by=current_user._get_current_object())
                done += 1
            except RuleViolation as e:
                flash(f"{invoice}: {' '.join(e.errors.values())}", "error")
        return done

    @action("confirm", _l("Confirm"), _l("Confirm the chosen invoices? A confirmed invoice never changes."))
    def action_confirm(self, ids):
        if not self.may_confirm():
            abort(403)
        chosen = db.session.scalars(sa.select(Invoice).where(Invoice.id.in_([int(i) for i in ids]))).all()
        done = self._bulk([i.id for i in invoice_jobs.confirm_big_ones(chosen)], confirm_invoice, True)
        if done:
            flash(ngettext("%(num)s invoice confirmed.", "%(num)s invoices confirmed.", done), "success")

    @action("sent", _l("Mark sent"))
    def action_sent(self, ids):
        done = self._bulk(ids, mark_sent, self.may_write())
        if done:
            flash(ngettext("%(num)s invoice marked as sent.", "%(num)s invoices marked as sent.", done), "success")

    @action("paid", _l("Mark paid"))
    def action_paid(self, ids):
        done = self._bulk(ids, mark_paid, self.may_write())
        if done:
            flash(ngettext("%(num)s invoice marked as paid.", "%(num)s invoices marked as paid.", done), "success")

    def is_action_allowed(self, name):
        if name == "confirm":
            return self.may_confirm()
        if name in ("sent", "paid"):
            return self.may_write()
        if name == "delete":
            return False
        return super().is_action_allowed(name)

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self._details(kwargs["model"]))
        return super().render(template, **kwargs)

    def _details(self, invoice: Invoice) -> dict:
        """One page of the lines grouped by client (a search narrows the clients), totals per provider
        and per component area, history."""
        search = " ".join((request.args.get("q") or "").split())
        # The invoice's lines the signed-in user may see (a case manager: their own clients'; the
        # totals stay the invoice's), narrowed by the search to the clients it finds.
        narrowed = [InvoiceLine.invoice_id == invoice.id]
        found = found_by(search)
        if found:
            narrowed.append(InvoiceLine.client_id.in_(sa.select(Client.id).where(*found)))
        clients, line_total = db.session.execute(
            scoped(
                sa.select(sa.func.count(sa.distinct(InvoiceLine.client_id)), sa.func.count(InvoiceLine.id)),
                InvoiceLine,
            ).where(*narrowed)
        ).one()
        # The search on the client itself (not only inside the subquery), so that PostgreSQL finds
        # the few matching clients by their indexes rather than walking every client in name order.
        shown = sa.select(Client.id).where(
            *found, Client.id.in_(scoped(sa.select(InvoiceLine.client_id), InvoiceLine).where(*narrowed))
        )
        pages = max(1, -(-clients // self.clients_per_page))
        page = min(max(request.args.get("page", 1, type=int), 1), pages)
        # A page holds whole clients: the clients of the page first (by name), then all their lines.
        on_page = (
            shown.order_by(Client.last_name, Client.first_name, Client.id)
            .limit(self.clients_per_page)
            .offset((page - 1) * self.clients_per_page)
        )
        lines = db.session.scalars(
            scoped(sa.select(InvoiceLine), InvoiceLine)
            .join(Client, Client.id == InvoiceLine.client_id)
            .where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.client_id.in_(on_page.scalar_subquery()))
            .options(
                joinedload(InvoiceLine.client), joinedload(InvoiceLine.provider), joinedload(InvoiceLine.component)
            )
            .order_by(Client.last_name, Client.first_name, Client.id, InvoiceLine.id)
        ).all()
        # The page names the clients of these lines, and only they were seen.
        note_seen(sorted({line.client_id for line in lines}), AccessKind.DETAILS, "invoice", invoice.id)
        # Which of the page's lines a credit note reverses.
        credited = set()
        if lines:
            credited = set(
                db.session.scalars(
                    sa.select(InvoiceLine.credited_line_id).where(
                        InvoiceLine.credited_line_id.in_([line.id for line in lines])
                    )
                )
            )
        # A draft has no credit notes (only a confirmed invoice is credited), but may have a job under way.
        notes, working = [], None
        if not invoice.is_draft:
            notes = db.session.scalars(
                sa.select(Invoice).where(Invoice.credited_invoice_id == invoice.id).order_by(Invoice.id)
            ).all()
        elif invoice.kind == InvoiceKind.INVOICE:
            working = invoice_jobs.under_way(invoice.month)
        first = (page - 1) * self.clients_per_page
        return {
            "lines": lines,
            # In the order of the page (by name): Jinja's groupby would sort the groups by client id.
            "groups": [list(group) for _, group in groupby(lines, key=attrgetter("client_id"))],
            "credited": credited,
            "search": search,
            "page": page,
            "pages": pages,
            "client_count": clients,
            "line_count": line_total,
            "first_client": first + 1 if lines else 0,
            "last_client": first + len({line.client_id for line in lines}),
            "by_provider": totals_by(invoice.id, "provider"),
            "by_area": totals_by(invoice.id, "area"),
            "credit_notes": notes,
            "net_total": net_total(invoice) if invoice.kind == InvoiceKind.INVOICE else None,
            "stale": invoice.is_draft and invoice.kind == InvoiceKind.INVOICE and stale(invoice),
            "quantity": format_quantity,
            "einvoice": invoice.einvoice,
            "attach_specification": bool(current_app.config.get("EINVOICE_ATTACH_SPECIFICATION")),
            "may_confirm": self.may_confirm(),
            "under_way": working,
            "may_write": self.may_write(),
            "InvoiceStatus": InvoiceStatus,
            "InvoiceKind": InvoiceKind,
        }


def _clients_on(invoice: Invoice):
    """The clients named on ``invoice``, once each, as (client_id, record_id = the invoice's id)."""
    query = sa.select(InvoiceLine.client_id.label("client_id"), sa.literal(invoice.id).label("record_id"))
    return query.where(InvoiceLine.invoice_id == invoice.id).distinct()


def register(admin) -> None:
    admin.add_view(
        InvoiceView(Invoice, db, name=_l("Invoices"), endpoint="invoices", url="invoices", category=_l("Invoicing"))
    )
