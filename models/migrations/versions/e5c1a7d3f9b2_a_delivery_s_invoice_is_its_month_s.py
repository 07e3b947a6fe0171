"""a delivery's invoice is its month's confirmed invoice: no link per delivery, the database locks them

Confirming a national month linked its ~83,000 deliveries to the invoice by one UPDATE of
``service_delivery.invoice_id``: 2.4 s of wide, many-indexed rows written again (issue 17 asks for
under 1 s). The link said nothing the invoice's lines do not: a month has one invoice, and its lines
are the month's payable deliveries grouped by client, provider, component, mode and unit price. So
a delivery is on its month's confirmed invoice when that invoice has a line of its key
(``ServiceDelivery.invoice``), and confirming writes no row per delivery.

That holds while a confirmed month's billed deliveries never change. The app's rules refuse it; the
database now refuses it too, whoever writes: the triggers that count a month's changes
(``delivery_month``) refuse an insert, update or delete of a delivery with a line on its month's
confirmed invoice. On PostgreSQL they check after raising the counter, whose row a confirmation
locks first, so a change written during a confirmation waits for it and is then refused.

Existing links are checked against their lines first: the upgrade stops, saying how many, if a
linked delivery has no line of its key or a delivery of a confirmed month has a line but no link
(nothing the app writes; only writes past its rules). ``invoice_id`` and its index go. Downgrading
links each billed delivery again.

Revision ID: e5c1a7d3f9b2
Revises: b2c4e6a8d0f1
Create Date: 2026-12-06 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e5c1a7d3f9b2"
down_revision = "b2c4e6a8d0f1"
branch_labels = None
depends_on = None

LINE_KEY = ("client_id", "provider_id", "component_id", "mode", "unit_price")
BILLED_COLUMNS = ("delivered_on", *LINE_KEY, "quantity", "amount")


def _month(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"date({column}, 'start of month')"


def _billing(dialect: str, row: str, source: str = "") -> str:
    """FROM and WHERE of the confirmed invoice (``i``) with a line (``l``) of ``row``'s key (``row``:
    a table, NEW or OLD, or an alias that ``source`` names, e.g. ``new_rows r``)."""
    same = " AND ".join(f"l.{k} = {row}.{k}" for k in LINE_KEY)
    return (
        f"FROM {source + ', ' if source else ''}invoice_line l JOIN invoice i ON i.id = l.invoice_id "
        f"WHERE {same} AND i.kind = 'invoice' AND i.status <> 'draft' "
        f"AND i.month = {_month(dialect, row + '.delivered_on')}"
    )


# PostgreSQL: the counting functions of b7e3c1d9a5f2, each now refusing a billed delivery after
# raising (and so locking) its month's counter.
BUMP_PG = (
    "INSERT INTO delivery_month (month, changes) "
    "SELECT DISTINCT date_trunc('month', delivered_on)::date, 1 FROM {rows} ORDER BY 1 "
    "ON CONFLICT (month) DO UPDATE SET changes = delivery_month.changes + 1"
)
REFUSE_PG = (
    "SELECT i.number INTO locked {billing} LIMIT 1; "
    "IF locked IS NOT NULL THEN RAISE EXCEPTION 'A delivery on invoice % can no longer change.', locked "
    "USING ERRCODE = 'check_violation'; END IF"
)
COUNTED_PG = {
    "delivery_month_inserted": (BUMP_PG.format(rows="new_rows"), ("new_rows r",)),
    "delivery_month_deleted": (BUMP_PG.format(rows="old_rows"), ("old_rows r",)),
    "delivery_month_updated": (
        BUMP_PG.format(rows="unnest(ARRAY[OLD.delivered_on, NEW.delivered_on]) AS d(delivered_on)"),
        ("OLD", "NEW"),
    ),
}


def _pg_function(name: str, bump: str, rows: tuple[str, ...] = ()) -> str:
    checks = ""
    for row in rows:
        # A transition table ("new_rows r") is read by its alias; NEW and OLD as they are.
        billing = _billing("postgresql", "r", row) if " " in row else _billing("postgresql", row)
        checks += REFUSE_PG.format(billing=billing) + "; "
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"DECLARE locked varchar; BEGIN {bump}; {checks}RETURN NULL; END $$"
    )


# SQLite: the counting triggers of b7e3c1d9a5f2 (rebuilt with the table), and the locks.
BUMP_SQLITE = (
    "INSERT INTO delivery_month (month, changes) VALUES (date({row}.delivered_on, 'start of month'), 1) "
    "ON CONFLICT (month) DO UPDATE SET changes = changes + 1;"
)
COUNTING_SQLITE = {
    "delivery_month_insert": ("AFTER INSERT ON service_delivery", BUMP_SQLITE.format(row="NEW")),
    "delivery_month_delete": ("AFTER DELETE ON service_delivery", BUMP_SQLITE.format(row="OLD")),
    "delivery_month_update": (
        f"AFTER UPDATE OF {', '.join(BILLED_COLUMNS)} ON service_delivery",
        BUMP_SQLITE.format(row="OLD") + " " + BUMP_SQLITE.format(row="NEW"),
    ),
    # On client, but reading service_delivery: SQLite refuses to rename the rebuilt table under it.
    "delivery_month_regroup": (
        "AFTER UPDATE OF target_group ON client WHEN OLD.target_group IS NOT NEW.target_group",
        "INSERT INTO delivery_month (month, changes) SELECT DISTINCT date(delivered_on, 'start of month'), 1 "
        "FROM service_delivery WHERE client_id = NEW.id AND true "
        "ON CONFLICT (month) DO UPDATE SET changes = changes + 1;",
    ),
}
REFUSE_SQLITE = "SELECT RAISE(ABORT, 'A delivery on a confirmed invoice can no longer change.');"
LOCKS_SQLITE = {
    "delivery_locked_insert": f"BEFORE INSERT ON service_delivery WHEN EXISTS (SELECT 1 {_billing('sqlite', 'NEW')})",
    "delivery_locked_delete": f"BEFORE DELETE ON service_delivery WHEN EXISTS (SELECT 1 {_billing('sqlite', 'OLD')})",
    "delivery_locked_update": (
        f"BEFORE UPDATE OF {', '.join(BILLED_COLUMNS)} ON service_delivery "
        f"WHEN EXISTS (SELECT 1 {_billing('sqlite', 'OLD')}) OR EXISTS (SELECT 1 {_billing('sqlite', 'NEW')})"
    ),
}


def _check_links(dialect: str) -> None:
    """Stop when the links and the lines disagree: the upgrade would lose what the links said."""
    billed = f"EXISTS (SELECT 1 {_billing(dialect, 'service_delivery')} AND i.id = service_delivery.invoice_id)"
    billed_any = f"EXISTS (SELECT 1 {_billing(dialect, 'service_delivery')})"
    linked_confirmed = (
        "service_delivery.invoice_id IN (SELECT id FROM invoice WHERE kind = 'invoice' AND status <> 'draft')"
    )
    conn = op.get_bind()
    unlined = conn.scalar(sa.text(f"SELECT count(*) FROM service_delivery WHERE {linked_confirmed} AND NOT {billed}"))  # nosec B608
    unlinked = conn.scalar(
        sa.text(f"SELECT count(*) FROM service_delivery WHERE invoice_id IS NULL AND {billed_any}")  # nosec B608
    )
    if unlined or unlinked:
        raise RuntimeError(
            f"{unlined} deliveries linked to a confirmed invoice have no line of their key on it, and "
            f"{unlinked} deliveries of a confirmed month with a line of their key are not linked to it: "
            "written past the app's rules. Correct them (or their invoice, by a credit note) before upgrading."
        )


def _drop_sqlite_triggers(names) -> None:
    for name in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade():
    dialect = op.get_bind().dialect.name
    _check_links(dialect)
    if dialect == "postgresql":
        for name, (bump, rows) in COUNTED_PG.items():
            op.execute(_pg_function(name, bump, rows))
        op.drop_index("ix_service_delivery_invoice_id", table_name="service_delivery")
        op.drop_constraint("fk_service_delivery_invoice_id_invoice", "service_delivery", type_="foreignkey")
        op.drop_column("service_delivery", "invoice_id")
        return
    # SQLite rebuilds the table to drop a column: its triggers are made again on the new one.
    _drop_sqlite_triggers(COUNTING_SQLITE)
    with op.batch_alter_table("service_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_service_delivery_invoice_id")
        batch_op.drop_constraint("fk_service_delivery_invoice_id_invoice", type_="foreignkey")
        batch_op.drop_column("invoice_id")
    for name, (when, body) in COUNTING_SQLITE.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    for name, when in LOCKS_SQLITE.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {REFUSE_SQLITE} END")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.add_column("service_delivery", sa.Column("invoice_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_service_delivery_invoice_id_invoice", "service_delivery", "invoice", ["invoice_id"], ["id"]
        )
        op.create_index("ix_service_delivery_invoice_id", "service_delivery", ["invoice_id"], unique=False)
        for name, (bump, _) in COUNTED_PG.items():
            op.execute(_pg_function(name, bump))
    else:
        _drop_sqlite_triggers([*LOCKS_SQLITE, *COUNTING_SQLITE])
        with op.batch_alter_table("service_delivery", schema=None) as batch_op:
            batch_op.add_column(sa.Column("invoice_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key("fk_service_delivery_invoice_id_invoice", "invoice", ["invoice_id"], ["id"])
            batch_op.create_index("ix_service_delivery_invoice_id", ["invoice_id"], unique=False)
        for name, (when, body) in COUNTING_SQLITE.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    # Each billed delivery linked to its invoice again, as the earlier code linked them on confirming.
    op.execute(
        f"UPDATE service_delivery SET invoice_id = (SELECT i.id {_billing(dialect, 'service_delivery')} LIMIT 1) "  # nosec B608
        f"WHERE EXISTS (SELECT 1 {_billing(dialect, 'service_delivery')})"
    )
