"""The invoice's life: generate a month's draft, confirm it with a number, send, pay, credit.

Each function here owns its transaction: it commits when all is well and rolls back and
raises ``RuleViolation`` (a message for the user) when a rule says no.
"""

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from .base import RuleViolation, db
from .catalogue import ServiceComponent
from .clients import Client, TargetGroup
from .deliveries import ServiceDelivery
from .invoices import (
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    month_end,
    month_start,
    record,
    reference_number,
)
from .providers import Provider
from .users import User

D = ServiceDelivery
L = InvoiceLine
# What makes a line: deliveries of one component to one client by one provider at one price.
LINE_KEYS = ("client_id", "provider_id", "component_id", "mode", "unit_price")


@contextmanager
def _transaction():
    """Commit when the block succeeds; roll back everything when it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _refuse(message) -> None:
    raise RuleViolation({"invoice": str(message)})


def _payable(first: date):
    """The deliveries SKA pays for in the month starting on ``first``: the pilot's participants'."""
    pilot = sa.select(Client.id).where(Client.target_group == TargetGroup.PILOT)
    return sa.and_(D.delivered_on.between(first, month_end(first)), D.client_id.in_(pilot))


def generate_invoice(month: date, by: User | None = None) -> Invoice:
    """Make (or make again) the draft invoice of ``month`` from every payable delivery of that
    month not yet on an invoice, in set-based statements: no loop over deliveries."""
    first = month_start(month)
    label = f"{first:%m.%Y}"
    with _transaction():
        invoice = db.session.scalars(
            sa.select(Invoice).where(Invoice.kind == InvoiceKind.INVOICE, Invoice.month == first).with_for_update()
        ).one_or_none()
        if invoice is not None and not invoice.is_draft:
            _refuse(_l("%(month)s is already invoiced (%(number)s).", month=label, number=invoice.number))
        if first > month_start(date.today()):
            _refuse(_l("%(month)s has not begun; it cannot be invoiced yet.", month=label))
        if invoice is None:
            invoice = Invoice(kind=InvoiceKind.INVOICE, month=first)
            record(invoice, InvoiceStatus.DRAFT, by, note="generated")
            db.session.add(invoice)
            db.session.flush()
        else:
            # Regenerating: free the deliveries of the old draft and drop its lines.
            db.session.execute(
                sa.update(D).where(D.invoice_id == invoice.id).values(invoice_id=None, line_id=None),
                execution_options={"synchronize_session": False},
            )
            db.session.execute(sa.delete(L).where(L.invoice_id == invoice.id))
            record(invoice, InvoiceStatus.DRAFT, by, note="regenerated")
        picked = db.session.execute(
            sa.update(D).where(_payable(first), D.invoice_id.is_(None)).values(invoice_id=invoice.id),
            execution_options={"synchronize_session": False},
        ).rowcount
        if not picked:
            _refuse(_l("There are no payable deliveries in %(month)s that are not yet invoiced.", month=label))
        keys = [getattr(D, k) for k in LINE_KEYS]
        db.session.execute(
            sa.insert(L).from_select(
                ["invoice_id", *LINE_KEYS, "quantity", "amount", "delivery_count"],
                sa.select(
                    sa.literal(invoice.id, sa.Integer),
                    *keys,
                    sa.func.sum(D.quantity),
                    sa.func.sum(D.amount),
                    sa.func.count(D.id),
                )
                .where(D.invoice_id == invoice.id)
                .group_by(*keys),
            )
        )
        line_of = (
            sa.select(L.id)
            .where(L.invoice_id == invoice.id, *[getattr(L, k) == getattr(D, k) for k in LINE_KEYS])
            .scalar_subquery()
        )
        db.session.execute(
            sa.update(D).where(D.invoice_id == invoice.id).values(line_id=line_of),
            execution_options={"synchronize_session": False},
        )
        _update_total(invoice)
    db.session.expire_all()
    return invoice


def _update_total(invoice: Invoice) -> None:
    total = sa.select(sa.func.coalesce(sa.func.sum(L.amount), 0)).where(L.invoice_id == invoice.id).scalar_subquery()
    db.session.execute(sa.update(Invoice).where(Invoice.id == invoice.id).values(total=total))
    db.session.expire(invoice)


def stale(invoice: Invoice) -> bool:
    """True when the month's deliveries changed after the draft was made (regenerate it first)."""
    on_draft = sa.or_(D.invoice_id.is_(None), D.invoice_id == invoice.id)
    now = db.session.execute(
        sa.select(sa.func.count(D.id), sa.func.coalesce(sa.func.sum(D.amount), 0)).where(
            _payable(invoice.month), on_draft
        )
    ).one()
    then = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(L.delivery_count), 0), sa.func.coalesce(sa.func.sum(L.amount), 0)).where(
            L.invoice_id == invoice.id
        )
    ).one()
    moved = db.session.scalar(
        sa.select(sa.func.count(D.id)).where(D.invoice_id == invoice.id, sa.not_(_payable(invoice.month)))
    )
    unlinked = db.session.scalar(sa.select(sa.func.count(D.id)).where(_payable(invoice.month), D.invoice_id.is_(None)))
    return (now[0], Decimal(now[1])) != (then[0], Decimal(then[1])) or bool(moved) or bool(unlinked)


