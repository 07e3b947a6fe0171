"""draft invoices write only their lines: drop service_delivery.line_id, unlink drafts' deliveries

A draft invoice no longer links the deliveries it bills: its lines are the grouped payable
deliveries of its month not yet on an invoice, and the deliveries are linked (``invoice_id``) when
it is confirmed. Deliveries linked to a draft by the earlier code are unlinked here (the draft's
lines stay as they were). ``service_delivery.line_id`` repeated what the line's key already says
(client, provider, component, mode, unit price), was read by nothing, and cost a second write of
every delivery on an invoice: it is dropped, and so is ``ix_invoice_line_invoice_id``, which
``ix_invoice_line_key`` (invoice_id first) makes redundant.

Downgrading links invoiced deliveries to their lines again; the earlier code finds a draft's
deliveries unlinked, calls the draft stale and asks for it to be generated again.

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
    op.execute(
        sa.text(
            "UPDATE service_delivery SET invoice_id = NULL "
            "WHERE invoice_id IN (SELECT id FROM invoice WHERE status = 'draft')"
        )
    )
    with op.batch_alter_table("service_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_delivery_line_id"))
        batch_op.drop_constraint(batch_op.f("fk_service_delivery_line_id_invoice_line"), type_="foreignkey")
        batch_op.drop_column("line_id")
    # ix_invoice_line_key (invoice_id, client_id, provider_id, component_id) serves every query by
    # invoice_id; the index of invoice_id alone only cost a write per line.
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_line_invoice_id"))


def downgrade():
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_line_invoice_id"), ["invoice_id"], unique=False)
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
