"""Koondarved: the monthly consolidated invoice to SKA, its lines, credit notes and history."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .catalogue import Area, PriceMode, ServiceComponent
from .clients import Client
from .files import StoredFile
from .providers import Provider
from .users import User


class InvoiceKind(Choice):
    INVOICE = "invoice", _l("Invoice")
    CREDIT_NOTE = "credit_note", _l("Credit note")


class InvoiceStatus(Choice):
    DRAFT = "draft", _l("Draft")
    CONFIRMED = "confirmed", _l("Confirmed")
    SENT = "sent", _l("Sent")
    PAID = "paid", _l("Paid")


class Invoice(Versioned, db.Model):
    """Koondarve (or kreeditarve): one month's consolidated invoice to SKA."""

    __tablename__ = "invoice"
    __table_args__ = (
        choice_check("kind", InvoiceKind),
        choice_check("status", InvoiceStatus),
        sa.UniqueConstraint("year", "sequence", name="uq_invoice_year_sequence"),
        sa.CheckConstraint("status = 'draft' OR number IS NOT NULL", name="numbered_when_confirmed"),
        sa.CheckConstraint("kind = 'invoice' OR credited_invoice_id IS NOT NULL", name="credit_note_refers"),
        # One invoice per month (a draft is regenerated in place); credit notes come on top.
        sa.Index(
            "uq_invoice_one_per_month",
            "month",
            unique=True,
            sqlite_where=sa.text("kind = 'invoice'"),
            postgresql_where=sa.text("kind = 'invoice'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvoiceKind] = mapped_column(ChoiceType(InvoiceKind), default=InvoiceKind.INVOICE, index=True)
    # The first day of the month invoiced.
    month: Mapped[date] = mapped_column(index=True)
    status: Mapped[InvoiceStatus] = mapped_column(ChoiceType(InvoiceStatus), default=InvoiceStatus.DRAFT, index=True)
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    year: Mapped[int | None]
    sequence: Mapped[int | None]
    reference_number: Mapped[str | None] = mapped_column(sa.String(20))
    issued_on: Mapped[date | None] = mapped_column(index=True)
    due_on: Mapped[date | None] = mapped_column(index=True)
    total: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=0, index=True)
    # The month's change counter (DeliveryMonth.changes) read when this draft's lines were written.
    generated_changes: Mapped[int | None]
    credited_invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoice.id"), index=True)
    credited_invoice: Mapped["Invoice | None"] = relationship(remote_side=[id])
    # The exact e-invoice (XML) SKA was sent, kept when the invoice was marked sent.
    einvoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id"), index=True)
    einvoice: Mapped[StoredFile | None] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="InvoiceLine.invoice_id",
    )
    events: Mapped[list["InvoiceEvent"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", passive_deletes=True, order_by="InvoiceEvent.at"
    )

    def __str__(self) -> str:
        label = self.number or str(_l("draft"))
        return f"{self.kind.label if self.kind else ''} {label} ({self.month:%m.%Y})".strip()

    @property
    def is_draft(self) -> bool:
        return self.status in (None, InvoiceStatus.DRAFT)

    @property
    def period_end(self) -> date:
        """The last day of the month invoiced."""
        return month_end(self.month)


class InvoiceLine(db.Model):
    """A line of an invoice: one client's deliveries of one component by one provider at one price."""

    __tablename__ = "invoice_line"
    __table_args__ = (
        choice_check("mode", PriceMode),
        # An invoice's lines, and a line by its key (regenerating a draft matches groups to lines):
        # the index of the foreign key invoice_id too, as it leads.
        sa.Index("ix_invoice_line_key", "invoice_id", "client_id", "provider_id", "component_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoice.id", ondelete="CASCADE"))
    invoice: Mapped[Invoice] = relationship(back_populates="lines", foreign_keys=[invoice_id])
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"), index=True)
    client: Mapped[Client] = relationship()
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    provider: Mapped[Provider] = relationship()
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("service_component.id"), index=True)
    component: Mapped[ServiceComponent] = relationship()
    mode: Mapped[PriceMode] = mapped_column(ChoiceType(PriceMode))
    unit_price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    delivery_count: Mapped[int] = mapped_column(default=0)
    # On a credit note: the line it reverses. Unique, so a line is never credited twice.
    credited_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoice_line.id"), unique=True)

    def __str__(self) -> str:
        return f"{self.client} – {self.component}: {self.amount} €"


class InvoiceEvent(db.Model):
    """A state change of an invoice: what it became, when and by whom."""

    __tablename__ = "invoice_event"
    __table_args__ = (choice_check("status", InvoiceStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    invoice: Mapped[Invoice] = relationship(back_populates="events")
    status: Mapped[InvoiceStatus] = mapped_column(ChoiceType(InvoiceStatus))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    by: Mapped[User | None] = relationship()
    note: Mapped[str | None] = mapped_column(sa.String(200))

    def __str__(self) -> str:
        return f"{self.status.label}: {self.at:%d.%m.%Y %H:%M} {self.by or ''}".strip()


class InvoiceCounter(db.Model):
    """The last invoice number given in a year: the row is locked while a number is taken."""

    __tablename__ = "invoice_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class DeliveryMonth(db.Model):
    """How many times the deliveries of a month changed: a counter the database's triggers raise in
    the same transaction as every insert, update or delete of a delivery of the month, and as a
    client's change of target group (which makes their deliveries payable or not). A draft that
    was generated at the counter it still shows is exactly its deliveries."""

    __tablename__ = "delivery_month"

    month: Mapped[date] = mapped_column(primary_key=True)
    changes: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    def __str__(self) -> str:
        return f"{self.month:%m.%Y}: {self.changes}"


class InvoiceTotal(db.Model):
    """An invoice's total per provider or per component area, written with its lines (a national
    month's 80,000 lines are not summed again on every view)."""

    __tablename__ = "invoice_total"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    area: Mapped[Area | None] = mapped_column(ChoiceType(Area))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))

    def __str__(self) -> str:
        return f"{self.area or self.provider_id}: {self.amount} €"


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def parse_month(text: str | None) -> date | None:
    """The first day of a month given as 2026-10 (a month picker) or 10.2026 (typed)."""
    text = (text or "").strip()
    for pattern, year_first in ((r"(\d{4})-(\d{1,2})", True), (r"(\d{1,2})[./](\d{4})", False)):
        match = re.fullmatch(pattern, text)
        if match:
            a, b = (int(g) for g in match.groups())
            year, month = (a, b) if year_first else (b, a)
            if 1 <= month <= 12 and 2000 <= year <= 2100:
                return date(year, month, 1)
    return None


def last_month(today: date | None = None) -> date:
    """The first day of the month before ``today``'s (the month an office invoices)."""
    today = today or date.today()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def invoiced_month(day: date) -> str | None:
    """The number of the confirmed invoice covering ``day``'s month, if there is one."""
    query = sa.select(Invoice.number).where(
        Invoice.kind == InvoiceKind.INVOICE,
        Invoice.month == month_start(day),
        Invoice.status != InvoiceStatus.DRAFT,
    )
    with db.session.no_autoflush:
        return db.session.scalar(query)


def reference_check_digit(base: str) -> str:
    """The 7-3-1 check digit of an Estonian reference number (viitenumber)."""
    if not base.isdigit():
        raise ValueError("a reference number is made of digits")
    weights = (7, 3, 1)
    total = sum(int(digit) * weights[i % 3] for i, digit in enumerate(reversed(base)))
    return str(-total % 10)


def reference_number(base: str) -> str:
    """Viitenumber: ``base`` followed by its 7-3-1 check digit."""
    return base + reference_check_digit(base)


def valid_reference_number(value: str) -> bool:
    """True for a 2-20 digit viitenumber whose last digit is its 7-3-1 check digit."""
    value = (value or "").replace(" ", "")
    return value.isdigit() and 2 <= len(value) <= 20 and reference_check_digit(value[:-1]) == value[-1]


def record(invoice: Invoice, status: InvoiceStatus, by: User | None, note: str | None = None) -> None:
    """Put ``invoice`` into ``status`` and note who did it and when."""
    invoice.status = status
    invoice.events.append(InvoiceEvent(status=status, at=datetime.now(UTC), by=by, note=note))
