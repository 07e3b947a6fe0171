"""a background download's file kept in chunks (download_chunk), not as one value

The job read the whole workbook back into memory to store it as one value, and the web process
loaded it whole to send it: ~50 MB for a million rows, more with the driver's copies. Now the job
stores it in pieces of ``DOWNLOAD_CHUNK_BYTES`` (1 MB), each committed on its own, and the download
sends them one by one. Files already made stay in ``download.file`` until they expire.

Revision ID: d2a4c6e8f0b1
Revises: c9f1e3a5b7d2
Create Date: 2026-12-06 16:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d2a4c6e8f0b1"
down_revision = "c9f1e3a5b7d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "download_chunk",
        sa.Column("download_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["download_id"], ["download.id"], name=op.f("fk_download_chunk_download_id_download"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("download_id", "number", name=op.f("pk_download_chunk")),
    )


def downgrade():
    op.drop_table("download_chunk")
