"""delivery lists sorted by date, amount or quantity: the indexes carry the key as well

A list breaks ties in its order by the record's key, so a page shows the same rows on every request
(admin_app/views/paging.py). The delivery register's sort indexes held the sorted column only; a
million deliveries share a few hundred dates and amounts, so PostgreSQL had to sort every delivery
of the newest date to find the first page. Each index now ends with the key and serves the whole
order; it still serves what the single-column one did (a month's deliveries by date range).

Revision ID: d4e8a1c5f0b7
Revises: 5e40d6d1201e
Create Date: 2026-11-30 03:30:00
"""

from alembic import op

revision = "d4e8a1c5f0b7"
down_revision = "5e40d6d1201e"
branch_labels = None
depends_on = None

COLUMNS = ("delivered_on", "amount", "quantity")


def upgrade():
    with op.batch_alter_table("service_delivery", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_service_delivery_{column}")
            batch_op.create_index(f"ix_service_delivery_{column}", [column, "id"], unique=False)


def downgrade():
    with op.batch_alter_table("service_delivery", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_service_delivery_{column}")
            batch_op.create_index(f"ix_service_delivery_{column}", [column], unique=False)
