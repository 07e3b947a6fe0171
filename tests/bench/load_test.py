"""Load test: 50 office workers for 60 s against two gunicorn instances sharing one PostgreSQL.

    .venv/bin/python -m tests.bench.load_test --database postgresql+psycopg://user@127.0.0.1/juhtum_load

The database named is EMPTIED first (its public schema dropped), migrated and loaded with the demo
municipality; 50 sign-ins are created. Two gunicorn instances then serve it on two loopback ports,
and locust (headless, ``tests/bench/locustfile.py``) drives the workers against both: browsing the
register lists, searching, opening case files, editing clients' notes, exporting. It prints requests
per second, the median and 95th percentile latency and the error count, then checks that every
edit the servers accepted is in the database. Exit status 0 only with no errors and no lost writes.
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

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "koormustest-" + secrets.token_hex(8)


def prepare(database: str, users: int, instance: Path) -> dict:
    """Empty and migrate the database, load the demo data, create the sign-ins; what locust needs."""
    import sqlalchemy as sa
    from flask_migrate import upgrade
    from flask_security import hash_password

    from admin_app import create_app
    from admin_app.auth import ensure_roles, user_datastore
    from models import Client, User, db, demo

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit("The load test needs PostgreSQL (--database postgresql+psycopg://...).")
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        demo.load(str(instance))
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
    return {"users": emails, "password": PASSWORD, "clients": clients, "names": names, "lists": lists}


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


def lost_writes(database: str, writes: Path) -> tuple[int, int]:
    """(edits accepted, edits not found): the last accepted notes of each client must be in the database."""
    import sqlalchemy as sa

    last: dict[int, str] = {}
    accepted = 0
    if writes.exists():
        for line in writes.read_text(encoding="utf-8").splitlines():
            client_id, notes = json.loads(line)
            last[client_id] = notes
            accepted += 1
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        query = sa.text("SELECT id, notes FROM client WHERE id = ANY(:ids)")
        stored = {client_id: notes for client_id, notes in conn.execute(query, {"ids": list(last)})}
    engine.dispose()
    return accepted, sum(1 for client_id, notes in last.items() if stored.get(client_id) != notes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a PostgreSQL database to EMPTY and use")
    parser.add_argument("--users", type=int, default=50, help="simulated office workers")
    parser.add_argument("--seconds", type=int, default=60, help="length of the run")
    parser.add_argument("--ports", default="8701,8702", help="the two loopback ports")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes per instance")
    args = parser.parse_args()
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
    config_path, writes = scratch / "load.json", scratch / "writes.jsonl"
    config_path.write_text(json.dumps(config), encoding="utf-8")

    env = {**os.environ, "DATABASE_URL": args.database, "JUHTUM_CONFIG": "development", "REDIS_URL": ""}
    servers = []
    try:
        for n, port in enumerate(ports):
            servers.append(serve(port, {**env, "JUHTUM_INSTANCE": str(scratch / f"server{n}")}, args.workers))
        for port in ports:
            wait_until_up(port)
        print(f"gunicorn on ports {ports[0]} and {ports[1]}; {args.users} office workers for {args.seconds} s ...")
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
            "WARNING",
        ]
        locust_env = {**os.environ, "LOAD_CONFIG": str(config_path), "LOAD_WRITES": str(writes)}
        locust_env["PYTHONPATH"] = str(ROOT)
        subprocess.run(locust, cwd=ROOT, env=locust_env, check=False, timeout=args.seconds + 120)
    finally:
        for server in servers:
            stop(server)

    with open(f"{stats}_stats.csv", encoding="utf-8") as handle:
        rows = {f"{row['Type']} {row['Name']}".strip(): row for row in csv.DictReader(handle)}
    total = rows.pop("Aggregated")
    errors = int(total["Failure Count"])
    accepted, lost = lost_writes(args.database, writes)
    print()
    print(f"{'request':<48} {'count':>7} {'errors':>6} {'median ms':>10} {'p95 ms':>8}")
    for name, row in sorted(rows.items(), key=lambda item: item[0].split(" ", 1)[::-1]):
        counts = f"{row['Request Count']:>7} {row['Failure Count']:>6}"
        print(f"{name[:48]:<48} {counts} {row['50%']:>10} {row['95%']:>8}")
    print()
    print(f"requests/s        {float(total['Requests/s']):.1f}")
    print(f"median latency    {total['50%']} ms")
    print(f"95th percentile   {total['95%']} ms")
    print(f"requests          {total['Request Count']}")
    print(f"errors            {errors}")
    print(f"edits accepted    {accepted}")
    print(f"lost writes       {lost}")
    passed = errors == 0 and lost == 0 and accepted > 0
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
