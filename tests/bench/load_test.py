"""Load test: 50 office workers for 60 s against two gunicorn instances sharing one PostgreSQL.

    .venv/bin/python -m tests.bench.load_test --database postgresql+psycopg://user@127.0.0.1/juhtum_load [--chaos]

The database named is EMPTIED first (its public schema dropped), migrated and loaded with the demo
municipality; 50 sign-ins are created. Two gunicorn instances then serve it on two loopback ports,
and locust (headless, ``tests/bench/locustfile.py``) drives the workers against both: browsing the
register lists, searching, opening case files, editing clients' notes (their own clients, and a
few every worker edits, so that colleagues save the same record at once), exporting.

With ``--chaos`` (``tests/bench/load_chaos.py``), while they work, one gunicorn worker is killed
with SIGKILL and PostgreSQL is restarted once (``pg_ctlcluster ... restart``: run as root, and it
cuts off everything else on that server too).

It prints a table per request, the requests per status, and every save: accepted, refused with
"someone else saved", refused with 503, unanswered, lost. It passes (exit 0) only when every
accepted save is in the database, no refused one is, and no request was answered other than 200,
302, 409 or 503 (503 only while the database was away); requests in flight on the killed worker
get no answer and are counted apart. ``--compare FILE`` prints an earlier run's figures beside.
"""

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.bench.load_chaos import Chaos, check_writes, count_statuses, pg_restart_command

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "koormustest-" + secrets.token_hex(8)
#: The statuses every table shows (0: no answer, the connection reset); any other is added.
STATUSES = (200, 302, 409, 503, 500, 0)
#: Clients every worker edits (the rest are each edited by one worker only).
SHARED = 3


def prepare(database: str, users: int, instance: Path) -> dict:
    """Empty and migrate the database, load the demo data, create the sign-ins; what locust needs."""
    import sqlalchemy as sa
    from flask_babel import force_locale, gettext
    from flask_migrate import upgrade
    from flask_security import hash_password

    from admin_app import create_app
    from admin_app.auth import ensure_roles, new_user, user_datastore
    from models import Client, User, db
    from models.seed import demo

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit("The load test needs PostgreSQL (--database postgresql+psycopg://...).")
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        demo.load(str(instance), new_user)
        ensure_roles()
        hashed = hash_password(PASSWORD)
        emails = [f"koormus{n:02d}@test.ee" for n in range(users)]
        for n, email in enumerate(emails):
            user_datastore.create_user(email=email, password=hashed, full_name=f"Koormus {n:02d}", roles=["head"])
        db.session.commit()
        clients = db.session.scalars(sa.select(Client.id).order_by(Client.id)).all()
        names = db.session.scalars(sa.select(Client.last_name).distinct().limit(20)).all()
        admin = app.extensions["admin"][0]
        lists = [
            f"{view.url}/"
            for view in admin._views
            if hasattr(view, "list_template") and view.endpoint not in ("users", "municipalities")
        ]
        assert db.session.scalar(sa.select(sa.func.count(User.id))) >= users
        stale_markers = []
        for language in app.config["LANGUAGES"]:
            with app.test_request_context(), force_locale(language):
                # What both forms of the message begin with, in each language ("Someone else saved this record").
                stale_markers.append(
                    os.path.commonprefix(
                        [
                            gettext(
                                "Someone else saved this record meanwhile — your changes are still in the form; "
                                "reload to see theirs."
                            ),
                            gettext(
                                "Someone else saved this record at %(time)s — your changes are still in the form; "
                                "reload to see theirs.",
                                time="01.01.2026 00:00",
                            ),
                        ]
                    ).strip()
                )
    return {
        "users": emails,
        "password": PASSWORD,
        "clients": clients,
        "shared": clients[:SHARED],
        "names": names,
        "lists": lists,
        "stale_markers": stale_markers,
    }


