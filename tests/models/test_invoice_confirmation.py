"""A month's invoice at size: confirming it sends as many statements whatever its deliveries, and
its exact check picks a plan that stays linear whatever the planner's statistics say (the 485 s
confirmation of issue 17 was a nested loop of 78,000 × 78,000 comparisons); a draft is stale
exactly when its month's deliveries changed (a change counter kept by triggers); its totals are
kept with it."""

import json
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import event

from models import (
    Invoice,
    InvoiceStatus,
    RuleViolation,
    ServiceDelivery,
    confirm_invoice,
    create_credit_note,
    db,
    delivery_errors,
    generate_invoice,
)
from models.invoices import month_end
from models.invoicing import stale, totals_by
from tests.deliveries import MONTH, active_client, contracted_provider, create_delivery, setting

CONFIRMED_ON = date(2026, 12, 5)


@pytest.fixture
def ctx(ctx):
    """The database, with messages in English so the tests read the same whatever is translated."""
    with force_locale("en"):
        yield ctx


def _seed(app, clients: int, deliveries: int) -> None:
    result = app.test_cli_runner().invoke(
        args=["seed-scale", "--clients", str(clients), "--deliveries", str(deliveries)]
    )
    assert result.exit_code == 0, result.output


def _months() -> list[date]:
    days = db.session.scalars(sa.select(ServiceDelivery.delivered_on).distinct()).all()
    return sorted({day.replace(day=1) for day in days})


def _month_deliveries(month: date) -> int:
    where = ServiceDelivery.delivered_on.between(month, month_end(month))
    return db.session.scalar(sa.select(sa.func.count()).where(where))


def _grow(month: date, times: int) -> None:
    """Copy ``month``'s deliveries ``times`` over (the same clients, providers, days and prices)."""
    columns = [c.name for c in ServiceDelivery.__table__.columns if c.name not in ("id", "version")]
    table = ServiceDelivery.__table__
    source = sa.select(*[table.c[name] for name in columns]).where(
        table.c.delivered_on.between(month, month_end(month))
    )
    for _ in range(times):
        db.session.execute(sa.insert(table).from_select(columns, source))
    db.session.commit()


