"""Invoice numbers stay gap-free and unique when heads confirm at the same moment: real sessions
in real threads on PostgreSQL (SQLite allows one writer at a time, so there is no race to test)."""

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from models import Invoice, RuleViolation, confirm_invoice, db, generate_invoice
from models.invoices import InvoiceCounter
from tests.deliveries import create_delivery, setting


def _race(app, invoice_ids, today=date(2026, 10, 5)):
    """Confirm each invoice in its own thread and session, all released together."""
    barrier = threading.Barrier(len(invoice_ids))
    results: dict[int, object] = {}

    def confirm(n, invoice_id):
        with app.app_context():
            invoice = db.session.get(Invoice, invoice_id)
            barrier.wait()
            try:
                results[n] = confirm_invoice(invoice, today=today).number
            except RuleViolation as e:
                results[n] = e
            finally:
                db.session.remove()

    threads = [threading.Thread(target=confirm, args=(n, i)) for n, i in enumerate(invoice_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return [results[n] for n in range(len(invoice_ids))]


@pytest.fixture
def drafts(app):
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    with app.app_context():
        provider, component, client = setting()
        ids = []
        for month in range(1, 9):
            create_delivery(provider=provider, component=component, client=client, day=date(2026, month, 10))
            ids.append(generate_invoice(date(2026, month, 1)).id)
        db.session.remove()
    return ids


def test_concurrent_confirmations_get_distinct_consecutive_numbers(app, drafts):
    numbers = _race(app, drafts)
    assert sorted(numbers) == [f"2026-{n:04d}" for n in range(1, 9)]
    with app.app_context():
        assert db.session.get(InvoiceCounter, 2026).last_number == 8


def test_the_same_draft_confirmed_twice_at_once_is_numbered_once(app, drafts):
    outcome = _race(app, [drafts[0], drafts[0]])
    numbers = [o for o in outcome if isinstance(o, str)]
    refused = [o for o in outcome if isinstance(o, RuleViolation)]
    assert numbers == ["2026-0001"] and len(refused) == 1
    with app.app_context():
        assert db.session.get(InvoiceCounter, 2026).last_number == 1
        assert db.session.scalar(sa.select(sa.func.count(Invoice.id)).where(Invoice.number.is_not(None))) == 1
