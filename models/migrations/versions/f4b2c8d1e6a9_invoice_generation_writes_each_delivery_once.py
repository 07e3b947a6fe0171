"""invoice generation writes each delivery once: drop service_delivery.line_id

A delivery's line is the invoice's line of the same client, provider, component, mode and unit
price; the column that repeated it was written for every delivery of every generated invoice (a
second write of 80,000 wide rows, each updating every index of the table) and read by nothing.

Revision ID: f4b2c8d1e6a9
Revises: 5e40d6d1201e
Create Date: 2026-11-30 03:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f4b2c8d1e6a9"
down_revision = "5e40d6d1201e"
branch_labels = None
depends_on = None

LINE_KEY = ("client_id", "provider_id", "component_id", "mode", "unit_price")


def upgrade():
    with op.batch_alter_table("service_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_delivery_line_id"))
        batch_op.drop_constraint(batch_op.f("fk_service_delivery_line_id_invoice_line"), type_="foreignkey")
        batch_op.drop_column("line_id")


def downgrade():
    with op.batch_alter_table("service_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_service_delivery_line_id_invoice_line"), "invoice_line", ["line_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_service_delivery_line_id"), ["line_id"], unique=False)
    # Link each invoiced delivery to its line again.
    same = " AND ".join(f"invoice_line.{k} = service_delivery.{k}" for k in LINE_KEY)
    op.execute(
        sa.text(
            "UPDATE service_delivery SET line_id = (SELECT min(invoice_line.id) FROM invoice_line "
            f"WHERE invoice_line.invoice_id = service_delivery.invoice_id AND {same}) "
            "WHERE invoice_id IS NOT NULL"
        )
    )
