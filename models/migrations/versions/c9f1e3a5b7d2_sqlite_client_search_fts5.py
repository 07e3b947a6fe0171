"""SQLite: the client search served from an FTS5 trigram index (PostgreSQL keeps its pg_trgm indexes)

A search of the client list ("Tamm", "4860", "Mari Tamm") is a substring match of every word in
the personal code, names, phone or e-mail. On SQLite ``LIKE '%…%'`` reads every row (320–330 ms at
100,000 clients). ``client_search`` is an FTS5 table with the trigram tokenizer over those columns
of ``client`` (external content: it keeps only the index, not a second copy of the text), kept by
triggers in the same transaction as every insert, update and delete of a client. A word of three
letters or more is then looked up in the index (``models/clients.py``, ``found_by``); a shorter one
still goes by ``LIKE``. On PostgreSQL this migration does nothing.

Revision ID: c9f1e3a5b7d2
Revises: b7e3c1d9a5f2
Create Date: 2026-12-06 16:40:00
"""

from alembic import op

revision = "c9f1e3a5b7d2"
down_revision = "b8c4fa9ba63a"
branch_labels = None
depends_on = None

COLUMNS = ("personal_code", "first_name", "last_name", "phone", "email")
LISTED = ", ".join(COLUMNS)
NEW = ", ".join(f"new.{c}" for c in COLUMNS)
OLD = ", ".join(f"old.{c}" for c in COLUMNS)
DELETE_OLD = f"INSERT INTO client_search (client_search, rowid, {LISTED}) VALUES ('delete', old.id, {OLD});"
INSERT_NEW = f"INSERT INTO client_search (rowid, {LISTED}) VALUES (new.id, {NEW});"
TRIGGERS = {
    "client_search_insert": ("AFTER INSERT ON client", INSERT_NEW),
    "client_search_delete": ("AFTER DELETE ON client", DELETE_OLD),
    "client_search_update": (f"AFTER UPDATE OF {LISTED} ON client", DELETE_OLD + " " + INSERT_NEW),
}


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE VIRTUAL TABLE client_search USING fts5({LISTED}, content='client', content_rowid='id', "
        "tokenize='trigram case_sensitive 0')"
    )
    for name, (when, body) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    op.execute("INSERT INTO client_search (client_search) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS client_search")
