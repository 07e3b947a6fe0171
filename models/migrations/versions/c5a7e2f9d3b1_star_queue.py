"""the STAR queue: what is still to be entered by hand into the national register STAR

Every need assessment, action plan and procedural step is queued for STAR when saved, and queued
again as changed when edited after it was entered (models/star.py).

Records that exist already: those dated within the last 90 days (assessed, drawn up or done) are
queued as not yet in STAR, since they may well not be there yet; older ones are taken as entered
before the queue existed (no one and no date is recorded for them), so a later edit of one still
comes back to the queue as changed.

Revision ID: c5a7e2f9d3b1
Revises: b7e3c1d9a5f2
Create Date: 2026-12-06 16:30:00
"""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "c5a7e2f9d3b1"
down_revision = "b7e3c1d9a5f2"
branch_labels = None
depends_on = None

#: Records dated within this many days before the migration are queued; older ones count as entered.
RECENT_DAYS = 90
EXISTING = (("assessment", "assessment", "assessed_on"), ("action_plan", "action_plan", "drawn_up_on"), ("case_step", "case_step", "done_on"))


def upgrade():
    star_item = op.create_table(
        "star_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=7), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("star_reference", sa.String(length=100), nullable=True),
        sa.Column("entered_fields", sa.JSON(), nullable=True),
        sa.CheckConstraint("state IN ('new', 'changed', 'entered')", name=op.f("ck_star_item_state_choice")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_star_item_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["user.id"], name=op.f("fk_star_item_entered_by_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_star_item")),
        sa.UniqueConstraint("kind", "record_id", name="uq_star_item_record"),
    )
    with op.batch_alter_table("star_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_star_item_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_star_item_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_star_item_entered_by_id"), ["entered_by_id"], unique=False)
        batch_op.create_index("ix_star_item_waiting", ["state", "queued_at"], unique=False)

    now = datetime.now(UTC).replace(tzinfo=None)
    cut_off = date.today() - timedelta(days=RECENT_DAYS)
    conn = op.get_bind()
    for kind, table, day in EXISTING:
        source = sa.table(table, sa.column("id"), sa.column("client_id"), sa.column(day))
        state = sa.case((source.c[day] >= cut_off, "new"), else_="entered")
        conn.execute(
            star_item.insert().from_select(
                ["kind", "record_id", "client_id", "state", "queued_at"],
                sa.select(sa.literal(kind), source.c.id, source.c.client_id, state, sa.literal(now, sa.DateTime())),
            )
        )


def downgrade():
    with op.batch_alter_table("star_item", schema=None) as batch_op:
        batch_op.drop_index("ix_star_item_waiting")
        batch_op.drop_index(batch_op.f("ix_star_item_entered_by_id"))
        batch_op.drop_index(batch_op.f("ix_star_item_client_id"))
        batch_op.drop_index(batch_op.f("ix_star_item_kind"))
    op.drop_table("star_item")
