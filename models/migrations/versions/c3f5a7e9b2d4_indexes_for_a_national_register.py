"""indexes for a national register: every foreign key, filter and sort column; pg_trgm name search

B-tree indexes for the columns the registers filter and sort by that had none (and the one
foreign key without one, roles_users.role_id), and one on an invoice line's key, by which
generating an invoice links each delivery to its line. On PostgreSQL the pg_trgm extension and GIN
trigram indexes on the columns the client and provider lists search in, so a search for any
part of a name or code (ILIKE '%…%') reads an index rather than the whole table; on SQLite
those are left out (models.base.trigram_index).

Revision ID: c3f5a7e9b2d4
Revises: c3a9e5f27b14
Create Date: 2026-11-30 01:20:00
"""

from alembic import op

revision = "c3f5a7e9b2d4"
down_revision = "c3a9e5f27b14"
branch_labels = None
depends_on = None

INDEXES = {
    "roles_users": ("role_id",),
    "client": ("first_name",),
    "service_delivery": ("amount", "quantity"),
    "case_step": ("kind",),
    "assessment": ("decision",),
    "counselling": ("channel", "party"),
    "invoice": ("due_on", "total"),
    "material": ("title",),
    "meeting": ("title",),
    "offer": ("price", "received_on"),
    "procurement": ("contract_end", "estimated_value", "procedure_type", "tender_deadline"),
    "qol_answer_set": ("point", "score"),
    "service_component": ("unit",),
    "inspection": ("inspector",),
    "municipality": ("county",),
}
TRIGRAM = {
    "client": ("personal_code", "first_name", "last_name", "phone", "email"),
    "provider": ("name", "registry_code", "contact_person", "email"),
}


LINE_KEY = ["invoice_id", "client_id", "provider_id", "component_id"]


def upgrade():
    for table, columns in INDEXES.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])
    op.create_index("ix_invoice_line_key", "invoice_line", LINE_KEY)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in TRIGRAM.items():
        for column in columns:
            op.create_index(
                f"ix_{table}_{column}_trgm",
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in TRIGRAM.items():
            for column in columns:
                op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
    op.drop_index("ix_invoice_line_key", table_name="invoice_line")
    for table, columns in INDEXES.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
