"""Export benchmark: juhtum's exports (streamed, as a background job) against Flask-Admin's and two floors.

    .venv/bin/python -m tests.bench.export_bench --clients 100000 --deliveries 1000000 [--database URL]

Fills a scratch database (SQLite under /tmp unless ``--database`` names a PostgreSQL one; it is
emptied first) with clients and service deliveries by bulk inserts, then exports the whole
deliveries register these ways, each in a fresh process so that its peak memory is its own:

* ``stock``: Flask-Admin's own xlsx export (tablib), on a plain ``ModelView`` of the same columns;
* ``streamed``: the register's export (``admin_app/registers/export.py``) as a user gets it below
  ``BACKGROUND_EXPORT_ROWS`` (50,000): streamed in the answer, read to the end. Above the threshold
  a user gets the job instead; the benchmark then raises the threshold for this process, so that
  the streamed path is timed on the same rows (the table says so);
* ``job``: the export as a user gets it above the threshold: the request answers with a redirect to
  the progress page, the job writes the file (here in the web process's own worker thread, as
  without ``REDIS_URL``), the progress is polled until done, and the file is downloaded from *My
  downloads*, read to the end. Timed from the request to the last byte; its peak memory is the web
  process's and the job's together, and ``before job`` is the process's peak when the redirect came.
  Below the threshold the benchmark lowers it for this process, so that the job path is timed;
* ``floor``: the rows already fetched (not timed), written by bare xlsxwriter in constant memory
  with a date and a money format (a type test per cell, as any exporter of mixed columns does);
* ``tight``: a tighter floor: the same rows, dates and money pre-converted to numbers (not timed),
  each column's write method and format picked once, no per-cell test or look-up.

Prints wall and CPU time, rows per second, peak resident memory (RSS) and the ratios, as a table
(CPU time is the steadier figure on a machine that is doing other work).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from tests.bench.export_fill import _app, _environment, fill

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("stock", "streamed", "job", "floor", "tight")


def _signed_in_client(app):
    from flask_security import hash_password

    from admin_app.auth import ensure_roles, user_datastore
    from models import db

    with app.app_context():
        ensure_roles()
        user = user_datastore.find_user(email="bench-head@vald.ee") or user_datastore.create_user(
            email="bench-head@vald.ee",
            password=hash_password("benchmark-password-1"),
            full_name="Bench Head",
            roles=["head"],
        )
        db.session.commit()
        uniquifier = user.fs_uniquifier
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = uniquifier
        session["_fresh"] = True
    return client


def _read_all(response) -> int:
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return size


#: What a child process had to change to time its path (printed under the table).
NOTES: list[str] = []
#: The peak RSS of the job's process when the redirect came, before the job ran (MB).
BEFORE_JOB: list[float] = []

REGISTERS = {
    # register: (model view module and class, list URL)
    "clients": ("admin_app.views.clients", "ClientView", "/admin/clients/"),
    "deliveries": ("admin_app.views.deliveries", "DeliveryView", "/admin/deliveries/"),
}


def _model(register: str):
    from models import Client, ServiceDelivery

    return {"clients": Client, "deliveries": ServiceDelivery}[register]


def run_stock(app, register: str) -> tuple[int, int]:
    import importlib

    from flask_admin.contrib.sqla import ModelView

    from models import db

    module, name, _url = REGISTERS[register]
    view = getattr(importlib.import_module(module), name)

    class StockView(ModelView):
        column_list = view.column_list
        can_export = True
        export_types = ["xlsx"]
        export_max_rows = 0

        def is_accessible(self):
            return True

    admin = app.extensions["admin"][0]
    admin.add_view(StockView(_model(register), db, endpoint=f"stock_{register}", url=f"stock-{register}"))
    client = _signed_in_client(app)
    response = client.get(f"/admin/stock-{register}/export/xlsx/", buffered=False)
    assert response.status_code == 200, response.status_code
    return _read_all(response), _count(app, register)


def _threshold(app) -> int:
    return app.config["BACKGROUND_EXPORT_ROWS"]


def run_streamed(app, register: str) -> tuple[int, int]:
    rows = _count(app, register)
    if rows > _threshold(app):  # a user would get the job: time the streamed path on the same rows
        NOTES.append(f"streamed: threshold raised from {_threshold(app):,} for this run")
        app.config["BACKGROUND_EXPORT_ROWS"] = rows
    client = _signed_in_client(app)
    response = client.get(REGISTERS[register][2] + "export/xlsx/", buffered=False)
    assert response.status_code == 200, response.status_code
    return _read_all(response), rows


def run_job(app, register: str) -> tuple[int, int]:
    """Start the export, follow the progress page to the end, download the file from My downloads."""
    from admin_app.background import wait_for_local_jobs

    rows = _count(app, register)
    if rows <= _threshold(app):  # a user would get it streamed: time the job path on the same rows
        NOTES.append(f"job: threshold lowered from {_threshold(app):,} for this run")
        app.config["BACKGROUND_EXPORT_ROWS"] = 0
    app.config["REDIS_URL"] = ""  # the job runs in this process's worker thread
    client = _signed_in_client(app)
    response = client.get(REGISTERS[register][2] + "export/xlsx/")
    assert response.status_code == 302, f"a large export is not a job: {response.status_code}"
    progress = response.headers["Location"]
    assert client.get(progress).status_code == 200
    BEFORE_JOB.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    while True:  # as the progress page does, less often
        status = client.get(progress + "status").get_json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    wait_for_local_jobs(app)
    assert status["status"] == "done", status
    assert status["rows_done"] == rows, status
    file = client.get(status["file_url"], buffered=False)
    assert file.status_code == 200, file.status_code
    return _read_all(file), rows


def _floor_query(register: str):
    """The register's list columns straight from the tables, joined as the list shows them."""
    import sqlalchemy as sa

    from models import Client, Invoice, Municipality, Provider, ServiceComponent, ServiceDelivery, User

    if register == "clients":
        return (
            sa.select(
                Client.personal_code,
                Client.last_name,
                Client.first_name,
                Client.birth_date,
                Municipality.name,
                Client.target_group,
                User.full_name,
                Client.status,
                Client.phone,
            )
            .outerjoin(Municipality, Municipality.id == Client.municipality_id)
            .outerjoin(User, User.id == Client.case_manager_id)
            .order_by(Client.id)
        )
    d = ServiceDelivery
    return (
        sa.select(
            d.delivered_on,
            d.period_end,
            Client.first_name + " " + Client.last_name,
            Client.personal_code,
            Provider.name,
            ServiceComponent.code + " " + ServiceComponent.name,
            d.mode,
            d.quantity,
            d.unit_price,
            d.amount,
            Invoice.number,
        )
        .join(Client, Client.id == d.client_id)
        .join(Provider, Provider.id == d.provider_id)
        .join(ServiceComponent, ServiceComponent.id == d.component_id)
        .outerjoin(d.invoice)  # its month's confirmed invoice with a line of its key (models/invoices.py)
        .order_by(d.id)
    )


