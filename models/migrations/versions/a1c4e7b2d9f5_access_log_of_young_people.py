"""access log of young people: opening a youth guarantee outreach record is logged like a client's

A young person on a list round is not (yet) a client, so ``access_event`` names the person seen by
``personal_code`` as well, and its ``client_id`` may be empty. A client's log then also shows when
their outreach record was opened before they became a client (same personal code).

Revision ID: a1c4e7b2d9f5
Revises: e5c1a7d3f9b2
Create Date: 2026-12-06 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a1c4e7b2d9f5"
down_revision = "e5c1a7d3f9b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("access_event") as batch:
        batch.alter_column("client_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("personal_code", sa.String(11), nullable=True))
        batch.create_index(batch.f("ix_access_event_personal_code"), ["personal_code"], unique=False)


def downgrade():
    # The events of young people who were never clients have no client to keep them under. On
    # PostgreSQL the table is append-only, so they cannot be dropped here: the downgrade is refused.
    bind = op.get_bind()
    orphans = bind.execute(sa.text("SELECT count(*) FROM access_event WHERE client_id IS NULL")).scalar()
    if orphans:
        raise RuntimeError(f"{orphans} access events name a young person who is no client; they cannot be kept")
    with op.batch_alter_table("access_event") as batch:
        batch.drop_index(batch.f("ix_access_event_personal_code"))
        batch.drop_column("personal_code")
        batch.alter_column("client_id", existing_type=sa.Integer(), nullable=False)
