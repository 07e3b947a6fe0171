"""versions against lost edits; archiving clients, providers and letters

Revision ID: 5e40d6d1201e
Revises: a8d1f0c3b7e2
Create Date: 2026-11-30 01:24:01.248136

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e40d6d1201e"
down_revision = "a8d1f0c3b7e2"
branch_labels = None
depends_on = None

#: Every table with an edit screen: a version that every save raises (existing rows start at 1).
VERSIONED = (
    "action_plan",
    "assessment",
    "case_step",
    "client",
    "counselling",
    "inspection",
    "invoice",
    "letter",
    "material",
    "meeting",
    "municipality",
    "offer",
    "procurement",
    "provider",
    "qol_answer_set",
    "qol_instrument",
    "service_component",
    "service_delivery",
    "user",
)
#: Archived rather than deleted.
ARCHIVED = ("client", "letter", "provider")


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
            batch_op.add_column(sa.Column("saved_at", sa.DateTime(), nullable=True))
    for table in ARCHIVED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("archived_on", sa.Date(), nullable=True))
            batch_op.add_column(sa.Column("archived_by_id", sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_archived_on"), ["archived_on"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_archived_by_id_user"), "user", ["archived_by_id"], ["id"], ondelete="SET NULL"
            )


def downgrade():
    for table in ARCHIVED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_archived_by_id_user"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_archived_on"))
            batch_op.drop_column("archived_by_id")
            batch_op.drop_column("archived_on")
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("saved_at")
            batch_op.drop_column("version")