def _analyze() -> None:
    """Statistics as autovacuum leaves them after a draft: no delivery linked to the new invoice."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE service_delivery"))
        db.session.execute(sa.text("ANALYZE invoice_line"))
    else:
        db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def _move_counter(month: date) -> None:
    """Raise the month's change counter as a change made and undone would: the counter can no
    longer vouch for the draft, so confirming it runs the exact check."""
    db.session.execute(sa.text("UPDATE delivery_month SET changes = changes + 1 WHERE month = :m"), {"m": month})
    db.session.commit()


def _confirm_watched(invoice: Invoice, sent: list | None = None) -> tuple[int, list[dict]]:
    """Confirm ``invoice``; return how many statements it sent (each added to ``sent``) and, on PostgreSQL, the plan of
    each that reads deliveries and lines together (taken in the confirmation's own transaction,
    just before the statement runs, from the statistics the planner has then)."""
    statements, plans = [], []
    engine = db.engine
    postgresql = engine.dialect.name == "postgresql"

    def _watch(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
        reads_both = "invoice_line" in statement and "service_delivery" in statement
        if postgresql and statement.lstrip().upper().startswith(("SELECT", "WITH")) and reads_both:
            explain = cursor.connection.cursor()
            explain.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plans.append(explain.fetchone()[0][0]["Plan"])

    event.listen(engine, "before_cursor_execute", _watch)
    try:
        confirm_invoice(invoice, today=CONFIRMED_ON)
    finally:
        event.remove(engine, "before_cursor_execute", _watch)
    if sent is not None:
        sent += statements
    return len(statements), plans


@pytest.mark.parametrize("counter_moved", [False, True], ids=["counter vouches", "exact check"])
def test_confirmation_sends_as_many_statements_for_thousands_of_deliveries_as_for_hundreds(app, counter_moved):
    _seed(app, clients=300, deliveries=3600)
    with app.app_context():
        small, large = _months()[-2:]
        _grow(large, 10)
        assert _month_deliveries(small) >= 200 and _month_deliveries(large) >= 3_000
        assert _month_deliveries(large) >= 8 * _month_deliveries(small)
        counts, statements = [], []
        for month in (small, large):
            invoice = generate_invoice(month)
            _analyze()
            if counter_moved:
                _move_counter(month)
            sent, _ = _confirm_watched(invoice, statements)
            counts.append(sent)
            db.session.expire_all()
            confirmed = db.session.get(Invoice, invoice.id)
            assert confirmed.status == InvoiceStatus.CONFIRMED
            billed = sa.select(sa.func.count(ServiceDelivery.id)).where(ServiceDelivery.invoice.has(id=invoice.id))
            linked = db.session.scalar(billed)
            assert linked == sum(line.delivery_count for line in confirmed.lines)
        assert counts[0] == counts[1], counts
        # Issue 17: confirming once wrote every delivery of the month again (2.4 s for 83,000 wide,
        # many-indexed rows); it reads them at most, and writes only the invoice's own rows.
        written = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
        assert written and not [s for s in written if "service_delivery" in s.split("WHERE")[0]], written


def test_the_exact_check_never_compares_every_delivery_with_every_line(app):
    """The check that a draft's lines are exactly its deliveries is a grouping, not a join: with
    statistics that know none of the draft's lines, a join was planned as a nested loop over both
    sides (485 s at 79,000 lines). No join of the check has the lines on a side, whatever the plan."""
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("the planner's choice is PostgreSQL's")
    _seed(app, clients=300, deliveries=3600)
    with app.app_context():
        month = _months()[-1]
        _grow(month, 4)
        invoice = generate_invoice(month)
        _analyze()
        # The month's change counter moved (a change made and undone): the counter cannot vouch
        # for the draft, so the confirmation runs its exact check.
        _move_counter(month)
        assert not stale(invoice)
        _, plans = _confirm_watched(invoice)
        assert plans, "the confirmation ran no check of its deliveries against its lines"
        for plan in plans:
            assert not _joins_lines(plan), json.dumps(plan, indent=1)
        assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.CONFIRMED


def _relations(node: dict) -> set[str]:
    found = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in node.get("Plans", ()):
        found |= _relations(child)
    return found


def _joins_lines(node: dict) -> bool:
    """True when a join of the plan has the invoice's lines on one of its sides (the 485 s plan
    joined them with the deliveries, one by one)."""
    if node["Node Type"] in ("Nested Loop", "Hash Join", "Merge Join") and "invoice_line" in _relations(node):
        return True
    return any(_joins_lines(child) for child in node.get("Plans", ()))


def _draft_with_three_clients():
    provider, component, client = setting(price="10.00")
    other, third = active_client(), active_client()
    made = dict(provider=provider, component=component)
    deliveries = [create_delivery(**made, client=c, quantity="2") for c in (client, other, third)]
    return generate_invoice(MONTH), deliveries, made


def _change(kind: str, deliveries, made) -> None:
    first = deliveries[0]
    if kind == "added":
        create_delivery(**made, client=first.client, day=date(2026, 9, 3), quantity="1")
        return
    if kind == "quantity":
        first.quantity = Decimal("3")
    elif kind == "moved out":
        first.delivered_on = date(2026, 8, 31)
    elif kind == "left the pilot":
        first.client.target_group = "youth"
    elif kind == "deleted":
        db.session.delete(first)
    if kind != "deleted":
        assert delivery_errors(first) == {}
    db.session.commit()


@pytest.mark.parametrize("kind", ["added", "quantity", "moved out", "left the pilot", "deleted"])
def test_any_change_of_the_month_makes_the_draft_stale_until_generated_again(ctx, kind):
    draft, deliveries, made = _draft_with_three_clients()
    assert not stale(draft)
    _change(kind, deliveries, made)
    db.session.expire_all()
    assert stale(draft)
    with pytest.raises(RuleViolation, match="generate it again"):
        confirm_invoice(draft, today=CONFIRMED_ON)
    draft = generate_invoice(MONTH)
    assert not stale(draft)
    assert confirm_invoice(draft, today=CONFIRMED_ON).status == InvoiceStatus.CONFIRMED


def test_a_change_of_another_month_leaves_the_draft_current(ctx):
    draft, deliveries, made = _draft_with_three_clients()
    create_delivery(**made, client=deliveries[0].client, day=date(2026, 8, 14), quantity="1")
    assert not stale(draft)
    assert confirm_invoice(draft, today=CONFIRMED_ON).status == InvoiceStatus.CONFIRMED


def test_the_totals_per_provider_and_area_are_the_lines_summed(ctx):
    draft, deliveries, made = _draft_with_three_clients()
    other = contracted_provider(made["component"], name="Teine OÜ")
    create_delivery(provider=other, component=made["component"], client=deliveries[1].client, quantity="1.5")
    draft = generate_invoice(MONTH)
    assert totals_by(draft.id, "provider") == [
        (made["provider"].name, Decimal("6.00"), Decimal("60.00")),
        ("Teine OÜ", Decimal("1.50"), Decimal("15.00")),
    ]
    assert [(str(area.value), amount) for area, _, amount in totals_by(draft.id, "area")] == [
        (made["component"].area.value, Decimal("75.00"))
    ]
    note = create_credit_note(confirm_invoice(draft, today=CONFIRMED_ON), [draft.lines[0].id])
    assert sum(amount for _, _, amount in totals_by(note.id, "provider")) == -draft.lines[0].amount


def test_regenerating_an_unchanged_month_reads_none_of_its_deliveries(ctx):
    draft, deliveries, made = _draft_with_three_clients()
    lines = sorted(line.id for line in draft.lines)
    sent = []

    def _watch(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", _watch)
    try:
        again = generate_invoice(MONTH)
    finally:
        event.remove(db.engine, "before_cursor_execute", _watch)
    assert sorted(line.id for line in again.lines) == lines
    grouped = [s for s in sent if "FROM service_delivery" in s and "GROUP BY" in s]
    assert not grouped, grouped
    assert [e.note for e in again.events] == ["generated", "regenerated"]