def _next_number(year: int) -> int:
    """The next number of ``year``'s gap-free sequence. The counter row stays locked by the
    UPDATE until the transaction ends, so concurrent confirmations queue for it."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(InvoiceCounter).values(year=year, last_number=0).on_conflict_do_nothing())
    return db.session.execute(
        sa.update(InvoiceCounter)
        .where(InvoiceCounter.year == year)
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
    ).scalar_one()


def confirm_invoice(invoice: Invoice, by: User | None = None, today: date | None = None) -> Invoice:
    """Kinnitamine: number the draft from the year's sequence, give it a viitenumber and a due
    date; its deliveries are locked from now on."""
    today = today or date.today()
    with _transaction():
        db.session.refresh(invoice, with_for_update=True)
        if not invoice.is_draft:
            _refuse(_l("Invoice %(number)s is already confirmed.", number=invoice.number))
        if not invoice.lines:
            _refuse(_l("An invoice without lines cannot be confirmed."))
        if invoice.kind == InvoiceKind.INVOICE and stale(invoice):
            _refuse(_l("The deliveries of this month changed after the draft was made; generate it again first."))
        sequence = _next_number(today.year)
        invoice.year, invoice.sequence = today.year, sequence
        invoice.number = f"{today.year}-{sequence:04d}"
        invoice.reference_number = reference_number(f"{today.year}{sequence:04d}")
        invoice.issued_on = today
        invoice.due_on = today + timedelta(days=current_app.config["INVOICE_PAYMENT_DAYS"])
        record(invoice, InvoiceStatus.CONFIRMED, by)
    return invoice


def mark_sent(invoice: Invoice, by: User | None = None) -> Invoice:
    """Saadetud: the confirmed invoice went to SKA."""
    return _advance(invoice, InvoiceStatus.CONFIRMED, InvoiceStatus.SENT, by)


def mark_paid(invoice: Invoice, by: User | None = None) -> Invoice:
    """Tasutud: SKA paid (or, for a credit note, settled) it."""
    return _advance(invoice, InvoiceStatus.SENT, InvoiceStatus.PAID, by)


def _advance(invoice: Invoice, before: InvoiceStatus, after: InvoiceStatus, by: User | None) -> Invoice:
    with _transaction():
        db.session.refresh(invoice, with_for_update=True)
        if invoice.status != before:
            _refuse(
                _l(
                    "%(invoice)s is %(status)s; only a %(before)s invoice can become %(after)s.",
                    invoice=invoice,
                    status=invoice.status.label,
                    before=before.label,
                    after=after.label,
                )
            )
        record(invoice, after, by)
    return invoice


def create_credit_note(invoice: Invoice, line_ids, by: User | None = None) -> Invoice:
    """Kreeditarve: a draft that reverses the chosen lines of a confirmed invoice, amounts negative."""
    line_ids = sorted({int(i) for i in line_ids})
    with _transaction():
        if invoice.is_draft or invoice.kind != InvoiceKind.INVOICE:
            _refuse(_l("Only a confirmed invoice can be credited; a draft is simply generated again."))
        if not line_ids:
            _refuse(_l("Choose the lines to credit."))
        found = db.session.scalar(sa.select(sa.func.count(L.id)).where(L.id.in_(line_ids), L.invoice_id == invoice.id))
        if found != len(line_ids):
            _refuse(_l("Some of the chosen lines are not on invoice %(number)s.", number=invoice.number))
        credited = db.session.scalar(sa.select(sa.func.count(L.id)).where(L.credited_line_id.in_(line_ids)))
        if credited:
            _refuse(_l("%(n)s of the chosen lines have already been credited.", n=credited))
        note = Invoice(kind=InvoiceKind.CREDIT_NOTE, month=invoice.month, credited_invoice_id=invoice.id)
        record(note, InvoiceStatus.DRAFT, by, note=f"credits {invoice.number}")
        db.session.add(note)
        db.session.flush()
        db.session.execute(
            sa.insert(L).from_select(
                ["invoice_id", *LINE_KEYS, "quantity", "amount", "delivery_count", "credited_line_id"],
                sa.select(
                    sa.literal(note.id, sa.Integer),
                    *[getattr(L, k) for k in LINE_KEYS],
                    -L.quantity,
                    -L.amount,
                    L.delivery_count,
                    L.id,
                ).where(L.id.in_(line_ids)),
            )
        )
        _update_total(note)
    return note


def net_total(invoice: Invoice) -> Decimal:
    """The invoice's total less its confirmed credit notes."""
    credits = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Invoice.total), 0)).where(
            Invoice.credited_invoice_id == invoice.id, Invoice.status != InvoiceStatus.DRAFT
        )
    )
    return Decimal(invoice.total) + Decimal(credits)


def totals_by(invoice_id: int, group: str) -> list[tuple[str, Decimal]]:
    """The invoice's totals per ``provider`` or per component ``area``, largest first, in one query."""
    if group == "provider":
        key, join = Provider.name, (Provider, Provider.id == L.provider_id)
    else:
        key, join = ServiceComponent.area, (ServiceComponent, ServiceComponent.id == L.component_id)
    rows = db.session.execute(
        sa.select(key, sa.func.sum(L.quantity), sa.func.sum(L.amount))
        .join(*join)
        .where(L.invoice_id == invoice_id)
        .group_by(key)
        .order_by(sa.func.sum(L.amount).desc(), key)
    ).all()
    return [(name, Decimal(quantity), Decimal(amount)) for name, quantity, amount in rows]