def run_floor(app, register: str) -> tuple[int, int, float]:
    """The same rows already fetched (not timed), written by bare xlsxwriter in constant memory."""
    from decimal import Decimal

    import xlsxwriter

    from models import db

    with app.app_context():
        rows = [tuple(row) for row in db.session.execute(_floor_query(register))]
    start, cpu = time.perf_counter(), time.process_time()
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet()
    dates = book.add_format({"num_format": "dd.mm.yyyy"})
    money = book.add_format({"num_format": '#,##0.00 "€"'})
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(r, col, value, dates)
            elif isinstance(value, Decimal):
                sheet.write_number(r, col, value, money)
            else:
                sheet.write_string(r, col, str(value))
    book.close()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    size = os.path.getsize(path)
    os.unlink(path)
    return size, len(rows), seconds, cpu


def run_tight(app, register: str) -> tuple[int, int, float, float]:
    """The tighter floor: the rows fetched and pre-converted (not timed) — dates to Excel's day
    numbers, money to floats, empty cells dropped — then each cell written by its column's write
    method with its column's format, both picked once: no type test or format look-up per cell."""
    from decimal import Decimal

    import xlsxwriter

    from models import db

    epoch = date(1899, 12, 30)

    def plain(value):
        if isinstance(value, date):
            return float((value - epoch).days)
        return float(value) if isinstance(value, Decimal) else value

    with app.app_context():
        fetched = db.session.execute(_floor_query(register))
        rows = [[(c, plain(v)) for c, v in enumerate(row) if v is not None] for row in fetched]
    sample = {}
    for cells in rows[:1000]:
        sample.update({c: v for c, v in cells if c not in sample})
    start, cpu = time.perf_counter(), time.process_time()
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet()
    dates = book.add_format({"num_format": "dd.mm.yyyy"})
    money = book.add_format({"num_format": '#,##0.00 "€"'})
    columns = _floor_query(register).selected_columns
    writers, formats = [], []
    for c, column in enumerate(columns):
        kind = column.type.python_type if hasattr(column.type, "python_type") else str
        numeric = isinstance(sample.get(c), float)
        writers.append(sheet.write_number if numeric else sheet.write_string)
        formats.append(dates if kind is date else money if numeric else None)
    for r, cells in enumerate(rows, start=1):
        for c, value in cells:
            writers[c](r, c, value, formats[c])
    book.close()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    size = os.path.getsize(path)
    os.unlink(path)
    return size, len(rows), seconds, cpu


