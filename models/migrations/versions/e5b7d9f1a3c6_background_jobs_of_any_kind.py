"""background jobs of any kind: download.kind, params, message and result_url

Until now a background job could only write a list's export. Long work of other kinds (an import
of a big file, confirming a national month's invoice, the first e-mail to thousands of young people)
runs the same way: queued, with its progress and its outcome under "My downloads".

Revision ID: e5b7d9f1a3c6
Revises: d2a4c6e8f0b1
Create Date: 2026-12-06 20:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e5b7d9f1a3c6"
down_revision = "d2a4c6e8f0b1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("download") as batch:
        batch.add_column(sa.Column("kind", sa.String(40), nullable=False, server_default="export"))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
        batch.add_column(sa.Column("result_url", sa.String(500), nullable=True))


def downgrade():
    with op.batch_alter_table("download") as batch:
        batch.drop_column("result_url")
        batch.drop_column("message")
        batch.drop_column("params")
        batch.drop_column("kind")
