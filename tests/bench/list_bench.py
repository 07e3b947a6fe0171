"""List-view benchmark at a national register's size: server time of the screens a person opens.

    .venv/bin/python -m tests.bench.list_bench --clients 100000 --deliveries 1000000 [--database URL]
    .venv/bin/python -m tests.bench.list_bench --keep --explain --database URL   # reuse, show plans

Fills a scratch database (SQLite under /tmp unless ``--database`` names a PostgreSQL one) with
``flask seed-scale``'s data: the schema by the migrations, then the bulk load. ``--keep`` reuses a
database that already holds data. Then, signed in as the head of department through Flask's test
client (the whole request: routing, access checks, queries, templates), times the first page of
every register, a filtered page, a search by name, a search by personal code, a sort by a column,
page 1,000, the case file of the busiest client, the details page of the latest invoice (its
first page, a later page and a search for a client on it; the latest month's draft is generated,
untimed, when there is none: ``invoice_bench`` times generating and confirming). Prints the
median and the 95th percentile over ``--runs`` runs and the SQL statements each request ran;
``--explain`` prints the query plans of the main list queries too.
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

HEAD = "bench-head@scale.example"
PASSWORD = "bench-parool-12345"
#: Every list, search, deep page and the case file: median and 95th percentile (issue 17, item 6).
TARGET_MS, TARGET_P95_MS = 50, 100
#: The details page of a national month's invoice (~80,000 lines), on every page and search (issue 17).
INVOICE_PAGE_TARGET_MS = 150
EXPLAINED = ("clients", "clients: search by name", "clients: search by personal code", "deliveries")
EXPLAINED += ("deliveries: sorted by amount", "clients: page 1,000", "clients: active only", "case_steps")
EXPLAINED += ("deliveries: page 1,000", "providers")


def _app(database: str, instance: Path):
    os.environ.update(
        DATABASE_URL=database, JUHTUM_INSTANCE=str(instance), JUHTUM_CONFIG="development", JUHTUM_LANGUAGE="et"
    )
    from admin_app import create_app

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def fill(app, clients: int, deliveries: int, keep: bool) -> None:
    """Migrate, then load ``seed-scale``'s data unless ``keep`` and the database holds some."""
    from flask_migrate import upgrade

    from models import db
    from models.seed import scale

    with app.app_context():
        upgrade()
        if keep and not scale.is_empty():
            print("reusing the data already in the database", file=sys.stderr)
        else:
            _load(db, scale, clients, deliveries)
        # Fresh statistics and visibility map, as autovacuum keeps them on a database in use
        # (a bulk load leaves neither, and PostgreSQL cannot count by an index-only scan).
        vacuum = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(vacuum))


def _load(db, scale, clients: int, deliveries: int) -> None:
    from flask_migrate import downgrade, upgrade

    if db.engine.dialect.name == "postgresql":
        downgrade(revision="base")
    else:
        db.session.remove()
        db.engine.dispose()
        Path(db.engine.url.database).unlink(missing_ok=True)
    from admin_app.auth import ensure_roles, new_user

    upgrade()
    ensure_roles()
    start = time.perf_counter()
    scale.seed(clients, deliveries, new_user=new_user, echo=lambda line: print(line, file=sys.stderr))
    print(f"seed-scale took {time.perf_counter() - start:.0f} s", file=sys.stderr)


def _sign_in(app):
    from flask_security import hash_password

    from admin_app.auth import create_user
    from models import User, db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == HEAD))
        if user is None:
            create_user(HEAD, PASSWORD, ["head"], "Bench Head")
        else:
            # Each run has a fresh instance folder, so a fresh password salt: hash it again.
            user.password = hash_password(PASSWORD)
            db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": HEAD, "password": PASSWORD})
    assert response.status_code == 302, "the benchmark user could not sign in"
    return client


