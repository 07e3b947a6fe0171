"""substitutions: who stands in for whom (least access to clients)

Revision ID: c3a9e5f27b14
Revises: c3f7a9d2b410
Create Date: 2026-11-30 01:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3a9e5f27b14"
down_revision = "c3f7a9d2b410"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "substitution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("absent_id", sa.Integer(), nullable=False),
        sa.Column("substitute_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_substitution_dates_in_order")),
        sa.CheckConstraint("substitute_id <> absent_id", name=op.f("ck_substitution_not_oneself")),
        sa.ForeignKeyConstraint(
            ["absent_id"], ["user.id"], name=op.f("fk_substitution_absent_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["substitute_id"], ["user.id"], name=op.f("fk_substitution_substitute_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitution")),
    )
    with op.batch_alter_table("substitution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_substitution_absent_id"), ["absent_id"], unique=False)
        batch_op.create_index(
            "ix_substitution_substitute_dates", ["substitute_id", "starts_on", "ends_on"], unique=False
        )


def downgrade():
    with op.batch_alter_table("substitution", schema=None) as batch_op:
        batch_op.drop_index("ix_substitution_substitute_dates")
        batch_op.drop_index(batch_op.f("ix_substitution_absent_id"))
    op.drop_table("substitution")
