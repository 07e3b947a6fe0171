"""Import benchmark: a file of N new clients through the preview, then the save, then the same file
again (every row unchanged), on SQLite and PostgreSQL, by juhtum and by django-import-export.

    .venv/bin/python -m tests.bench.import_bench --rows 100000 [--database URL]... [--format xlsx|csv]
        [--django tests/bench/dj_import/.venv/bin/python]

Each ``--database`` is measured in turn (SQLite under /tmp when none is given; a PostgreSQL one is
emptied first) and gets the schema by the migrations. With ``--django`` (the python of the
benchmark's own virtualenv, made by `make bench-import` from tests/bench/dj_import/requirements.txt)
django-import-export imports the same file into an equivalent Django model on the same database
(tests/bench/dj_import/): its preview is ``import_data(dry_run=True)``, its save the real import.
Each stage runs in a fresh process, so its peak memory (resident set, RSS) is its own. Prints one
table: tool, database, stage, wall and CPU seconds, rows per second, peak memory, and how many
times faster juhtum is (django-import-export's wall time over juhtum's, and its CPU time over
juhtum's). The figures for 10,000 and 100,000 rows show whether memory grows with the file (it
should not: rows are read as a stream and checked and written in batches, models/importing/engine.py).
"""

import argparse
import contextlib
import io
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


def make_file(rows: int, path: Path, kind: str) -> None:
    """The file of ``rows`` new clients, as a person would fill in the template."""
    from exports.tabular import Column, Conventions, Sheet, csv_chunks, write_xlsx
    from models import codes

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


def prepare(database: str, instance: Path) -> None:
    """An empty schema by the migrations."""
    _environment(database, instance)
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from models import db

    app = _app()
    with app.app_context(), contextlib.redirect_stdout(io.StringIO()):  # a migration prints a line
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()


def stage(database: str, instance: Path, name: str, path: Path) -> dict:
    """One stage in this process: its counts, times and peak memory."""
    _environment(database, instance)
    from flask_babel import force_locale

    from models import db, importing

    app = _app()
    with app.app_context(), force_locale("et"):
        wall, cpu = time.perf_counter(), time.process_time()
        plan_file = instance / "plan.json"
        if name == "preview":
            result = importing.preview("clients", path, db.session)
            plan_file.write_text(json.dumps(result.plan))  # kept as the web layer keeps a preview
        else:
            # The save checks every row against the preview's plan (the version check), as the
            # confirm does; the re-import is measured as a save without one.
            plan = json.loads(plan_file.read_text()) if name == "save" else None
            result = importing.save("clients", path, db.session, source=f"import: {path.name}", plan=plan)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"stage": name, "counts": dict(result.counts), "wall": wall, "cpu": cpu, "peak_mb": peak_mb()}


def peak_mb() -> float:
    """This process's peak resident memory since it started its program (VmHWM: unlike ru_maxrss it
    does not count what the parent held when it forked), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(command: list, env: dict | None = None) -> dict:
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load() -> str:
    return "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--database",
        action="append",
        help="'sqlite' (a file under /tmp, the default) or a PostgreSQL URL (emptied!); repeatable",
    )
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument(
        "--django", help="python of the virtualenv with django-import-export (dj_import/requirements.txt)"
    )
    parser.add_argument("--tool", choices=("both", "juhtum", "django-import-export"), default="both")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(stage(args.database[0], Path(args.instance), args.stage, Path(args.file))))
        return
    work = Path(tempfile.mkdtemp(prefix="juhtum-import-bench-"))
    path = work / f"kliendid.{args.format}"
    started = time.perf_counter()
    make_file(args.rows, path, args.format)
    size, took = path.stat().st_size / 1e6, time.perf_counter() - started
    print(f"{args.rows:,} clients in {path.name} ({size:.1f} MB), made in {took:.1f} s; {os.cpu_count()} cores")
    print(f"at the start: {_load()} (other work on the machine slows the wall times; CPU s is the process's own)")
    header = f"{'tool':<22}{'database':<12}{'stage':<10}{'new':>8}{'unchanged':>10}{'wall s':>8}{'cpu s':>8}"
    print(header + f"{'rows/s':>9}{'peak MB':>9}{'× wall':>8}{'× cpu':>7}")
    for database in args.database or ["sqlite"]:
        if database == "sqlite":
            database = f"sqlite:///{work / 'bench.db'}"
        name = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
        figures = {}
        if args.tool != "django-import-export":
            prepare(database, work)
            for stage_name in STAGES:
                command = [sys.executable, "-m", "tests.bench.import_bench", "--stage", stage_name]
                command += ["--database", database, "--instance", str(work), "--file", str(path)]
                figures[("juhtum", stage_name)] = _run(command)
        if args.django and args.tool != "juhtum":
            django_db = database if name == "PostgreSQL" else f"sqlite:///{work / 'django.db'}"
            env = {**os.environ, "DJ_DATABASE_URL": django_db}
            script = str(ROOT / "tests" / "bench" / "dj_import" / "run.py")
            _run([args.django, script, "--stage", "setup"], env)
            for stage_name in STAGES:
                figures[("django-import-export", stage_name)] = _run(
                    [args.django, script, "--stage", stage_name, "--file", str(path)], env
                )
        for (tool, stage_name), f in figures.items():
            counts = f["counts"]
            other = figures.get(("django-import-export", stage_name))
            faster = (
                f"{other['wall'] / f['wall']:>7.1f}×{other['cpu'] / f['cpu']:>6.1f}×"
                if tool == "juhtum" and other
                else ""
            )
            print(
                f"{tool:<22}{name:<12}{stage_name:<10}{counts.get('new', 0):>8,}{counts.get('unchanged', 0):>10,}"
                f"{f['wall']:>8.1f}{f['cpu']:>8.1f}{args.rows / f['wall']:>9,.0f}{f['peak_mb']:>9.0f}{faster}"
            )
    print(f"at the end: {_load()}")


if __name__ == "__main__":
    main()
