"""sign-in lockout counter and the optional TOTP second factor on user

Revision ID: c8a1f0e2b7d4
Revises: e1226e36d358
Create Date: 2026-11-30 01:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c8a1f0e2b7d4"
down_revision = "e1226e36d358"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("tf_primary_method", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("tf_totp_secret", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("tf_phone_number", sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("tf_phone_number")
        batch_op.drop_column("tf_totp_secret")
        batch_op.drop_column("tf_primary_method")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
