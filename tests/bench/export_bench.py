"""Export benchmark: juhtum's streamed export against Flask-Admin's stock export and the floor.

    .venv/bin/python -m tests.bench.export_bench --clients 100000 --deliveries 1000000 [--database URL]

Fills a scratch database (SQLite under /tmp unless ``--database`` names a PostgreSQL one; it is
emptied first) with clients and service deliveries by bulk inserts, then exports the whole
deliveries register three ways, each in a fresh process so that its peak memory is its own:

* ``stock``: Flask-Admin's own xlsx export (tablib), on a plain ``ModelView`` of the same columns;
* ``juhtum``: the register's export (``admin_app/registers/export.py``), streamed, read to the end;
* ``floor``: the least any exporter must do — one query of the same columns read in chunks and
  written by xlsxwriter in constant memory, no web layer at all.

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


def fill(database: str, instance: Path, clients: int, deliveries: int = 0) -> None:
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
        if deliveries:
            _fill_deliveries(deliveries)


def _fill_deliveries(count: int) -> None:
    """``count`` deliveries over twelve months, spread over the clients, 20 providers and 12 components."""
    from decimal import ROUND_HALF_UP, Decimal

    import sqlalchemy as sa

    from models import Client, Provider, ServiceComponent, ServiceDelivery, codes, db

    start = time.perf_counter()
    db.session.execute(
        sa.insert(Provider),
        [
            dict(registry_code=codes.make_registry_code("10", n), name=f"Teenus OÜ {n}", is_component=True, active=True)
            for n in range(20)
        ],
    )
    db.session.execute(
        sa.insert(ServiceComponent),
        [dict(code=f"ISTE-{n:02d}", name=f"Teenuskomponent {n}", area="mental_health", unit="hour") for n in range(12)],
    )
    providers = db.session.scalars(sa.select(Provider.id)).all()
    components = db.session.scalars(sa.select(ServiceComponent.id)).all()
    clients = db.session.scalars(sa.select(Client.id).where(Client.entry_date.is_not(None))).all()
    batch = []
    for n in range(count):
        price = Decimal(20 + (n % 7) * 5)
        quantity = Decimal(1 + n % 4) + Decimal("0.5") * (n % 2)
        batch.append(
            dict(
                client_id=clients[n % len(clients)],
                provider_id=providers[n % len(providers)],
                component_id=components[n % len(components)],
                mode="individual",
                delivered_on=date(2025, 12, 1) + timedelta(days=n % 365),
                quantity=quantity,
                unit_price=price,
                amount=(quantity * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            )
        )
        if len(batch) == 20_000:
            db.session.execute(sa.insert(ServiceDelivery), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(ServiceDelivery), batch)
    db.session.commit()
    print(f"filled {count:,} deliveries in {time.perf_counter() - start:.1f} s", file=sys.stderr)


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


def run_juhtum(app, register: str) -> tuple[int, int]:
    client = _signed_in_client(app)
    response = client.get(REGISTERS[register][2] + "export/xlsx/", buffered=False)
    assert response.status_code == 200, response.status_code
    return _read_all(response), _count(app, register)


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
        .outerjoin(Invoice, Invoice.id == d.invoice_id)
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


def _count(app, register: str) -> int:
    import sqlalchemy as sa

    from models import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(_model(register)))


def child(method: str, register: str, database: str, instance: Path) -> None:
    _environment(database, instance)
    app = _app()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if method != "floor":
        _signed_in_client(app)  # the user exists before the clock starts (argon2 is slow on purpose)
    start, cpu = time.perf_counter(), time.process_time()
    size, rows, *timed = {"stock": run_stock, "juhtum": run_juhtum, "floor": run_floor}[method](app, register)
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
    print(f"{'method':<8} {'rows':>10} {'wall s':>8} {'CPU s':>7} {'rows/s':>9} {'peak RSS MB':>12} {'file MB':>8}")
    for r in results:
        print(
            f"{r['method']:<8} {r['rows']:>10,} {r['seconds']:>8.1f} {r['cpu']:>7.1f} "
            f"{r['rows'] / r['seconds']:>9,.0f} {r['peak_mb']:>12.0f} {r['bytes'] / 1e6:>8.1f}"
        )
    if "juhtum" in by:
        ours = by["juhtum"]["seconds"]
        if "stock" in by:
            print(
                f"stock / juhtum time: {by['stock']['seconds'] / ours:.2f}x wall, "
                f"{by['stock']['cpu'] / by['juhtum']['cpu']:.2f}x CPU  (target: at least 3x)"
            )
        if "floor" in by:
            print(
                f"juhtum / floor time: {ours / by['floor']['seconds']:.2f}x wall, "
                f"{by['juhtum']['cpu'] / by['floor']['cpu']:.2f}x CPU  (target: within 1.3x)"
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
