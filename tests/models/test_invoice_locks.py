"""Which deliveries a confirmed invoice bills, and that they never change: confirming writes no row
per delivery (a delivery's invoice is its month's confirmed invoice with a line of its key), so the
lock must hold for every writer, the database's own triggers included, and a change written while
the month is being confirmed must not slip past the check."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.exc import DBAPIError

from models import (
    Invoice,
    InvoiceStatus,
    RuleViolation,
    ServiceDelivery,
    confirm_invoice,
    db,
    delivery_errors,
    generate_invoice,
)
from tests.deliveries import MONTH, active_client, create_delivery, setting

CONFIRMED_ON = date(2026, 10, 5)


@pytest.fixture
def ctx(ctx):
    with force_locale("en"):
        yield ctx


def _confirmed_month():
    """A confirmed September: a pilot client's two deliveries on it, a youth client's not."""
    provider, component, client = setting(price="10.00")
    youth = active_client(target_group="youth")
    made = dict(provider=provider, component=component)
    billed = [create_delivery(**made, client=client, day=MONTH.replace(day=d), quantity="2") for d in (3, 4)]
    other = create_delivery(**made, client=youth, day=MONTH.replace(day=5), quantity="1")
    invoice = confirm_invoice(generate_invoice(MONTH), today=CONFIRMED_ON)
    return invoice, billed, other, made


def _raw(statement: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def test_a_confirmed_invoice_bills_its_lines_deliveries_and_no_other(ctx):
    invoice, billed, other, _ = _confirmed_month()
    ctx.session.expire_all()
    assert [ctx.session.get(ServiceDelivery, d.id).invoice for d in billed] == [invoice, invoice]
    assert all(ctx.session.get(ServiceDelivery, d.id).locked for d in billed)
    not_billed = ctx.session.get(ServiceDelivery, other.id)
    assert not_billed.invoice is None and not not_billed.locked
    on_it = sa.select(ServiceDelivery.id).where(ServiceDelivery.invoice.has(id=invoice.id))
    assert sorted(ctx.session.scalars(on_it)) == sorted(d.id for d in billed)


def test_who_takes_part_later_does_not_change_what_a_confirmed_invoice_billed(ctx):
    invoice, billed, other, _ = _confirmed_month()
    billed[0].client.target_group = "youth"  # left the pilot after September was invoiced
    other.client.target_group = "pilot"  # joined it
    ctx.session.commit()
    ctx.session.expire_all()
    assert ctx.session.get(ServiceDelivery, billed[0].id).invoice == invoice
    assert ctx.session.get(ServiceDelivery, other.id).invoice is None


def test_a_delivery_not_on_the_invoice_may_still_be_deleted(ctx):
    _, _, other, _ = _confirmed_month()
    ctx.session.delete(other)
    ctx.session.commit()
    assert ctx.session.get(ServiceDelivery, other.id) is None


def test_the_form_s_rules_and_the_orm_refuse_a_change_naming_the_invoice(ctx):
    invoice, billed, _, _ = _confirmed_month()
    number = invoice.number
    delivery = ctx.session.get(ServiceDelivery, billed[0].id)
    delivery.quantity = Decimal("5")
    assert delivery_errors(delivery) == {"quantity": f"This delivery is on invoice {number} and can no longer change."}
    with pytest.raises(RuleViolation, match=number):
        ctx.session.commit()
    ctx.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE service_delivery SET quantity = 9, amount = 90 WHERE id = :billed",
        "UPDATE service_delivery SET delivered_on = '2026-08-31' WHERE id = :billed",
        "DELETE FROM service_delivery WHERE id = :billed",
        # A copy of a billed delivery would be billed too: its line's figures would no longer be true.
        "INSERT INTO service_delivery (client_id, provider_id, component_id, mode, delivered_on, quantity, "
        "unit_price, amount, version) SELECT client_id, provider_id, component_id, mode, delivered_on, quantity, "
        "unit_price, amount, 1 FROM service_delivery WHERE id = :billed",
        # A youth client's delivery given the pilot client's key, into the billed line.
        "UPDATE service_delivery SET client_id = (SELECT client_id FROM service_delivery WHERE id = :billed) "
        "WHERE id = :other",
    ],
    ids=["quantity", "moved out", "deleted", "copied in", "given a billed key"],
)
def test_the_database_refuses_a_change_of_a_billed_delivery_whoever_writes(ctx, statement):
    invoice, billed, other, _ = _confirmed_month()
    before = sorted(
        ctx.session.execute(sa.select(ServiceDelivery.id, ServiceDelivery.quantity, ServiceDelivery.client_id)).all()
    )
    with pytest.raises((DBAPIError, sa.exc.IntegrityError)) as refused:
        _raw(statement, billed=billed[0].id, other=other.id)
    assert "can no longer change" in str(refused.value)
    ctx.session.expire_all()
    after = sorted(
        ctx.session.execute(sa.select(ServiceDelivery.id, ServiceDelivery.quantity, ServiceDelivery.client_id)).all()
    )
    assert after == before


def test_a_change_written_while_the_month_is_being_confirmed_is_caught(app):
    """A delivery added to the month in a transaction still open when the head confirms: the
    confirmation waits for it, then sees the month's counter moved and refuses; the draft is not
    confirmed over a delivery its lines do not have."""
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    with app.app_context(), force_locale("en"):
        provider, component, client = setting(price="10.00")
        create_delivery(provider=provider, component=component, client=client, quantity="2")
        draft = generate_invoice(MONTH)
        draft_id = draft.id
        row = sa.text(
            "INSERT INTO service_delivery (client_id, provider_id, component_id, mode, delivered_on, quantity, "
            "unit_price, amount, version) VALUES (:c, :p, :k, 'individual', :d, 1, 10, 10, 1)"
        )
        writer = db.engine.connect()
        writer.begin()
        writer.execute(row, {"c": client.id, "p": provider.id, "k": component.id, "d": MONTH.replace(day=9)})
        outcome = {}

        def _confirm():
            with app.app_context(), force_locale("en"):
                try:
                    confirm_invoice(db.session.get(Invoice, draft_id), today=CONFIRMED_ON)
                    outcome["status"] = "confirmed"
                except RuleViolation as e:
                    outcome["status"] = str(e.errors)
                finally:
                    db.session.remove()

        confirming = threading.Thread(target=_confirm)
        confirming.start()
        time.sleep(0.5)  # the confirmation now waits for the month's counter row
        assert confirming.is_alive()
        writer.commit()
        writer.close()
        confirming.join(30)
        assert "generate it again" in outcome["status"]
        db.session.expire_all()
        assert db.session.get(Invoice, draft_id).status == InvoiceStatus.DRAFT
