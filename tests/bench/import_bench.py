"""Import benchmark: a file of N new clients through the preview, then the save, then the same file
again (every row unchanged), on SQLite or PostgreSQL.

    .venv/bin/python -m tests.bench.import_bench --rows 100000 [--database URL] [--format xlsx|csv]

The database (SQLite under /tmp unless ``--database`` names a PostgreSQL one, which is emptied
first) gets the schema by the migrations. Each stage runs in a fresh process, so its peak memory
(resident set, RSS) is its own. Prints wall and CPU time, rows per second and peak memory per stage.
The figures for 10,000 and 100,000 rows show whether memory grows with the file (it should not:
rows are read as a stream and checked and written in batches, models/importing/engine.py).
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
FIRST = ("Mari", "Jüri", "Kati", "Peeter", "Anu", "Toomas", "Liis", "Märt", "Õie", "Ülle")
LAST = ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel")
STAGES = ("preview", "save", "reimport")


def _environment(database: str, instance: Path) -> None:
    os.environ["DATABASE_URL"] = database
    os.environ["JUHTUM_INSTANCE"] = str(instance)
    os.environ["JUHTUM_CONFIG"] = "development"
    os.environ["JUHTUM_LANGUAGE"] = "et"


def _app():
    import logging

    from admin_app import create_app

    logging.getLogger("alembic").setLevel(logging.WARNING)
    return create_app()


def prepare(database: str, instance: Path, rows: int, path: Path, kind: str) -> None:
    """An empty schema by the migrations, and the file of ``rows`` new clients."""
    _environment(database, instance)
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from exports.tabular import Column, Conventions, Sheet, csv_chunks, write_xlsx
    from models import codes, db

    app = _app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    headings = ["Isikukood", "Perekonnanimi", "Eesnimi", "Sihtrühm", "Staatus", "Telefon"]

    def lines():
        for i in range(rows):
            born = date(1950, 1, 1) + timedelta(days=i // 900)
            code = codes.make_personal_code(born, "F" if i % 2 else "M", i % 900)
            yield [code, LAST[i % 10], FIRST[(i // 10) % 10], "Noor", "Taotleja", f"5{i:07d}"]

    sheet = Sheet(name="Kliendid", columns=[Column(h) for h in headings])
    if kind == "csv":
        with open(path, "wb") as handle:
            for chunk in csv_chunks(sheet, lines(), Conventions()):
                handle.write(chunk)
    else:
        write_xlsx(str(path), sheet, lines(), Conventions())


def stage(database: str, instance: Path, name: str, path: Path) -> dict:
    """One stage in this process: its counts, times and peak memory."""
    _environment(database, instance)
    from flask_babel import force_locale

    from models import db, importing

    app = _app()
    with app.app_context(), force_locale("et"):
        wall, cpu = time.perf_counter(), time.process_time()
        if name == "preview":
            result = importing.preview("clients", path, db.session)
        else:
            result = importing.save("clients", path, db.session, source=f"import: {path.name}")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"stage": name, "counts": dict(result.counts), "wall": wall, "cpu": cpu, "peak_mb": peak_kb / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", help="a PostgreSQL URL (emptied!); default: SQLite under /tmp")
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(stage(args.database, Path(args.instance), args.stage, Path(args.file))))
        return
    work = Path(tempfile.mkdtemp(prefix="juhtum-import-bench-"))
    database = args.database or f"sqlite:///{work / 'bench.db'}"
    path = work / f"kliendid.{args.format}"
    started = time.perf_counter()
    prepare(database, work, args.rows, path, args.format)
    size, took = path.stat().st_size / 1e6, time.perf_counter() - started
    print(f"{args.rows:,} clients in {path.name} ({size:.1f} MB), made in {took:.1f} s")
    print(f"database: {database.split('@')[-1]}")
    print(f"{'stage':<10}{'new':>9}{'unchanged':>11}{'wall s':>9}{'cpu s':>9}{'rows/s':>10}{'peak MB':>9}")
    for name in STAGES:
        command = [sys.executable, "-m", "tests.bench.import_bench", "--stage", name, "--database", database]
        command += ["--instance", str(work), "--file", str(path)]
        output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        counts = figures["counts"]
        print(
            f"{name:<10}{counts.get('new', 0):>9,}{counts.get('unchanged', 0):>11,}{figures['wall']:>9.1f}"
            f"{figures['cpu']:>9.1f}{args.rows / figures['wall']:>10,.0f}{figures['peak_mb']:>9.0f}"
        )


if __name__ == "__main__":
    main()
