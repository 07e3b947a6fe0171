"""invoice staleness by a change counter per month; an invoice's totals kept with it

The details page of a national month's draft asked, on every view, whether the month's 82,000
deliveries still make exactly its 79,000 lines (240–255 ms), and summed its lines per provider and
per area (53–62 ms). Now:

* ``delivery_month`` counts the changes of each month's deliveries. Triggers raise the counter in
  the same transaction as every insert, delete or update of what a delivery's line is made of (of
  the old and the new month when one moves; linking it to an invoice is not counted), and as a client's change of target group (which makes their deliveries payable
  or not). A draft keeps the counter it was generated at (``invoice.generated_changes``): while the
  month's counter is the same, the draft is exactly its deliveries; when it moved, the exact check
  decides. On PostgreSQL inserts and deletes are counted per statement, over transition tables, so a
  bulk load raises each month's counter once.
* ``invoice_total`` keeps an invoice's totals per provider and per component area, written with its
  lines; existing invoices get theirs here.

Revision ID: b7e3c1d9a5f2
Revises: ae3bdc600f07
Create Date: 2026-12-06 05:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b7e3c1d9a5f2"
down_revision = "ae3bdc600f07"
branch_labels = None
depends_on = None

#: What a delivery's line is made of. Its invoice_id is not: it changes only when an invoice is
#: confirmed (or that is rolled back), and the confirmation checks the linked deliveries itself.
BILLED = ("delivered_on", "client_id", "provider_id", "component_id", "mode", "unit_price", "quantity", "amount")
BUMP_PG = (
    "INSERT INTO delivery_month (month, changes) "
    "SELECT DISTINCT date_trunc('month', delivered_on)::date, 1 FROM {rows} ORDER BY 1 "
    "ON CONFLICT (month) DO UPDATE SET changes = delivery_month.changes + 1"
)
PG_FUNCTIONS = {
    "delivery_month_inserted": BUMP_PG.format(rows="new_rows"),
    "delivery_month_deleted": BUMP_PG.format(rows="old_rows"),
    "delivery_month_updated": BUMP_PG.format(
        rows="unnest(ARRAY[OLD.delivered_on, NEW.delivered_on]) AS d(delivered_on)"
    ),
    "delivery_month_regrouped": BUMP_PG.format(rows="service_delivery WHERE client_id = NEW.id"),
}
PG_TRIGGERS = (
    (
        "delivery_month_insert",
        "AFTER INSERT ON service_delivery REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        "inserted",
    ),
    (
        "delivery_month_delete",
        "AFTER DELETE ON service_delivery REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
        "deleted",
    ),
    # Per row, and only when what a line is made of changed: the confirmation's UPDATE of 80,000
    # deliveries' invoice_id does not fire it.
    (
        "delivery_month_update",
        f"AFTER UPDATE OF {', '.join(BILLED)} ON service_delivery FOR EACH ROW "
        f"WHEN (({', '.join('OLD.' + c for c in BILLED)}) IS DISTINCT FROM ({', '.join('NEW.' + c for c in BILLED)}))",
        "updated",
    ),
)
BUMP_SQLITE = (
    "INSERT INTO delivery_month (month, changes) VALUES (date({row}.delivered_on, 'start of month'), 1) "
    "ON CONFLICT (month) DO UPDATE SET changes = changes + 1;"
)
SQLITE_TRIGGERS = {
    "delivery_month_insert": ("AFTER INSERT ON service_delivery", BUMP_SQLITE.format(row="NEW")),
    "delivery_month_delete": ("AFTER DELETE ON service_delivery", BUMP_SQLITE.format(row="OLD")),
    "delivery_month_update": (
        f"AFTER UPDATE OF {', '.join(BILLED)} ON service_delivery",
        BUMP_SQLITE.format(row="OLD") + " " + BUMP_SQLITE.format(row="NEW"),
    ),
    "delivery_month_regroup": (
        "AFTER UPDATE OF target_group ON client WHEN OLD.target_group IS NOT NEW.target_group",
        "INSERT INTO delivery_month (month, changes) SELECT DISTINCT date(delivered_on, 'start of month'), 1 "
        "FROM service_delivery WHERE client_id = NEW.id AND true "
        "ON CONFLICT (month) DO UPDATE SET changes = changes + 1;",
    ),
}
TOTALS = (
    "INSERT INTO invoice_total (invoice_id, {key}, quantity, amount) "
    "SELECT invoice_line.invoice_id, {column}, sum(invoice_line.quantity), sum(invoice_line.amount) "
    "FROM invoice_line JOIN service_component ON service_component.id = invoice_line.component_id "
    "GROUP BY invoice_line.invoice_id, {column}"
)


def upgrade():
    op.create_table(
        "delivery_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_delivery_month")),
    )
    op.create_table(
        "invoice_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.String(length=24), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_total_invoice_id_invoice"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"], name=op.f("fk_invoice_total_provider_id_provider")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_total")),
    )
    op.create_index(op.f("ix_invoice_total_invoice_id"), "invoice_total", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_invoice_total_provider_id"), "invoice_total", ["provider_id"], unique=False)
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generated_changes", sa.Integer(), nullable=True))
    op.execute(TOTALS.format(key="provider_id", column="invoice_line.provider_id"))
    op.execute(TOTALS.format(key="area", column="service_component.area"))
    # Every month that has deliveries starts counting at 0; drafts made before keep no counter and
    # are checked exactly until generated again.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO delivery_month (month, changes) "
            "SELECT DISTINCT date_trunc('month', delivered_on)::date, 0 FROM service_delivery"
        )
        for name, body in PG_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"
            )
        for name, when, function in PG_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION delivery_month_{function}()")
        op.execute(
            "CREATE TRIGGER delivery_month_regroup AFTER UPDATE OF target_group ON client FOR EACH ROW "
            "WHEN (OLD.target_group IS DISTINCT FROM NEW.target_group) EXECUTE FUNCTION delivery_month_regrouped()"
        )
    else:
        op.execute(
            "INSERT INTO delivery_month (month, changes) "
            "SELECT DISTINCT date(delivered_on, 'start of month'), 0 FROM service_delivery"
        )
        for name, (when, body) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _, _ in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON service_delivery")
        op.execute("DROP TRIGGER delivery_month_regroup ON client")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("generated_changes")
    op.drop_index(op.f("ix_invoice_total_provider_id"), table_name="invoice_total")
    op.drop_index(op.f("ix_invoice_total_invoice_id"), table_name="invoice_total")
    op.drop_table("invoice_total")
    op.drop_table("delivery_month")
