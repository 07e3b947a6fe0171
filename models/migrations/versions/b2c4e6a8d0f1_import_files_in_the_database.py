"""an uploaded import file and its preview kept in the database (import_file, import_file_chunk)

They were kept under the instance directory of the web server that took the upload, so a preview
built by a background worker (another process, perhaps another machine) could not be confirmed
by the web, nor the other way round. Now both are in the database, the file in 1 MB pieces.

Revision ID: b2c4e6a8d0f1
Revises: e5b7d9f1a3c6
Create Date: 2026-12-06 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b2c4e6a8d0f1"
down_revision = "e5b7d9f1a3c6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(80), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("download_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_import_file_owner_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["download_id"], ["download.id"], name=op.f("fk_import_file_download_id_download"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_file")),
        sa.UniqueConstraint("token", name=op.f("uq_import_file_token")),
    )
    op.create_index(op.f("ix_import_file_owner_id"), "import_file", ["owner_id"])
    op.create_index(op.f("ix_import_file_expires_at"), "import_file", ["expires_at"])
    op.create_table(
        "import_file_chunk",
        sa.Column("import_file_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_file_id"],
            ["import_file.id"],
            name=op.f("fk_import_file_chunk_import_file_id_import_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_file_id", "number", name=op.f("pk_import_file_chunk")),
    )


def downgrade():
    op.drop_table("import_file_chunk")
    op.drop_index(op.f("ix_import_file_expires_at"), table_name="import_file")
    op.drop_index(op.f("ix_import_file_owner_id"), table_name="import_file")
    op.drop_table("import_file")