def requests(app) -> list[tuple[str, str]]:
    """(label, URL) of every request the benchmark times."""
    from flask_admin.contrib.sqla import ModelView
    from flask_admin.contrib.sqla.filters import FilterEqual

    from admin_app.views import list_filter
    from models import Client, ClientStatus, Invoice, InvoiceKind, InvoiceLine, db
    from models.seed import scale

    views = {v.endpoint: v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)}
    urls = [(name, f"{v.url}/") for name, v in views.items() if name != "users"]
    clients, deliveries = views["clients"], views["deliveries"]
    with app.test_request_context(), app.app_context():
        clients._refresh_filters_cache()
        status = list_filter(clients, Client.status, FilterEqual)
        amount = [name for name, _ in deliveries._list_columns].index("amount")
        code, last = db.session.execute(
            sa.select(Client.personal_code, Client.last_name).order_by(Client.id.desc()).limit(1)
        ).one()
        first = db.session.scalar(sa.select(Client.first_name).order_by(Client.id.desc()).limit(1))
        busy = scale.busiest_client()
        invoice = db.session.scalar(
            sa.select(Invoice.id).where(Invoice.kind == InvoiceKind.INVOICE).order_by(Invoice.id.desc()).limit(1)
        )
        on_invoice = None
        if invoice is not None:
            on_invoice = db.session.scalar(
                sa.select(Client.last_name)
                .join(InvoiceLine, InvoiceLine.client_id == Client.id)
                .where(InvoiceLine.invoice_id == invoice)
                .order_by(InvoiceLine.id.desc())
                .limit(1)
            )
    invoice_pages = []
    if invoice is not None:
        invoice_pages = [
            ("invoice details", f"/admin/invoices/details/?id={invoice}"),
            ("invoice details: page 500", f"/admin/invoices/details/?id={invoice}&page=500"),
            ("invoice details: search by name", f"/admin/invoices/details/?id={invoice}&q={on_invoice}"),
        ]
    return (
        urls
        + invoice_pages
        + [
            ("clients: active only", f"{clients.url}/?flt0_{status}={ClientStatus.ACTIVE.value}"),
            ("clients: search by name", f"{clients.url}/?search={first}+{last}"),
            ("clients: search by personal code", f"{clients.url}/?search={code}"),
            ("deliveries: sorted by amount", f"{deliveries.url}/?sort={amount}&desc=1"),
            ("clients: page 1,000", f"{clients.url}/?page=999"),
            ("deliveries: page 1,000", f"{deliveries.url}/?page=999"),
            ("case file of the busiest client", f"/admin/case-file/?client_id={busy}"),
        ]
    )


def _percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Split:
    """Where one request's time goes: inside the database driver's ``execute`` (SQL), inside
    ``render_template`` less the SQL run from it (template; of it, ``cells``: the column formatters
    Flask-Admin calls from the template for each cell), and the rest (Python: routing, access
    checks, building the queries, turning rows into objects, Flask-Admin's list arguments)."""

    def __init__(self, app, engine):
        self.app, self.engine = app, engine
        self.statements: list = []
        self.sql = self.template = self.cells = 0.0
        self._sql_start = self._template_start = None
        self._template_sql = 0.0
        self._patched: list = []

    def _before_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))
        self._sql_start = time.perf_counter()

    def _after_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self._sql_start is not None:
            self.sql += time.perf_counter() - self._sql_start
            self._sql_start = None

    def _before_render(self, sender, template, context, **extra):
        self._template_start = time.perf_counter()
        self._template_sql = self.sql

    def _rendered(self, sender, template, context, **extra):
        if self._template_start is not None:
            elapsed = time.perf_counter() - self._template_start
            self.template += elapsed - (self.sql - self._template_sql)
            self._template_start = None

    def _timed_cells(self, view):
        from jinja2 import pass_context

        own = view.get_list_value

        @pass_context
        def get_list_value(context, model, name):
            start = time.perf_counter()
            try:
                return own(context, model, name)
            finally:
                self.cells += time.perf_counter() - start

        return get_list_value

    def __enter__(self):
        from flask import before_render_template, template_rendered
        from flask_admin.model import BaseModelView

        self.statements.clear()
        self.sql = self.template = self.cells = 0.0
        event.listen(self.engine, "before_cursor_execute", self._before_execute)
        event.listen(self.engine, "after_cursor_execute", self._after_execute)
        before_render_template.connect(self._before_render, self.app)
        template_rendered.connect(self._rendered, self.app)
        for view in self.app.extensions["admin"][0]._views:
            if isinstance(view, BaseModelView):
                view.get_list_value = self._timed_cells(view)
                self._patched.append(view)
        return self

    def __exit__(self, *exc):
        from flask import before_render_template, template_rendered

        event.remove(self.engine, "before_cursor_execute", self._before_execute)
        event.remove(self.engine, "after_cursor_execute", self._after_execute)
        before_render_template.disconnect(self._before_render, self.app)
        template_rendered.disconnect(self._rendered, self.app)
        for view in self._patched:
            del view.get_list_value  # the class's own again
        self._patched.clear()
        return False


