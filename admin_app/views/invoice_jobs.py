"""Generating and confirming a big month's invoice as background jobs (issue 17): a month with more
payable deliveries than ``BACKGROUND_INVOICE_DELIVERIES`` is grouped or linked by a job whose
progress the user follows under "My downloads", never by a request a web worker's timeout can cut.

The job runs as the user who asked (their rights are checked again when it starts, and the audit
names them) and ends with the very sentence the request would have flashed, linking to the invoice;
a refusal of the rules (the month changed, already confirmed) is the job's error, in the same words.
While one job of a month is waiting or running, a second (to generate or confirm it again) is refused."""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, flash, redirect, url_for
from flask_babel import gettext
from flask_login import current_user

from models import Download, DownloadStatus, Invoice, InvoiceKind, RuleViolation, confirm_invoice, db, generate_invoice
from models.base import utcnow
from models.invoicing import deliveries_to_invoice, line_count

from ..background import JobOutcome, job, start_job

GENERATE, CONFIRM = "invoice-generate", "invoice-confirm"


def is_big(month: date) -> bool:
    """True when generating or confirming ``month`` is too long for a request."""
    return deliveries_to_invoice(month) > current_app.config["BACKGROUND_INVOICE_DELIVERIES"]


def _key(month: date) -> str:
    return f"{month:%Y-%m}"


def under_way(month: date) -> Download | None:
    """The job generating or confirming the invoice of ``month`` that is waiting or running, if any.
    One older than the job timeout is taken for dead (its worker was stopped) and blocks nothing."""
    since = utcnow() - timedelta(seconds=current_app.config["BACKGROUND_JOB_TIMEOUT"])
    jobs = db.session.scalars(
        sa.select(Download)
        .where(
            Download.kind.in_((GENERATE, CONFIRM)),
            Download.status.in_((DownloadStatus.QUEUED.value, DownloadStatus.RUNNING.value)),
            Download.created_at > since,
        )
        .order_by(Download.id)
    ).all()
    return next((d for d in jobs if (d.params or {}).get("month") == _key(month)), None)


def busy(month: date) -> str | None:
    """Why no invoice work on ``month`` may start now (one is under way), or None. On PostgreSQL the
    month stays locked until the request's transaction ends (``start_job`` commits it), so two clicks
    at the same moment still make one job."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(0x4A55, month.year * 100 + month.month)))
    running = under_way(month)
    if running is None:
        return None
    who, label = running.owner.full_name or running.owner.email, f"{month:%m.%Y}"
    if running.kind == CONFIRM:
        return gettext(
            "The invoice of %(month)s is already being confirmed (asked by %(who)s); wait until it is done.",
            month=label,
            who=who,
        )
    return gettext(
        "The invoice of %(month)s is already being generated (asked by %(who)s); wait until it is done.",
        month=label,
        who=who,
    )


def generated(month: date, invoice: Invoice) -> str:
    """What generating the draft of ``month`` says, on the page or as the job's outcome."""
    return gettext(
        "Draft invoice for %(month)s made: %(lines)s lines, %(total)s €.",
        month=f"{month:%m.%Y}",
        lines=line_count(invoice),
        total=invoice.total,
    )


def confirmed(invoice: Invoice) -> str:
    """What confirming ``invoice`` says, on the page or as the job's outcome."""
    return gettext("%(invoice)s confirmed.", invoice=invoice)


def start_generate(month: date) -> Download:
    return start_job(
        GENERATE,
        title=gettext("Generating the invoice of %(month)s", month=f"{month:%m.%Y}"),
        params={"month": _key(month)},
        rows_total=deliveries_to_invoice(month),
    )


def start_confirm(invoice: Invoice) -> Download:
    return start_job(
        CONFIRM,
        title=gettext("Confirming the invoice of %(month)s", month=f"{invoice.month:%m.%Y}"),
        params={"month": _key(invoice.month), "invoice_id": invoice.id},
        rows_total=deliveries_to_invoice(invoice.month),
    )


def confirm_in_background(invoice: Invoice):
    """Where to go when the confirmation of ``invoice`` cannot be done by this request: to its job's
    progress when its month is big, back to it when invoice work on its month is under way; else None."""
    if invoice.kind != InvoiceKind.INVOICE or not invoice.is_draft:
        return None
    refused = busy(invoice.month)
    if refused:
        flash(refused, "error")
        return redirect(url_for("invoices.details_view", id=invoice.id))
    if is_big(invoice.month):
        return redirect(url_for("downloads.progress", download_id=start_confirm(invoice).id))
    return None


def confirm_big_ones(invoices: list[Invoice]) -> list[Invoice]:
    """Of the invoices chosen in the list, start a job for each big draft (or say why not, if one of
    its month is under way) and give back the others, which are confirmed at once."""
    rest = []
    for invoice in invoices:
        if invoice.kind != InvoiceKind.INVOICE or not invoice.is_draft or not is_big(invoice.month):
            rest.append(invoice)
        elif refused := busy(invoice.month):
            flash(refused, "error")
        else:
            start_confirm(invoice)
            flash(
                gettext("%(invoice)s is being confirmed in the background: see My downloads.", invoice=invoice), "info"
            )
    return rest


def _invoices_view():
    admin = current_app.extensions["admin"][0]
    return next(v for v in admin._views if v.endpoint == "invoices")


def _refused(error: RuleViolation) -> ValueError:
    return ValueError(" ".join(str(message) for message in error.errors.values()))


@job(GENERATE)
def _generate(download: Download, path: str, report) -> JobOutcome:
    if not _invoices_view().may_write():
        raise PermissionError(gettext("%(who)s may no longer generate invoices.", who=current_user.email))
    month = date.fromisoformat(download.params["month"] + "-01")
    try:
        invoice = generate_invoice(month, by=current_user._get_current_object())
    except RuleViolation as e:
        raise _refused(e) from None
    report(download.rows_total)
    return JobOutcome(
        download.rows_total,
        message=generated(month, invoice),
        result_url=url_for("invoices.details_view", id=invoice.id),
    )


@job(CONFIRM)
def _confirm(download: Download, path: str, report) -> JobOutcome:
    if not _invoices_view().may_confirm():
        raise PermissionError(gettext("%(who)s may no longer confirm invoices.", who=current_user.email))
    invoice = db.session.get(Invoice, download.params["invoice_id"])
    if invoice is None:
        raise LookupError(gettext("The invoice no longer exists."))
    try:
        confirm_invoice(invoice, by=current_user._get_current_object())
    except RuleViolation as e:
        raise _refused(e) from None
    report(download.rows_total)
    return JobOutcome(
        download.rows_total,
        message=confirmed(invoice),
        result_url=url_for("invoices.details_view", id=invoice.id),
    )
