"""Varukoopia: ``backup FILE`` and ``restore FILE`` for the database the app is configured with.

SQLite is copied with its online backup API (consistent while the app runs); PostgreSQL with
pg_dump / pg_restore in the custom format, run with an argument list, never through a shell.
"""

import os
import shutil
import sqlite3
import subprocess  # nosec B404
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from models import db
from models.base import is_search_table

# Rows the migrations and start-up put in every database: they do not make it "hold data".
REFERENCE_TABLES = {"alembic_version", "role", "qol_instrument", "qol_item"}
#: The audit trail and access log record changes to the data, they are not data of their own: a
#: database whose only rows are these (e.g. the roles made at start-up) holds nothing to lose.
LOG_TABLES = {"audit_event", "access_event"}
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(click.ClickException):
    """A backup or restore that cannot be done, with the reason for the person who asked."""


def holds_data() -> bool:
    """True when any table besides the reference data, the logs and SQLite's search index has a row."""
    inspector = sa.inspect(db.engine)
    with db.engine.connect() as conn:
        for name in inspector.get_table_names():
            if name in REFERENCE_TABLES or name in LOG_TABLES or is_search_table(name):
                continue
            table = sa.table(name)
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                return True
    return False


def backup(path: Path) -> None:
    """Write a consistent copy of the database to ``path``."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as source, sqlite3.connect(path) as target:
            source.backup(target)
        source.close()
        target.close()
    else:
        _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}")


def restore(path: Path) -> None:
    """Replace the database's contents with the copy in ``path``."""
    url = db.engine.url
    head = path.read_bytes()[:16]
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold a lock on what is about to be replaced
    if url.get_backend_name() == "sqlite":
        if head != SQLITE_MAGIC:
            raise BackupError(f"{path} is not an SQLite backup; this app runs on SQLite.")
        with sqlite3.connect(path) as source, sqlite3.connect(url.database) as target:
            source.backup(target)
        source.close()
        target.close()
    else:
        if not head.startswith(PG_CUSTOM_MAGIC):
            raise BackupError(f"{path} is not a pg_dump custom-format backup; this app runs on PostgreSQL.")
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", str(path))


def _run(program: str, *args: str) -> None:
    """Run a PostgreSQL client program against the app's database; the password goes by environment."""
    executable = shutil.which(program)
    if not executable:
        raise BackupError(f"{program} is missing: install the PostgreSQL client programs.")
    url = db.engine.url
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    # A fixed program found on PATH; the arguments come from our settings, not from a request.
    result = subprocess.run(  # nosec B603
        [executable, f"--dbname={target}", *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise BackupError(f"{program} failed: {result.stderr.strip()}")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE when it exists.")
@with_appcontext
def backup_command(file: Path, force: bool):
    """Copy the whole database into FILE (SQLite: a database file; PostgreSQL: pg_dump custom format)."""
    if file.exists() and not force:
        raise BackupError(f"{file} exists; choose another name or add --force.")
    file.unlink(missing_ok=True)
    backup(file)
    file.chmod(0o600)  # the copy holds the same special-category data as the database
    click.echo(f"Backed up the database to {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(file: Path, force: bool):
    """Replace the database with the backup in FILE; refuses a database with data unless --force."""
    if holds_data() and not force:
        raise BackupError("The database already holds data; restoring would replace it. Add --force to do so.")
    restore(file)
    click.echo(f"Restored the database from {file}.")