def time_requests(app, client, runs: int, explain: bool, only: str | None = None) -> list[tuple]:
    """Per request: label, median ms, p95 ms, statements, and the medians of SQL, Python, template
    and cells ms (see ``Split``; each the median over the runs, so they need not add up exactly) and
    of the CPU time of this process (the web side's work, PostgreSQL's not included: it varies
    less than the clock on a machine that others load too)."""
    from models import db

    with app.app_context():
        engine = db.engine
    rows = []
    for label, url in requests(app):
        if only and only not in label:
            continue
        size = len(client.get(url).get_data())  # warm: templates compiled, caches filled
        timings, sql, python, template, cells, cpu = [], [], [], [], [], []
        for _ in range(runs):
            with Split(app, engine) as split:
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                total = time.perf_counter() - start
                cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            timings.append(total * 1000)
            sql.append(split.sql * 1000)
            template.append(split.template * 1000)
            cells.append(split.cells * 1000)
            python.append((total - split.sql - split.template) * 1000)
        parts = [statistics.median(part) for part in (sql, python, template, cells, cpu)]
        rows.append((label, *_percentiles(timings), len(split.statements), *parts))
        print(f"  {label}: {rows[-1][1]:.1f} ms median, {size:,} bytes", file=sys.stderr, flush=True)
        if explain and label in EXPLAINED:
            _explain(engine, label, url, list(split.statements))
    return rows


def _explain(engine, label: str, url: str, statements) -> None:
    """The plan of each statement the request ran against the register's tables."""
    print(f"\n=== EXPLAIN {label}: {url}")
    postgresql = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT") or "roles_users" in statement:
                continue
            if 'FROM "user"' in statement or "FROM user " in statement:
                continue
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
            plan = conn.exec_driver_sql(prefix + statement, parameters).all()
            print("--", " ".join(statement.split())[:160], "…")
            for row in plan:
                print("   ", row[-1] if not postgresql else row[0])


def ensure_invoice(app) -> None:
    """Generate the latest month's draft once, untimed, when the database has no invoice: the
    details pages are timed on it. Generating and confirming are timed by ``invoice_bench``
    (``make bench-invoice``), which tells a first generation from a regeneration."""
    from models import Invoice, InvoiceKind, ServiceDelivery, db
    from models.invoicing import generate_invoice

    with app.app_context():
        if db.session.scalar(sa.select(Invoice.id).where(Invoice.kind == InvoiceKind.INVOICE).limit(1)) is None:
            generate_invoice(db.session.scalar(sa.select(sa.func.max(ServiceDelivery.delivered_on))))


def print_table(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}")
    print("SQL: inside the driver's execute; template: render_template less its SQL, cells (in it): the")
    print("column formatters; Python: the rest. CPU: this process's CPU time (the web side's work, not")
    print("PostgreSQL's). Each part is its own median over the runs. Times in ms.")
    head = f"{'request':44} {'median':>7} {'p95':>7} {'stmts':>5} {'SQL':>6} {'Python':>7} {'templ.':>7} {'cells':>6}"
    head += f" {'CPU':>6}"
    print(head + "  target")
    for label, median, p95, statements, sql, python, template, cells, cpu in rows:
        if label.startswith("invoice details"):
            met, target = median < INVOICE_PAGE_TARGET_MS, f"< {INVOICE_PAGE_TARGET_MS} ms"
        else:
            met, target = median < TARGET_MS and p95 < TARGET_P95_MS, f"< {TARGET_MS}, p95 < {TARGET_P95_MS} ms"
        print(
            f"{label:44} {median:7.1f} {p95:7.1f} {statements:>5} {sql:6.1f} {python:7.1f} {template:7.1f} {cells:6.1f}"
            f" {cpu:6.1f}  {'ok' if met else 'MISS'} ({target})"
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--database", help="SQLAlchemy URL of a scratch database (default: SQLite under /tmp)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each request")
    parser.add_argument("--keep", action="store_true", help="reuse the data already in the database")
    parser.add_argument("--explain", action="store_true", help="print the plans of the main list queries")
    parser.add_argument("--only", help="time only the requests whose label contains this (no invoice generation)")
    args = parser.parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="juhtum-list-bench-"))
    database = args.database or f"sqlite:///{Path(tempfile.gettempdir()) / 'juhtum-list-bench.db'}"
    app = _app(database, instance)
    fill(app, args.clients, args.deliveries, args.keep)
    client = _sign_in(app)
    with app.app_context():
        from models import Client, ServiceDelivery, db

        clients = db.session.scalar(sa.select(sa.func.count(Client.id)))
        deliveries = db.session.scalar(sa.select(sa.func.count(ServiceDelivery.id)))
        backend = db.engine.dialect.name
    ensure_invoice(app)
    rows = time_requests(app, client, args.runs, args.explain, args.only)
    cores = os.cpu_count()
    print_table(
        f"{backend}: {clients:,} clients, {deliveries:,} deliveries; {args.runs} runs each; {cores} CPU cores",
        rows,
    )


if __name__ == "__main__":
    main()
