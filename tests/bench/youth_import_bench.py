"""Youth guarantee import benchmark: a 5,000-row STAR list read, previewed and saved.

    .venv/bin/python -m tests.bench.youth_import_bench [--rows 5000] [--database URL]

Builds an xlsx of ``--rows`` young people (valid personal codes, names, contacts), then in a scratch
database (SQLite under /tmp unless ``--database`` names a PostgreSQL one; its schema is rebuilt) times
reading the file (openpyxl, read-only), the preview of every row (checksums, ages, duplicates, known
clients and earlier rounds) and saving the round in one transaction. Prints each step's wall time and
the peak resident memory (RSS)."""

import argparse
import os
import resource
import tempfile
import time
from datetime import date, timedelta

import sqlalchemy as sa


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    os.environ.setdefault("JUHTUM_CONFIG", "test")
    scratch = tempfile.mkdtemp(prefix="youth-bench-")
    os.environ["JUHTUM_INSTANCE"] = scratch
    url = args.database or f"sqlite:///{scratch}/bench.db"

    from flask_migrate import upgrade

    from admin_app import create_app
    from models import YouthRound, codes, db
    from models.youth_import import guess_mapping, preview, read_table, save_round
    from tests.models.test_youth_guarantee_rules import HEADINGS, xlsx

    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        born = date(2003, 1, 1)
        rows = [
            [
                codes.make_personal_code(born + timedelta(days=n // 900), "M" if n % 2 else "F", n % 900),
                f"Noor{n}",
                f"Inimene{n}",
                f"noor{n}@example.ee",
                f"5{n:07d}",
                None,
                "keskharidus",
            ]
            for n in range(args.rows)
        ]
        data = xlsx(rows, HEADINGS)
        timings = {}
        t = time.perf_counter()
        headings, table = read_table(data, "list.xlsx")
        timings["read"] = time.perf_counter() - t
        t = time.perf_counter()
        mapping = guess_mapping(headings)
        previewed = preview(headings, table, mapping, date(2026, 3, 15))
        timings["preview"] = time.perf_counter() - t
        t = time.perf_counter()
        _, saved = save_round(
            YouthRound(year=2026, half="spring", queried_on=date(2026, 3, 15), received_on=date(2026, 3, 20)),
            headings,
            mapping,
            previewed,
        )
        timings["save"] = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    errors = sum(1 for r in previewed if r.errors)
    print(f"{url.split(':')[0]}: {args.rows} rows, {saved} saved, {errors} errors")
    for step, seconds in timings.items():
        print(f"  {step:8s} {seconds:6.2f} s")
    print(f"  total    {sum(timings.values()):6.2f} s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
