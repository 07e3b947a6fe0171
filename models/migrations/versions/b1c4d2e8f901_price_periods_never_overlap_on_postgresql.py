"""price periods never overlap, enforced by PostgreSQL

On PostgreSQL an exclusion constraint keeps two price rows of one component and mode from
covering the same day, whatever writes to the table; SQLite relies on the rule in
models/catalogue.py alone.

Revision ID: b1c4d2e8f901
Revises: e76e2255c628
Create Date: 2026-11-22 22:20:00
"""

from alembic import op

revision = "b1c4d2e8f901"
down_revision = "e76e2255c628"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE component_price ADD CONSTRAINT ex_component_price_no_overlap EXCLUDE USING gist ("
        "component_id WITH =, mode WITH =, daterange(valid_from, valid_until, '[]') WITH &&)"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE component_price DROP CONSTRAINT ex_component_price_no_overlap")
