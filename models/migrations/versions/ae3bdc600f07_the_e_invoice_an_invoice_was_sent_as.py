"""the e-invoice an invoice was sent as: invoice.einvoice_id refers to the stored XML

"Mark as sent" keeps the exact e-invoice SKA received in ``stored_file`` (with its SHA-256, who
and when); the invoice refers to it. Invoices sent before this revision have none.

Revision ID: ae3bdc600f07
Revises: d4e8a1c5f0b7
Create Date: 2026-12-06 04:54:22.119483

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ae3bdc600f07"
down_revision = "d4e8a1c5f0b7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("einvoice_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_invoice_einvoice_id"), ["einvoice_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_invoice_einvoice_id_stored_file"), "stored_file", ["einvoice_id"], ["id"])


def downgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invoice_einvoice_id_stored_file"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invoice_einvoice_id"))
        batch_op.drop_column("einvoice_id")
