"""Every benchmark the README tells a person to run runs as shipped and prints its table.

The benchmarks live under tests/bench/ and are not part of the suite (they take minutes at a national
register's size); a change to the models once broke `make bench-export` without any test noticing
(a column the floor's query joined on was dropped). Each runs here, on SQLite, at a size that takes
seconds, in its own process as the README's command starts it. Not timed: only that it finishes and
prints what a reader of its output looks for. (The load test needs a PostgreSQL database it empties
and two gunicorn servers: `make load-test` only.)"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str, timeout: int = 600) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


@pytest.fixture(scope="module")
def listed(tmp_path_factory) -> tuple[str, str]:
    """A small database filled and timed by the list benchmark (its URL and the benchmark's output),
    for the benchmarks that reuse it as the README says."""
    database = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'lists.db'}"
    output = bench(
        "tests.bench.list_bench", "--clients", "300", "--deliveries", "3000", "--runs", "1", "--database", database
    )
    return database, output


def test_the_list_benchmark_prints_its_table(listed):
    output = listed[1]
    assert "median" in output and "p95" in output and "target" in output, output
    for request in ("clients: search by personal code", "deliveries: page 1,000", "invoice details: page 500"):
        assert f"\n{request} " in output, output


def test_the_invoice_benchmark_generates_and_confirms_a_month(listed):
    output = bench("tests.bench.invoice_bench", "--database", listed[0], "--runs", "1")
    for stage in ("first generation", "regeneration, nothing changed", "confirmation, counter moved: exact check"):
        assert stage in output, output
    assert "equal" in output and "differ" not in output


def test_the_tricks_benchmark_prints_what_each_trick_saves(listed):
    output = bench("tests.bench.tricks_bench", "--keep", "--database", listed[0], "--runs", "1")
    assert "trick" in output and "saved" in output, output


def test_the_export_benchmark_times_every_way_against_the_floors():
    output = bench("tests.bench.export_bench", "--clients", "100", "--deliveries", "1000")
    for method in ("stock", "streamed", "job", "floor", "tight"):
        assert f"\n{method} " in output, output
    assert "streamed / tight time" in output and "job / floor time" in output


def test_the_import_benchmark_previews_saves_and_reimports():
    output = bench("tests.bench.import_bench", "--rows", "200", "--tool", "juhtum")
    for stage in ("preview", "save", "reimport"):
        assert f"juhtum                SQLite      {stage}" in output, output


def test_the_youth_import_benchmark_reads_previews_and_saves():
    output = bench("tests.bench.youth_import_bench", "--rows", "100")
    assert "100 rows, 100 saved, 0 errors" in output and "peak RSS" in output, output
