"""Deliveries and the monthly invoice: prices by date, rounding, refusals, generation, numbering,
locking, credit notes, the viitenumber; each on SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import (
    ComponentPrice,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    RuleViolation,
    ServiceDelivery,
    component_errors,
    confirm_invoice,
    create_credit_note,
    delivery_errors,
    generate_invoice,
    mark_paid,
    mark_sent,
    price_for,
    reference_number,
)
from models.audit import AuditEvent
from models.deliveries import line_amount
from models.invoices import valid_reference_number
from models.invoicing import stale
from tests.conftest import create_client, create_component, create_offer, create_provider
from tests.deliveries import MONTH, active_client, contracted_provider, create_delivery, setting

CONFIRMED_ON = date(2026, 10, 5)


@pytest.fixture
def ctx(ctx):
    """The database, with messages in English so the tests read the same whatever is translated."""
    with force_locale("en"):
        yield ctx


def test_price_lookup_follows_the_price_list_by_date(ctx):
    component = create_component(price="20.00", valid_from=date(2026, 1, 1))
    component.prices[0].valid_until = date(2026, 6, 30)
    component.prices.append(ComponentPrice(unit_price=Decimal("22.50"), valid_from=date(2026, 7, 1)))
    component.prices.append(ComponentPrice(mode="group", unit_price=Decimal("9.00"), valid_from=date(2026, 1, 1)))
    ctx.session.commit()
    provider = contracted_provider(component)
    assert price_for(provider, component, date(2026, 6, 30)) == (Decimal("20.00"), None)
    assert price_for(provider, component, date(2026, 7, 1)) == (Decimal("22.50"), None)
    assert price_for(provider, component, date(2026, 7, 1), "group") == (Decimal("9.00"), None)
    with pytest.raises(LookupError, match="no price"):
        price_for(provider, component, date(2026, 7, 1), "family")


def test_overlapping_price_periods_are_refused(ctx):
    component = create_component(price="20.00", valid_from=date(2026, 1, 1))
    component.prices.append(ComponentPrice(mode="individual", unit_price=Decimal("22.50"), valid_from=date(2026, 7, 1)))
    errors = component_errors(component)
    assert "overlap" in errors["prices"]
    ctx.session.rollback()
    # With the periods apart, the price of a day is the one whose period covers it.
    provider = contracted_provider(component)
    assert price_for(provider, component, date(2026, 7, 1)) == (Decimal("20.00"), None)


def test_an_accepted_offer_overrides_the_price_list(ctx):
    component = create_component(price="30.00")
    provider = create_provider(kinds=("supplementary",))
    create_offer(
        provider=provider,
        component=component,
        status="accepted",
        price=Decimal("27.40"),
        asked_on=date(2026, 3, 1),
        received_on=date(2026, 3, 10),
        valid_until=date(2026, 12, 31),
    )
    price, offer = price_for(provider, component, date(2026, 9, 15))
    assert price == Decimal("27.40") and offer is not None
    with pytest.raises(LookupError, match="no contract or accepted offer"):
        price_for(provider, component, date(2026, 3, 9))  # before the offer arrived


@pytest.mark.parametrize(
    ("quantity", "price", "amount"),
    [("1.5", "33.33", "50.00"), ("0.25", "10.10", "2.53"), ("3", "0.15", "0.45"), ("0.5", "0.01", "0.01")],
)
def test_amount_is_rounded_half_up_to_cents(quantity, price, amount):
    assert line_amount(Decimal(quantity), Decimal(price)) == Decimal(amount)


def test_a_delivery_is_priced_and_rounded(ctx):
    provider, component, client = setting(price="33.33")
    d = create_delivery(provider=provider, component=component, client=client, quantity="1.5")
    assert (d.unit_price, d.amount) == (Decimal("33.33"), Decimal("50.00"))


def test_refusals(ctx):
    provider, component, client = setting()
    stranger = create_provider()
    applicant = create_client()
    exited = active_client(status="exited", exit_date=date(2026, 8, 31), exit_reason="moved")

    def errors(**kw):
        values = dict(provider=provider, component=component, client=client, delivered_on=MONTH, quantity=Decimal(1))
        values.update(kw)
        return delivery_errors(ServiceDelivery(**values))

    assert errors() == {}
    assert "no contract or accepted offer" in errors(provider=stranger)["component"]
    assert "not an active client" in errors(client=applicant)["client"]
    assert "not an active client" in errors(client=exited)["client"]
    assert errors(client=exited, delivered_on=date(2026, 8, 31)) == {}
    assert "not an active client" in errors(delivered_on=date(2026, 1, 4))["client"]  # before entry
    assert "greater than zero" in errors(quantity=Decimal(0))["quantity"]
    assert "greater than zero" in errors(quantity=Decimal("-2"))["quantity"]
    assert "within one calendar month" in errors(period_end=date(2026, 10, 2))["period_end"]
    assert "future" in errors(delivered_on=date.today().replace(year=date.today().year + 1))["delivered_on"]


def test_a_date_in_an_invoiced_month_is_refused(ctx):
    provider, component, client = setting()
    create_delivery(provider=provider, component=component, client=client)
    confirm_invoice(generate_invoice(MONTH), today=CONFIRMED_ON)
    late = ServiceDelivery(
        provider=provider, component=component, client=client, delivered_on=date(2026, 9, 30), quantity=Decimal(1)
    )
    assert "already invoiced" in delivery_errors(late)["delivered_on"]


def test_the_yearly_cap_is_kept(ctx):
    component = create_component(price="100.00", yearly_cap=Decimal("250.00"))
    provider, client = contracted_provider(component), active_client()
    create_delivery(provider=provider, component=component, client=client, quantity="2")
    more = ServiceDelivery(provider=provider, component=component, client=client, delivered_on=MONTH, quantity=1)
    assert "yearly cap" in delivery_errors(more)["quantity"]


def test_generation_picks_exactly_the_months_uninvoiced_payable_deliveries(ctx):
    provider, component, client = setting(price="10.00")
    other = active_client()
    youth = active_client(target_group="youth")
    make = dict(provider=provider, component=component)
    create_delivery(**make, client=client, day=date(2026, 9, 1), quantity="2")
    create_delivery(**make, client=client, day=date(2026, 9, 30), quantity="1.5")
    create_delivery(**make, client=other, day=date(2026, 9, 15), quantity="3")
    create_delivery(**make, client=client, day=date(2026, 8, 31), quantity="7")  # the month before
    create_delivery(**make, client=client, day=date(2026, 10, 1), quantity="7")  # the month after
    create_delivery(**make, client=youth, day=date(2026, 9, 10), quantity="7")  # not the pilot's
    invoice = generate_invoice(MONTH)
    lines = {(line.client_id, line.quantity, line.amount, line.delivery_count) for line in invoice.lines}
    assert lines == {
        (client.id, Decimal("3.50"), Decimal("35.00"), 2),
        (other.id, Decimal("3.00"), Decimal("30.00"), 1),
    }
    assert invoice.total == Decimal("65.00")
    # A draft writes only its lines; confirming it links exactly the deliveries they bill.
    assert not ctx.session.scalar(sa.select(sa.func.count(ServiceDelivery.id)).where(ServiceDelivery.invoice.has()))
    confirm_invoice(invoice, today=CONFIRMED_ON)
    on_it = ctx.session.scalars(
        sa.select(ServiceDelivery.delivered_on).where(ServiceDelivery.invoice.has(id=invoice.id))
    )
    assert sorted(on_it) == [date(2026, 9, 1), date(2026, 9, 15), date(2026, 9, 30)]


def test_regeneration_is_idempotent_and_picks_up_changes(ctx):
    provider, component, client = setting(price="10.00")
    create_delivery(provider=provider, component=component, client=client, quantity="2")
    first = generate_invoice(MONTH)
    again = generate_invoice(MONTH)
    assert again.id == first.id
    assert ctx.session.scalar(sa.select(sa.func.count(Invoice.id))) == 1
    assert ctx.session.scalar(sa.select(sa.func.count(InvoiceLine.id))) == 1
    create_delivery(provider=provider, component=component, client=client, day=date(2026, 9, 20), quantity="1")
    with pytest.raises(RuleViolation, match="generate it again"):
        confirm_invoice(again, today=CONFIRMED_ON)
    regenerated = generate_invoice(MONTH)
    assert regenerated.total == Decimal("30.00") and len(regenerated.lines) == 1
    assert regenerated.lines[0].quantity == Decimal("3.00")


def test_regeneration_drops_what_left_the_month_and_rewrites_only_changed_lines(ctx):
    provider, component, client = setting(price="10.00")
    leaves, changes, stays = active_client(), active_client(), active_client()
    make = dict(provider=provider, component=component)
    create_delivery(**make, client=leaves, quantity="2")
    changed = create_delivery(**make, client=changes, quantity="1")
    kept = create_delivery(**make, client=client, quantity="3", day=date(2026, 9, 3))
    moved = create_delivery(**make, client=client, quantity="1", day=date(2026, 9, 4))
    create_delivery(**make, client=stays, quantity="5")
    draft = generate_invoice(MONTH)
    ids = {line.client_id: line.id for line in draft.lines}
    assert draft.total == Decimal("120.00")

    leaves.target_group = "youth"  # left the pilot: SKA no longer pays for them
    changed.quantity = Decimal("4")
    moved.delivered_on = date(2026, 8, 31)
    for delivery in (changed, moved):
        assert delivery_errors(delivery) == {}
    ctx.session.commit()
    draft = generate_invoice(MONTH)

    lines = {line.client_id: (line.quantity, line.amount, line.delivery_count) for line in draft.lines}
    assert lines == {
        changes.id: (Decimal("4.00"), Decimal("40.00"), 1),
        client.id: (Decimal("3.00"), Decimal("30.00"), 1),
        stays.id: (Decimal("5.00"), Decimal("50.00"), 1),
    }
    assert draft.total == Decimal("120.00")
    # The line nothing touched is the same row; the changed ones were written again.
    now = {line.client_id: line.id for line in draft.lines}
    assert now[stays.id] == ids[stays.id] and now[changes.id] != ids[changes.id] and now[client.id] != ids[client.id]
    confirm_invoice(draft, today=CONFIRMED_ON)  # not stale: the draft is what the deliveries say
    on_it = ctx.session.scalars(sa.select(ServiceDelivery.id).where(ServiceDelivery.invoice.has(id=draft.id)))
    stayed = ctx.session.scalar(sa.select(ServiceDelivery.id).where(ServiceDelivery.client_id == stays.id))
    assert sorted(on_it) == sorted([changed.id, kept.id, stayed])
    assert ctx.session.get(ServiceDelivery, moved.id).invoice is None


def test_confirmation_refuses_a_draft_whose_deliveries_changed_even_when_the_total_did_not(ctx):
    provider, component, client = setting(price="10.00")
    other = active_client()
    two = create_delivery(provider=provider, component=component, client=client, quantity="2")
    three = create_delivery(provider=provider, component=component, client=other, quantity="3")
    draft = generate_invoice(MONTH)
    # The same count and the same total, but each client's line is now wrong.
    two.quantity, three.quantity = Decimal("3"), Decimal("2")
    for delivery in (two, three):
        assert delivery_errors(delivery) == {}
    ctx.session.commit()
    assert stale(draft)
    with pytest.raises(RuleViolation, match="generate it again"):
        confirm_invoice(draft, today=CONFIRMED_ON)
    ctx.session.expire_all()
    assert ctx.session.get(Invoice, draft.id).status == InvoiceStatus.DRAFT
    assert ctx.session.get(ServiceDelivery, two.id).invoice is None
    draft = generate_invoice(MONTH)
    assert not stale(draft)
    assert {line.client_id: line.quantity for line in draft.lines} == {
        client.id: Decimal("3.00"),
        other.id: Decimal("2.00"),
    }
    assert confirm_invoice(draft, today=CONFIRMED_ON).number == "2026-0001"


def test_generation_is_in_the_audit_trail_one_entry_per_statement(ctx):
    provider, component, client = setting(price="10.00")
    for day in (1, 2, 3):
        create_delivery(provider=provider, component=component, client=client, day=date(2026, 9, day))
    before = ctx.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    draft = generate_invoice(MONTH)
    events = ctx.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)).all()
    by_table = {(e.table_name, e.action) for e in events}
    assert {("invoice", "create"), ("invoice_event", "create")} <= by_table
    lines = [e for e in events if e.table_name == "invoice_line"]
    assert [e.action for e in lines] == ["create"] and "service_delivery" not in {e.table_name for e in events}
    assert lines[0].changes["statement"].startswith("INSERT INTO invoice_line")
    assert draft.id in lines[0].changes["parameters"].values()
    # Confirming writes no delivery (its lines say which it bills): the audit has the invoice's change.
    before = max(e.id for e in events)
    confirm_invoice(draft, today=CONFIRMED_ON)
    confirmed = ctx.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > before)).all()
    assert "service_delivery" not in {e.table_name for e in confirmed}
    assert ("invoice", "update") in {(e.table_name, e.action) for e in confirmed}


def test_a_month_without_deliveries_gives_no_invoice(ctx):
    with pytest.raises(RuleViolation, match="no payable deliveries"):
        generate_invoice(MONTH)
    assert ctx.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0


def test_confirmation_numbers_locks_and_records(ctx, app):
    provider, component, client = setting()
    delivery = create_delivery(provider=provider, component=component, client=client)
    invoice = confirm_invoice(generate_invoice(MONTH), today=CONFIRMED_ON)
    assert invoice.number == "2026-0001" and invoice.status == InvoiceStatus.CONFIRMED
    assert valid_reference_number(invoice.reference_number)
    assert invoice.due_on == date(2026, 10, 19)
    assert [e.status for e in invoice.events] == [InvoiceStatus.DRAFT, InvoiceStatus.CONFIRMED]
    # The delivery on it can no longer change or go, whoever tries.
    delivery = ctx.session.get(ServiceDelivery, delivery.id)
    assert delivery.locked
    assert delivery_errors(delivery)["quantity"] == "This delivery is on invoice 2026-0001 and can no longer change."
    delivery.quantity = Decimal("9")
    with pytest.raises(RuleViolation):
        ctx.session.commit()
    ctx.session.rollback()
    ctx.session.delete(ctx.session.get(ServiceDelivery, delivery.id))
    with pytest.raises(RuleViolation):
        ctx.session.commit()
    ctx.session.rollback()
    assert ctx.session.get(ServiceDelivery, delivery.id).quantity == Decimal("2.00")
    with pytest.raises(RuleViolation, match="already confirmed"):
        confirm_invoice(invoice)
    with pytest.raises(RuleViolation, match="already invoiced"):
        generate_invoice(MONTH)
    mark_sent(invoice)
    with pytest.raises(RuleViolation):
        mark_sent(invoice)
    mark_paid(invoice)
    assert [e.status for e in invoice.events][-2:] == [InvoiceStatus.SENT, InvoiceStatus.PAID]


def test_numbers_run_without_gaps_and_start_again_each_year(ctx):
    provider, component, client = setting()
    numbers = []
    for month, confirmed in ((date(2026, 7, 1), date(2026, 8, 3)), (date(2026, 8, 1), date(2026, 9, 2))):
        create_delivery(provider=provider, component=component, client=client, day=month)
        numbers.append(confirm_invoice(generate_invoice(month), today=confirmed).number)
    create_delivery(provider=provider, component=component, client=client)
    invoice = generate_invoice(MONTH)
    create_delivery(provider=provider, component=component, client=client, day=date(2026, 9, 2))
    with pytest.raises(RuleViolation):
        confirm_invoice(invoice, today=date(2027, 1, 4))  # refused: nothing is taken from the sequence
    invoice = generate_invoice(MONTH)
    numbers.append(confirm_invoice(invoice, today=date(2027, 1, 4)).number)
    assert numbers == ["2026-0001", "2026-0002", "2027-0001"]


def test_a_credit_note_reverses_the_chosen_lines(ctx):
    provider, component, client = setting(price="12.35")
    other = active_client()
    create_delivery(provider=provider, component=component, client=client, quantity="3")
    create_delivery(provider=provider, component=component, client=other, quantity="1.5")
    invoice = confirm_invoice(generate_invoice(MONTH), today=CONFIRMED_ON)
    assert invoice.total == Decimal("55.58")  # 37.05 + 18.53
    wrong = next(line for line in invoice.lines if line.client_id == other.id)
    note = create_credit_note(invoice, [wrong.id])
    assert note.credited_invoice_id == invoice.id and note.month == invoice.month
    assert [(line.quantity, line.amount) for line in note.lines] == [(Decimal("-1.50"), Decimal("-18.53"))]
    assert note.total == Decimal("-18.53")
    note = confirm_invoice(note, today=CONFIRMED_ON)
    assert note.number == "2026-0002"
    from models.invoicing import net_total

    assert net_total(invoice) == Decimal("37.05")
    with pytest.raises(RuleViolation, match="already been credited"):
        create_credit_note(invoice, [wrong.id])
    with pytest.raises(RuleViolation, match="not on invoice"):
        create_credit_note(invoice, [note.lines[0].id])


def test_a_draft_cannot_be_credited(ctx):
    provider, component, client = setting()
    create_delivery(provider=provider, component=component, client=client)
    draft = generate_invoice(MONTH)
    with pytest.raises(RuleViolation, match="Only a confirmed invoice"):
        create_credit_note(draft, [draft.lines[0].id])


def test_parties_on_an_invoice_cannot_be_deleted(ctx):
    provider, component, client = setting()
    create_delivery(provider=provider, component=component, client=client)
    confirm_invoice(generate_invoice(MONTH), today=CONFIRMED_ON)
    for record in (provider, component, client):
        ctx.session.delete(record)
        with pytest.raises(RuleViolation, match="is on invoice 2026-0001 and cannot be deleted"):
            ctx.session.flush()
        ctx.session.rollback()


@pytest.mark.parametrize(
    ("base", "full"),
    [("123456", "1234561"), ("1", "13"), ("12345", "123453"), ("2026000", "20260008"), ("999", "9991")],
)
def test_viitenumber_check_digit(base, full):
    assert reference_number(base) == full
    assert valid_reference_number(full)
    assert not valid_reference_number(full[:-1] + str((int(full[-1]) + 1) % 10))
