"""Export benchmark: juhtum's streamed export against Flask-Admin's stock export and the floor.

    .venv/bin/python -m tests.bench.export_bench --clients 100000 [--database URL]

Fills a scratch database (SQLite under /tmp unless ``--database`` names a PostgreSQL one; it is
emptied first) with believable clients by bulk inserts, then exports the whole client register
three ways, each in a fresh process so that its peak memory is its own:

* ``stock``: Flask-Admin's own xlsx export (tablib), on a plain ``ModelView`` of the same columns;
* ``juhtum``: the register's export (``admin_app/views/export.py``), streamed, read to the end;
* ``floor``: the least any exporter must do — one query of the same columns read in chunks and
  written by xlsxwriter in constant memory, no web layer at all.

Prints wall time, rows per second, peak resident memory (RSS) and the ratios, as a table.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("stock", "juhtum", "floor")
FIRST = ("Mari", "Jüri", "Kati", "Peeter", "Anu", "Toomas", "Liis", "Märt", "Õie", "Ülle")
LAST = ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel")


def _environment(database: str, instance: Path) -> None:
    os.environ["DATABASE_URL"] = database
    os.environ["JUHTUM_INSTANCE"] = str(instance)
    os.environ["JUHTUM_CONFIG"] = "development"
    os.environ["JUHTUM_LANGUAGE"] = "et"


def _app():
    import logging

    from admin_app import create_app

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def fill(database: str, instance: Path, clients: int) -> None:
    """Schema by the migrations, then ``clients`` clients by bulk inserts of 10,000 rows."""
    _environment(database, instance)
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from models import Client, Municipality, User, codes, db

    app = _app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            downgrade(revision="base")
        upgrade()
        db.session.add_all(Municipality(name=f"Vald {n}", county="Raplamaa") for n in range(20))
        db.session.add_all(
            User(
                email=f"kj{n}@vald.ee",
                full_name=f"Juhtumikorraldaja {n}",
                active=True,
                fs_uniquifier=f"bench-{n}",
                password="x",
            )
            for n in range(10)
        )
        db.session.commit()
        municipalities = db.session.scalars(sa.select(Municipality.id)).all()
        managers = db.session.scalars(sa.select(User.id)).all()
        start = time.perf_counter()
        batch = []
        for n in range(clients):
            born = date(1950, 1, 1) + timedelta(days=(n * 37) % (365 * 55))
            sex = "F" if n % 2 else "M"
            entered = date(2024, 1, 1) + timedelta(days=n % 900) if n % 4 else None
            batch.append(
                dict(
                    personal_code=codes.make_personal_code(born, sex, n),
                    birth_date=born,
                    sex=sex,
                    first_name=FIRST[n % len(FIRST)],
                    last_name=f"{LAST[(n // 10) % len(LAST)]}{n}",
                    target_group=("pilot", "youth", "special_needs")[n % 3],
                    status="active" if entered else "applicant",
                    entry_date=entered,
                    applied_on=(entered or date(2026, 1, 1)) - timedelta(days=30),
                    municipality_id=municipalities[n % len(municipalities)],
                    case_manager_id=managers[n % len(managers)],
                    disability="severe",
                    phone=f"+372 5{n % 10_000_000:07d}",
                )
            )
            if len(batch) == 10_000:
                db.session.execute(sa.insert(Client), batch)
                batch = []
        if batch:
            db.session.execute(sa.insert(Client), batch)
        db.session.commit()
        print(f"filled {clients:,} clients in {time.perf_counter() - start:.1f} s", file=sys.stderr)


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


def run_stock(app) -> tuple[int, int]:
    from flask_admin.contrib.sqla import ModelView

    from admin_app.views.clients import ClientView
    from models import Client, db

    class StockClientView(ModelView):
        column_list = ClientView.column_list
        can_export = True
        export_types = ["xlsx"]
        export_max_rows = 0

        def is_accessible(self):
            return True

    admin = app.extensions["admin"][0]
    admin.add_view(StockClientView(Client, db, endpoint="stock_clients", url="stock-clients"))
    client = _signed_in_client(app)
    response = client.get("/admin/stock-clients/export/xlsx/", buffered=False)
    assert response.status_code == 200, response.status_code
    return _read_all(response), _count(app)


def run_juhtum(app) -> tuple[int, int]:
    client = _signed_in_client(app)
    response = client.get("/admin/clients/export/xlsx/", buffered=False)
    assert response.status_code == 200, response.status_code
    return _read_all(response), _count(app)


def run_floor(app) -> tuple[int, int]:
    import sqlalchemy as sa
    import xlsxwriter

    from models import Client, Municipality, User, db

    with app.app_context():
        query = (
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
            .execution_options(yield_per=1000)
        )
        fd, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(fd)
        book = xlsxwriter.Workbook(path, {"constant_memory": True})
        sheet = book.add_worksheet()
        dates = book.add_format({"num_format": "dd.mm.yyyy"})
        rows = 0
        for rows, row in enumerate(db.session.execute(query), start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(rows, col, value, dates)
                else:
                    sheet.write_string(rows, col, str(value))
        book.close()
        size = os.path.getsize(path)
        os.unlink(path)
        return size, rows


def _count(app) -> int:
    import sqlalchemy as sa

    from models import Client, db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Client.id)))


def child(method: str, database: str, instance: Path) -> None:
    _environment(database, instance)
    app = _app()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    size, rows = {"stock": run_stock, "juhtum": run_juhtum, "floor": run_floor}[method](app)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "method": method,
                "rows": rows,
                "seconds": seconds,
                "bytes": size,
                "peak_mb": peak / 1024,
                "baseline_mb": baseline / 1024,
            }
        )
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--database", help="a PostgreSQL URL (emptied first); default: SQLite under /tmp")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.database, Path(args.instance))
        return 0
    with tempfile.TemporaryDirectory(prefix="juhtum-bench-") as tmp:
        instance = Path(tmp)
        database = args.database or f"sqlite:///{instance / 'bench.db'}"
        fill(database, instance, args.clients)
        results = []
        for method in args.methods.split(","):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.bench.export_bench",
                    "--child",
                    method,
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
    by = {r["method"]: r for r in results}
    engine = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
    print(f"\nExport of the client register, {args.clients:,} rows, {engine}, xlsx")
    print(f"{'method':<8} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'peak RSS MB':>12} {'file MB':>8}")
    for r in results:
        print(
            f"{r['method']:<8} {r['rows']:>10,} {r['seconds']:>9.1f} {r['rows'] / r['seconds']:>10,.0f} "
            f"{r['peak_mb']:>12.0f} {r['bytes'] / 1e6:>8.1f}"
        )
    if "juhtum" in by:
        ours = by["juhtum"]["seconds"]
        if "stock" in by:
            print(f"stock / juhtum time: {by['stock']['seconds'] / ours:.2f}x  (target: at least 3x)")
        if "floor" in by:
            print(f"juhtum / floor time: {ours / by['floor']['seconds']:.2f}x  (target: within 1.3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
