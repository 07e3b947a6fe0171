"""A failure in the middle of a multi-step change leaves nothing half-done: no invoice number
consumed, no delivery locked, no draft left behind. The failure is injected at the last moment,
as the change is being committed, on SQLite and PostgreSQL."""

from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Invoice, InvoiceLine, InvoiceStatus, ServiceDelivery, confirm_invoice, generate_invoice
from models.invoices import InvoiceCounter
from models.invoicing import stale
from tests.deliveries import MONTH, create_delivery, setting

CONFIRMED_ON = date(2026, 10, 5)


class DiskFull(Exception):
    """Stands for whatever can go wrong while a change is being written."""


@contextmanager
def failing_commit():
    """Every commit in the block fails after the change's statements have all run."""

    def fail(session):
        raise DiskFull("injected")

    sa.event.listen(Session, "before_commit", fail)
    try:
        yield
    finally:
        sa.event.remove(Session, "before_commit", fail)


def _fresh(ctx):
    ctx.session.rollback()
    ctx.session.expire_all()


def test_a_failed_confirmation_consumes_no_number_and_locks_nothing(ctx):
    provider, component, client = setting()
    delivery = create_delivery(provider=provider, component=component, client=client)
    invoice = generate_invoice(MONTH)
    with failing_commit(), pytest.raises(DiskFull):
        confirm_invoice(invoice, today=CONFIRMED_ON)
    _fresh(ctx)
    invoice = ctx.session.get(Invoice, invoice.id)
    assert invoice.status == InvoiceStatus.DRAFT and invoice.number is None and invoice.sequence is None
    assert [e.status for e in invoice.events] == [InvoiceStatus.DRAFT]
    assert not ctx.session.get(ServiceDelivery, delivery.id).locked
    assert ctx.session.get(ServiceDelivery, delivery.id).invoice is None
    assert not ctx.session.scalar(sa.select(InvoiceCounter.last_number).where(InvoiceCounter.year == 2026))
    # When it works the next time, the number is the first of the year: none was lost.
    assert confirm_invoice(invoice, today=CONFIRMED_ON).number == "2026-0001"


def test_a_failed_generation_leaves_no_draft_and_no_delivery_taken(ctx):
    provider, component, client = setting()
    delivery = create_delivery(provider=provider, component=component, client=client)
    with failing_commit(), pytest.raises(DiskFull):
        generate_invoice(MONTH)
    _fresh(ctx)
    assert ctx.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0
    assert ctx.session.scalar(sa.select(sa.func.count(InvoiceLine.id))) == 0
    delivery = ctx.session.get(ServiceDelivery, delivery.id)
    assert delivery.invoice is None
    assert generate_invoice(MONTH).total > 0


def test_a_failed_regeneration_keeps_the_draft_as_it_was(ctx):
    provider, component, client = setting()
    first = create_delivery(provider=provider, component=component, client=client)
    draft = generate_invoice(MONTH)
    total, lines = draft.total, [line.id for line in draft.lines]
    create_delivery(provider=provider, component=component, client=client, day=MONTH.replace(day=2))
    with failing_commit(), pytest.raises(DiskFull):
        generate_invoice(MONTH)
    _fresh(ctx)
    draft = ctx.session.get(Invoice, draft.id)
    assert draft.total == total and [line.id for line in draft.lines] == lines
    # So it is stale: the delivery added before the failed regeneration is still not on it.
    assert stale(draft) and ctx.session.get(ServiceDelivery, first.id).invoice is None