def _count(app, register: str) -> int:
    import sqlalchemy as sa

    from models import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(_model(register)))


RUNS = {"stock": run_stock, "streamed": run_streamed, "job": run_job, "floor": run_floor, "tight": run_tight}


def child(method: str, register: str, database: str, instance: Path) -> None:
    _environment(database, instance)
    app = _app()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if method not in ("floor", "tight"):
        _signed_in_client(app)  # the user exists before the clock starts (argon2 is slow on purpose)
    start, cpu = time.perf_counter(), time.process_time()
    size, rows, *timed = RUNS[method](app, register)
    seconds, cpu = timed if timed else (time.perf_counter() - start, time.process_time() - cpu)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "method": method,
                "rows": rows,
                "seconds": seconds,
                "cpu": cpu,
                "bytes": size,
                "peak_mb": peak / 1024,
                "baseline_mb": baseline / 1024,
                "before_job_mb": BEFORE_JOB[0] if BEFORE_JOB else None,
                "notes": NOTES,
            }
        )
    )


def measure(register: str, methods: list[str], database: str, instance: Path) -> list[dict]:
    results = []
    for method in methods:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.bench.export_bench",
                "--child",
                method,
                "--register",
                register,
                "--database",
                database,
                "--instance",
                str(instance),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            print(out.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{method} failed")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def print_table(register: str, engine: str, results: list[dict]) -> None:
    by = {r["method"]: r for r in results}
    rows = results[0]["rows"]
    print(f"\nExport of the {register} register, {rows:,} rows, {engine}, xlsx ({os.cpu_count()} CPUs)")
    head = f"{'method':<9} {'rows':>10} {'wall s':>8} {'CPU s':>7} {'rows/s':>9} {'peak RSS MB':>12}"
    print(head + f" {'before job MB':>14} {'file MB':>8}")
    for r in results:
        before = f"{r['before_job_mb']:>14.0f}" if r.get("before_job_mb") else f"{'':>14}"
        print(
            f"{r['method']:<9} {r['rows']:>10,} {r['seconds']:>8.1f} {r['cpu']:>7.1f} "
            f"{r['rows'] / r['seconds']:>9,.0f} {r['peak_mb']:>12.0f} {before} {r['bytes'] / 1e6:>8.1f}"
        )
    for r in results:
        for note in r.get("notes") or ():
            print(f"  note: {note}")
    for ours in ("streamed", "job"):
        if ours not in by:
            continue
        mine = by[ours]
        if "stock" in by:
            print(
                f"stock / {ours} time: {by['stock']['seconds'] / mine['seconds']:.2f}x wall, "
                f"{by['stock']['cpu'] / mine['cpu']:.2f}x CPU  (target: at least 3x)"
            )
        for floor in ("floor", "tight"):
            if floor in by:
                print(
                    f"{ours} / {floor} time: {mine['seconds'] / by[floor]['seconds']:.2f}x wall, "
                    f"{mine['cpu'] / by[floor]['cpu']:.2f}x CPU  (target: within 1.3x of floor)"
                )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--registers", default="deliveries", help="registers to export: deliveries,clients")
    parser.add_argument("--database", help="a PostgreSQL URL (emptied first); default: SQLite under /tmp")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--register", choices=tuple(REGISTERS), help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.register, args.database, Path(args.instance))
        return 0
    with tempfile.TemporaryDirectory(prefix="juhtum-bench-") as tmp:
        instance = Path(tmp)
        database = args.database or f"sqlite:///{instance / 'bench.db'}"
        engine = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
        fill(database, instance, args.clients, args.deliveries)
        methods = args.methods.split(",")
        for register in args.registers.split(","):
            print_table(register, engine, measure(register, methods, database, instance))
    return 0


if __name__ == "__main__":
    sys.exit(main())
