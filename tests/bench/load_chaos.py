"""The load test's chaos and its bookkeeping (``tests/bench/load_test.py`` uses them).

- ``Chaos`` runs beside locust: it kills one gunicorn worker with SIGKILL (the master starts a
  new one), then restarts PostgreSQL once and times how long the database and the app were away.
- ``count_statuses`` sorts every request by its status, and says which were answered outside
  200, 302, 409 and 503 (503 only while the database was away).
- ``check_writes`` looks for every save in the audit log: each accepted one must be there, based on
  the version its form carried; no refused one may be; each client ends with the last one written.
"""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

#: Statuses a request may get at any time, and while the database is away.
ALWAYS = {200, 302, 409}
OUTAGE = ALWAYS | {503}
#: A request still waiting this long after the database came back may get its 503 (seconds).
GRACE = 2.0


def pg_restart_command() -> list[str]:
    """``pg_ctlcluster`` for the one cluster installed here (the machine's own PostgreSQL)."""
    versions = sorted(os.listdir("/etc/postgresql"))
    if len(versions) != 1:
        raise SystemExit(f"--chaos restarts PostgreSQL and needs one cluster in /etc/postgresql, found {versions}")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "restart"]


def _answers(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own loopback server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class Chaos(threading.Thread):
    """At ``kill_at`` seconds SIGKILL one worker of the first gunicorn; at ``restart_at`` restart
    PostgreSQL (unless ``restart`` is off) and time the outage: from the restart command until the
    server accepts connections again, and until both apps answer a page read from the database."""

    def __init__(
        self,
        masters: list[int],
        hosts: list[str],
        database: str,
        kill_at: float,
        restart_at: float,
        *,
        restart: bool = True,
    ):
        super().__init__(daemon=True)
        self.masters, self.hosts, self.database = masters, hosts, database
        self.kill_at, self.restart_at, self.restart = kill_at, restart_at, restart
        self.events: dict[str, float] = {}
        self.killed: int | None = None
        self.replaced: int | None = None
        self.problem: str | None = None

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # reported by the driver, never a silent thread death
            self.problem = f"{type(exc).__name__}: {exc}"

    def _run(self) -> None:
        import psutil

        begun = time.time()
        time.sleep(max(0.0, self.kill_at))
        master = psutil.Process(self.masters[0])
        workers = master.children()
        victim = workers[len(workers) // 2]
        self.killed = victim.pid
        self.events["kill"] = time.time()
        os.kill(victim.pid, signal.SIGKILL)
        deadline = time.time() + 60
        while time.time() < deadline:
            pids = {child.pid for child in master.children()}
            new = pids - {w.pid for w in workers}
            if len(pids) == len(workers) and new:
                self.replaced = new.pop()
                self.events["worker back"] = time.time()
                break
            time.sleep(0.2)
        if not self.restart:
            return
        time.sleep(max(0.0, begun + self.restart_at - time.time()))
        self.events["restart"] = time.time()
        done = subprocess.run(pg_restart_command(), capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
        if done.returncode:
            self.problem = f"pg_ctlcluster failed: {done.stderr.strip() or done.stdout.strip()}"
        self.events["restarted"] = time.time()
        self._wait_for_database()
        self.events["database back"] = time.time()
        # The public register reads the database without a sign-in: a page there is the app back.
        pending = set(self.hosts)
        while pending and time.time() < self.events["restart"] + 120:
            pending = {host for host in pending if _answers(f"{host}/register/") != 200}
            time.sleep(0.1)
        self.events["app back"] = time.time()

    def _wait_for_database(self) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.database, poolclass=sa.pool.NullPool)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                return
            except sa.exc.OperationalError:
                time.sleep(0.1)
        engine.dispose()

    def outage(self) -> tuple[float, float] | None:
        """From the restart command until the app answered again, plus the grace (epoch seconds)."""
        if "restart" not in self.events:
            return None
        return self.events["restart"], self.events.get("app back", self.events["restart"]) + GRACE

    def summary(self) -> dict:
        e = self.events
        out = {"worker killed": self.killed, "worker replaced by": self.replaced}
        if "worker back" in e:
            out["new worker after s"] = round(e["worker back"] - e["kill"], 1)
        if "restart" in e:
            out["pg_ctlcluster restart took s"] = round(e["restarted"] - e["restart"], 1)
            out["database away s"] = round(e["database back"] - e["restart"], 1)
            out["app answering again after s"] = round(e["app back"] - e["restart"], 1)
        return out


def count_statuses(requests_log: Path, chaos: Chaos | None) -> dict:
    """Status -> count; the requests answered with a status not allowed at their time; the requests
    that got no answer, and how many of them were in flight on the worker when it was killed."""
    requests = json.loads(requests_log.read_text(encoding="utf-8")) if requests_log.exists() else []
    outage = chaos.outage() if chaos else None
    killed_at = chaos.events.get("kill") if chaos else None
    statuses: Counter = Counter()
    wrong: Counter = Counter()
    cut_by_kill = 0
    for start, end, name, status in requests:
        statuses[status] += 1
        during = outage is not None and start <= outage[1] and end >= outage[0]
        if status == 0 and killed_at is not None and start <= killed_at + 0.5 and end >= killed_at:
            cut_by_kill += 1
        elif status not in (OUTAGE if during else ALWAYS):
            wrong[f"{status} {name}" + (" (database away)" if during else "")] += 1
    return {"statuses": dict(sorted(statuses.items())), "wrong": dict(wrong), "cut by kill": cut_by_kill}


def check_writes(database: str, writes_log: Path) -> dict:
    """Every save against the audit log (the notes written are unique to each save)."""
    import sqlalchemy as sa

    writes = (
        [json.loads(line) for line in writes_log.read_text(encoding="utf-8").splitlines()]
        if writes_log.exists()
        else []
    )
    engine = sa.create_engine(database, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        events = conn.execute(
            sa.text(
                "SELECT record_id, changes FROM audit_event"
                " WHERE table_name = 'client' AND action = 'update' ORDER BY id"
            )
        ).all()
        stored = dict(conn.execute(sa.text("SELECT CAST(id AS TEXT), notes FROM client")).all())
    engine.dispose()
    written: dict[str, str] = {}  # notes -> client id, for every update the database committed
    last: dict[str, str] = {}  # client id -> the notes of its last committed update
    for record_id, changes in events:
        changes = json.loads(changes) if isinstance(changes, str) else changes
        if "notes" in changes:
            written[changes["notes"][1]] = record_id
            last[record_id] = changes["notes"][1]
    outcomes = Counter(outcome for _, _, _, outcome, _ in writes)
    lost, refused_but_saved, based_on = [], [], Counter()
    for client_id, version, notes, outcome, _status in writes:
        committed = written.get(notes) == str(client_id)
        if outcome == "accepted":
            based_on[(client_id, version)] += 1
            if not committed:
                lost.append(notes)
        elif outcome in ("stale", "unavailable") and committed:
            refused_but_saved.append(notes)
        elif outcome == "unanswered" and committed:
            outcomes["unanswered, saved"] += 1
    # Two accepted saves based on the same version: the second wrote over the first unseen.
    overwritten = sum(n - 1 for n in based_on.values() if n > 1)
    # Each client edited ends with its last committed notes (nothing written behind the log's back).
    edited = {str(client_id) for client_id, *_ in writes}
    not_last = sorted(c for c in edited if c in last and stored.get(c) != last[c])
    return {
        "saves": len(writes),
        "accepted": outcomes["accepted"],
        "refused: someone else saved": outcomes["stale"],
        "refused: 503": outcomes["unavailable"],
        "no answer, saved": outcomes["unanswered, saved"],
        "no answer, not saved": outcomes["unanswered"] - outcomes["unanswered, saved"],
        "other answer": outcomes["other"],
        "lost writes": len(lost) + overwritten + len(not_last),
        "refused but saved": len(refused_but_saved),
        "clients edited": len(edited),
    }
