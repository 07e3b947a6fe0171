"""Commands (``flask --app admin_app ...``): ``create-user``, ``seed-demo``, ``seed-scale``,
``remind-letters``, ``worker``, ``einvoice``; ``backup`` and ``restore`` live in ``backup.py``."""

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from models import Client, Role, RoleName, User, db
from models.importing import ADAPTERS
from models.star import waiting_summary

from .auth import create_user, ensure_roles, new_user


def register_commands(app) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(remind_letters_command)
    from .backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(seed_scale_command)
    app.cli.add_command(einvoice_command)
    app.cli.add_command(star_queue_command)
    app.cli.add_command(import_command)


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in RoleName]),
    help="Role to give; repeat for several.",
)
@click.option("--name", "full_name", default="", help="Full name shown in the app.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email, roles, full_name, password_stdin):
    """Create a user who signs in with EMAIL (asks for the password)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    minimum = current_app.config["SECURITY_PASSWORD_LENGTH_MIN"]
    if len(password) < minimum:
        raise click.ClickException(f"The password must be at least {minimum} characters long.")
    email = email.strip().lower()
    if db.session.scalar(select(User).where(func.lower(User.email) == email)):
        raise click.ClickException(f"A user {email} already exists.")
    if "@" not in email:
        raise click.ClickException(f"{email} is not an e-mail address.")
    create_user(email, password, list(roles), full_name)
    click.echo(f"Created {email} with role(s) {', '.join(roles)}.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds clients.")
@with_appcontext
def seed_demo_command(if_empty):
    """Load a believable demo municipality (never real people's data)."""
    from models.seed import demo

    ensure_roles()
    if db.session.scalar(select(func.count(Client.id))):
        if if_empty:
            click.echo("The database already holds data; demo data not loaded.")
            demo.print_logins(current_app.instance_path)
            return
        raise click.ClickException("The database already holds data; seed-demo fills an empty one only.")
    summary = demo.load(current_app.instance_path, new_user)
    click.echo(summary)
    demo.print_logins(current_app.instance_path)


@click.command("seed-scale")
@click.option("--clients", default=100_000, show_default=True, help="How many clients.")
@click.option("--deliveries", default=1_000_000, show_default=True, help="How many service deliveries.")
@click.option(
    "--force-empty", is_flag=True, help="Empty every table first (all data is lost but the shipped questionnaire)."
)
@with_appcontext
def seed_scale_command(clients, deliveries, force_empty):
    """Fill an empty database with a national register's worth of invented, valid data."""
    import time

    from models import audit
    from models.seed import scale

    if force_empty:
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in scale.SHIPPED:
                    audit.wipe(conn, table)  # the append-only audit tables too: a scratch database
    elif not scale.is_empty():
        raise click.ClickException(
            "The database already holds data; seed-scale fills an empty one (--force-empty empties it first)."
        )
    ensure_roles()
    start = time.perf_counter()
    counts = scale.seed(clients, deliveries, new_user=new_user, echo=click.echo)
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    click.echo(f"Loaded {summary} in {time.perf_counter() - start:.0f} s.")


@click.command("remind-letters")
@with_appcontext
def remind_letters_command():
    """E-mail each person answering letters the ones due within five working days or overdue."""
    import smtplib

    from .reminders import send_reminders

    try:
        sent = send_reminders(echo=click.echo)
    except (OSError, smtplib.SMTPException) as exc:
        raise click.ClickException(f"The mail server refused or could not be reached: {exc}") from None
    click.echo(f"Reminders: {sent}.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
@with_appcontext
def worker_command(burst):
    """Run background jobs (large exports) from the RQ queue at REDIS_URL."""
    from rq import Worker

    from . import background

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("Set REDIS_URL: without it the app runs background jobs itself.")
    background._worker_pid = os.getpid()
    queue = background.rq_queue(current_app)
    Worker([queue], connection=queue.connection).work(burst=burst)


@click.command("einvoice")
@click.argument("number")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: its own name)."
)
@with_appcontext
def einvoice_command(number, output):
    """Write the e-invoice (EN 16931 XML) of the invoice or credit note NUMBER, checked as an operator
    checks it; once sent, the very file SKA received."""
    from exports import einvoice
    from models import Invoice, RuleViolation

    invoice = db.session.scalar(select(Invoice).where(Invoice.number == number.strip()))
    if invoice is None:
        raise click.ClickException(f"No invoice or credit note has the number {number}; a draft has none yet.")
    if invoice.einvoice is not None:
        content, name = invoice.einvoice.content, invoice.einvoice.name
    else:
        try:
            content, name = einvoice.build(invoice), einvoice.filename(invoice)
        except RuleViolation as e:
            raise click.ClickException("\n".join(e.errors.values())) from None
    path = output or name
    with open(path, "wb") as target:
        target.write(content)
    click.echo(f"{path}: {len(content)} bytes, checked against the UBL 2.1 schema and the EN 16931 rules.")


@click.command("star-queue")
@with_appcontext
def star_queue_command():
    """How many records wait to be entered in STAR, per case manager: waiting, more than five
    working days, the oldest one's age in days (e.g. for a weekly reminder)."""
    managers = db.session.scalars(
        select(User).where(User.roles.any(Role.name == "case_manager")).order_by(User.full_name, User.email)
    ).all()
    rows = [(str(m), waiting_summary(Client.case_manager_id == m.id)) for m in managers]
    rows.append(("(no case manager)", waiting_summary(Client.case_manager_id.is_(None))))
    for name, s in rows:
        if s["waiting"]:
            click.echo(f"{name}\t{s['waiting']} waiting\t{s['late']} late\toldest {s['oldest_days']} days")
    total = waiting_summary()
    click.echo(f"total\t{total['waiting']} waiting\t{total['late']} late")


@click.command("import")
@click.argument("register", type=click.Choice(list(ADAPTERS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and print the summary; save nothing.")
@with_appcontext
def import_command(register, file, dry_run):
    """Import FILE (xlsx or CSV, the register's export headings) into REGISTER: all rows or none."""
    from flask_babel import force_locale

    from models import importing

    # No request context: the audit names the command ("CLI: flask import") as the one who saved.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            if dry_run:
                result = importing.preview(register, file, db.session)
            else:
                source = f"import: {os.path.basename(file)}"
                result = importing.save(register, file, db.session, source=source)
        except importing.FileError as e:
            raise click.ClickException(str(e)) from None
        for row in result.rows:
            if row.status == "error":
                for heading, message in row.errors.items():
                    click.echo(f"row {row.number}, {heading}: {message}", err=True)
        click.echo(result.summary())
    if result.errors:
        raise click.ClickException("Nothing was saved: some rows have errors." if not dry_run else "Rows have errors.")
    click.echo("Dry run: nothing was saved." if dry_run else "Saved.")
