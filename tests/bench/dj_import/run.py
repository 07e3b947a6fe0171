"""One stage of django-import-export importing the benchmark's file, run by `make bench-import`
(tests/bench/import_bench.py) with the benchmark's own virtualenv, never juhtum's:

    DJ_DATABASE_URL=URL tests/bench/dj_import/.venv/bin/python tests/bench/dj_import/run.py --stage STAGE --file F

``setup`` makes the tables (dropping the client table first); ``preview`` is the admin's first step
(``import_data(dry_run=True)``: everything checked, nothing kept); ``save`` the confirm step (the
file read and imported again, for real); ``reimport`` the same file once more (every row unchanged).
The file is read as the admin reads an upload (``base_formats.XLSX().create_dataset``). Prints one
line of JSON: the counts, wall and CPU seconds, and the process's peak memory (RSS)."""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", choices=("setup", "preview", "save", "reimport"), required=True)
    parser.add_argument("--file")
    args = parser.parse_args()
    import django

    django.setup()
    from benchapp.models import Client
    from django.core.management import call_command
    from django.db import connection

    if args.stage == "setup":
        with connection.schema_editor() as editor:
            if Client._meta.db_table in connection.introspection.table_names():
                editor.delete_model(Client)
        call_command("migrate", run_syncdb=True, verbosity=0)
        print(json.dumps({"stage": "setup"}))
        return
    from benchapp.resources import ClientResource
    from import_export.formats.base_formats import CSV, XLSX

    path = Path(args.file)
    wall, cpu = time.perf_counter(), time.process_time()
    kind = XLSX() if path.suffix == ".xlsx" else CSV()
    with open(path, "rb") as handle:
        data = handle.read()
    dataset = kind.create_dataset(data if kind.is_binary() else data.decode("utf-8-sig"))
    result = ClientResource().import_data(dataset, dry_run=args.stage == "preview", raise_errors=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    totals = result.totals
    counts = {
        "new": totals.get("new", 0),
        "update": totals.get("update", 0),
        "unchanged": totals.get("skip", 0),
        "error": totals.get("error", 0) + totals.get("invalid", 0),
    }
    # Peak resident memory since this program started (VmHWM; ru_maxrss would count the parent's).
    status = Path("/proc/self/status").read_text().splitlines()
    peak_mb = next((int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:")), None)
    if peak_mb is None:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stage": args.stage, "counts": counts, "wall": wall, "cpu": cpu, "peak_mb": peak_mb}))


if __name__ == "__main__":
    main()
