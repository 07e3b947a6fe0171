"""background downloads: files made for one user, kept for a day

Revision ID: c3f7a9d2b410
Revises: c8a1f0e2b7d4
Create Date: 2026-11-30 01:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c3f7a9d2b410"
down_revision = "c8a1f0e2b7d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "download",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=80), nullable=False),
        sa.Column("export_type", sa.String(length=10), nullable=False),
        sa.Column("query_string", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("mimetype", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("file", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_download_owner_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_download")),
    )
    with op.batch_alter_table("download", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_download_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_download_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("download", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_download_expires_at"))
        batch_op.drop_index(batch_op.f("ix_download_owner_id"))
    op.drop_table("download")