def serve(port: int, env: dict, workers: int) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--worker-class",
        "gthread",
        # No keep-alive: a connection closed by the server as the client reuses it reads as an error.
        "--keep-alive",
        "0",
        "--access-logfile",
        "/dev/null",
        "--log-level",
        "warning",
        "admin_app:create_app()",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_until_up(port: int, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn on port {port} did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run(args, chaos: bool) -> dict:
    """One run on a freshly prepared database: the figures and whether it passed."""
    ports = [int(p) for p in args.ports.split(",")]
    scratch = Path(tempfile.mkdtemp(prefix="juhtum-load-"))
    instance = scratch / "instance"
    os.environ["JUHTUM_INSTANCE"] = str(instance)
    os.environ.setdefault("JUHTUM_CONFIG", "development")
    # Both servers share the database and the secrets (a session, a password hash is valid on either).
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)
    os.environ["SECURITY_PASSWORD_SALT"] = secrets.token_urlsafe(24)
    print(f"Preparing {args.database.rsplit('@', 1)[-1]}: demo data and {args.users} sign-ins ...", flush=True)
    config = prepare(args.database, args.users, instance)
    config["hosts"] = [f"http://127.0.0.1:{port}" for port in ports]
    config_path, writes, requests = scratch / "load.json", scratch / "writes.jsonl", scratch / "requests.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")

    env = {**os.environ, "DATABASE_URL": args.database, "JUHTUM_CONFIG": "development", "REDIS_URL": ""}
    servers, agent = [], None
    try:
        for n, port in enumerate(ports):
            servers.append(serve(port, {**env, "JUHTUM_INSTANCE": str(scratch / f"server{n}")}, args.workers))
        for port in ports:
            wait_until_up(port)
        kind = "CHAOS" if chaos else "calm"
        print(
            f"{kind} run: gunicorn on ports {ports[0]} and {ports[1]};"
            f" {args.users} office workers for {args.seconds} s ..."
        )
        stats = scratch / "locust"
        locust = [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "tests/bench/locustfile.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            "10",
            "--run-time",
            f"{args.seconds}s",
            "--stop-timeout",
            "10",
            "--csv",
            str(stats),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ]
        locust_env = {
            **os.environ,
            "LOAD_CONFIG": str(config_path),
            "LOAD_WRITES": str(writes),
            "LOAD_REQUESTS": str(requests),
        }
        locust_env["PYTHONPATH"] = str(ROOT)
        swarm = subprocess.Popen(locust, cwd=ROOT, env=locust_env, stdout=subprocess.DEVNULL)  # noqa: S603
        if chaos:
            # After the sign-ins (argon2, the first ~15 s): the kill at a third, the restart at a half.
            agent = Chaos(
                [s.pid for s in servers],
                config["hosts"],
                args.database,
                args.seconds / 3,
                args.seconds / 2,
                restart=not args.no_restart,
            )
            agent.start()
        swarm.wait(timeout=args.seconds + 120)
        if agent:
            agent.join(timeout=150)
    finally:
        for server in servers:
            stop(server)

    with open(f"{stats}_stats.csv", encoding="utf-8") as handle:
        rows = {f"{row['Type']} {row['Name']}".strip(): row for row in csv.DictReader(handle)}
    total = rows.pop("Aggregated")
    print()
    print(f"{'request':<48} {'count':>7} {'failed':>6} {'median ms':>10} {'p95 ms':>8}")
    for name, row in sorted(rows.items(), key=lambda item: item[0].split(" ", 1)[::-1]):
        counts = f"{row['Request Count']:>7} {row['Failure Count']:>6}"
        print(f"{name[:48]:<48} {counts} {row['50%']:>10} {row['95%']:>8}")
    statuses = count_statuses(requests, agent)
    saves = check_writes(args.database, writes)
    figures = {
        "run": "chaos" if chaos else "calm",
        "requests": int(total["Request Count"]),
        "requests/s": round(float(total["Requests/s"]), 1),
        "median ms": total["50%"],
        "95th percentile ms": total["95%"],
        **{f"status {code or 'none (reset)'}": statuses["statuses"].get(code, 0) for code in STATUSES},
        **{f"status {code}": n for code, n in statuses["statuses"].items() if code not in STATUSES},
        "no answer: in flight at the kill": statuses["cut by kill"],
        "answered outside 200/302/409/503": sum(statuses["wrong"].values()),
        **saves,
    }
    if agent:
        figures.update(agent.summary())
    problems = [f"{n} x {what}" for what, n in statuses["wrong"].items()]
    if agent and agent.problem:
        problems.append(f"chaos: {agent.problem}")
    if saves["lost writes"] or saves["refused but saved"] or saves["other answer"]:
        problems.append("saves: lost, refused but saved, or answered without the message")
    if not saves["accepted"] or not saves["refused: someone else saved"]:
        problems.append("no accepted save, or no save refused by someone else's: the run proves nothing")
    figures["passed"] = not problems
    figures["problems"] = problems
    return figures


def print_figures(runs: list[dict]) -> None:
    names = []
    for figures in runs:
        names += [name for name in figures if name not in names and name not in ("run", "problems")]
    print()
    print(f"{'':<36}" + "".join(f"{r['run']:>14}" for r in runs))
    for name in names:
        print(f"{name:<36}" + "".join(f"{str(r.get(name, '')):>14}" for r in runs))
    for figures in runs:
        for problem in figures["problems"]:
            print(f"{figures['run']}: {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a PostgreSQL database to EMPTY and use")
    parser.add_argument("--users", type=int, default=50, help="simulated office workers")
    parser.add_argument("--seconds", type=int, default=60, help="length of the run")
    parser.add_argument("--ports", default="8701,8702", help="the two loopback ports")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes per instance")
    parser.add_argument("--chaos", action="store_true", help="kill a worker and restart PostgreSQL during the run")
    parser.add_argument("--no-restart", action="store_true", help="with --chaos: kill the worker only")
    parser.add_argument("--save", type=Path, help="write this run's figures to this JSON file")
    parser.add_argument("--compare", type=Path, help="an earlier run's figures (--save) to print beside")
    args = parser.parse_args()
    if args.chaos and not args.no_restart:
        pg_restart_command()  # refuse early when there is no local cluster to restart
    figures = run(args, args.chaos)
    if args.save:
        args.save.write_text(json.dumps(figures), encoding="utf-8")
    runs = [json.loads(args.compare.read_text(encoding="utf-8"))] if args.compare and args.compare.exists() else []
    print_figures([*runs, figures])
    print("PASS" if figures["passed"] else "FAIL")
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
