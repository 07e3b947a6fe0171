"""What each speed trick of a list page saves, against Flask-Admin's own path in the same run.

    .venv/bin/python -m tests.bench.tricks_bench --clients 100000 --deliveries 1000000 [--database URL]
    make bench-tricks [CLIENTS=… DELIVERIES=… BENCH_DATABASE=URL]

The tricks (``admin_app/registers/paging.py``, and the money shortcut in ``admin_app/i18n.py``):

* **stamped row actions** — a row's view, edit, delete and case-file buttons drawn once per page and
  stamped with each row's key; Flask-Admin's own path draws each button for each row;
* **money shortcut** — ``two_decimals`` writes a non-negative two-decimal amount without Babel;
* **deferred join** — a later page picks its keys first, then loads their rows and relations;
  Flask-Admin's own path is one ``OFFSET`` over the query with every relation joined;
* **editable cell attributes** (``admin_app/registers/versions.py``) — an in-list editing cell's
  attributes equal in every row written once per request, a row's own without ``Markup.format``;
  Flask-Admin's own path is ``XEditableWidget`` with WTForms' ``html_params`` for each cell.

Two more were measured here and removed for saving under ``WORTH_MS`` per page (PostgreSQL and SQLite,
100,000 clients and 1,000,000 deliveries, 2 cores): in-line editable cells written by an
``html_params`` of their own instead of WTForms' (no saving beyond the noise: the provider list's
cells took 42 against 41 ms on SQLite, 66 against 74 on PostgreSQL, the client list's 15 against 13
and 21 against 13; alone, 200 cells' attributes took 35 ms against WTForms' 28), and ``row_url``, a
delivery's invoice link built by one ``url_for`` per page (0.9–1.4 ms for 50 invoiced rows). Both now
take Flask-Admin's and Flask's own path. (The editable cell attributes above differ from that first
attempt: they write each attribute equal in every row once per request instead of rewriting
``html_params``; at load average 12 they saved 47 ms wall of a page of providers, 150 cells: 23
against 70 ms, and 19 ms of the client list, 50 cells.)

It fills a scratch database as ``list_bench`` does (``--keep`` reuses one; SQLite under /tmp unless
``--database`` names a PostgreSQL one), confirms the newest month's invoice (so the first page of
deliveries links 50 invoices), signs in as the head of department and requests each trick's pages
through Flask's test client, alternately with the trick and with Flask-Admin's path (the trick
switched off by replacing it for the request). It prints the median time of the whole request and
the median time spent in the code the trick replaces (the row actions' ``render_ctx``, the money
formatting, the page query), with and without the trick.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import sqlalchemy as sa
from flask_admin.model.template import BaseListRowAction
from jinja2 import pass_context
from sqlalchemy.orm import joinedload

from tests.bench.list_bench import _app, _sign_in, fill

#: Milliseconds per page below which a trick is not worth its code.
WORTH_MS = 3


def _unstamped(self):
    """Flask-Admin's own row actions: each drawn for each row."""
    from admin_app.registers.paging import FastListMixin

    return super(FastListMixin, self).get_list_row_actions()


def _babel_only(value, locale: str, currency: bool) -> str:
    from admin_app.i18n import _babel

    return _babel(value, locale, currency)


def single_query_page(view, query, offset: int, limit: int) -> list:
    """Flask-Admin's own page: ``OFFSET`` over the list's query with its relations joined."""
    for relation in view._auto_joins:
        query = query.options(joinedload(relation))
    return query.offset(offset).limit(limit).all()


def tricks():
    """(name, pages, what switches the trick off, what is timed) of each trick."""
    from flask_admin.model.widgets import XEditableWidget

    from admin_app import i18n
    from admin_app.registers.paging import FastListMixin
    from admin_app.registers.versions import VersionedCell

    return [
        (
            "stamped row actions",
            ["/admin/deliveries/", "/admin/clients/"],
            (FastListMixin, "get_list_row_actions", _unstamped),
            (BaseListRowAction, "render_ctx"),
        ),
        (
            "money shortcut",
            ["/admin/deliveries/", "/admin/service-components/"],
            (i18n, "two_decimals", _babel_only),
            (i18n, "two_decimals"),
        ),
        (
            "editable cell attributes",
            ["/admin/providers/", "/admin/clients/"],
            (VersionedCell, "__call__", XEditableWidget.__call__),
            (VersionedCell, "__call__"),
        ),
        (
            "deferred join",
            ["/admin/deliveries/?page=999", "/admin/clients/?page=999", "/admin/deliveries/?page=1"],
            (FastListMixin, "_deferred_page", single_query_page),
            (FastListMixin, "_deferred_page"),
        ),
    ]


class Timer:
    """Milliseconds spent in one callable during a request (its calls from within itself not twice)."""

    def __init__(self):
        self.ms = 0.0
        self.depth = 0

    def wrap(self, function, context: bool):
        def timed(*args, **kwargs):
            if self.depth:
                return function(*args, **kwargs)
            self.depth += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.ms += (time.perf_counter() - start) * 1000
                self.depth -= 1

        return pass_context(timed) if context else timed


def _request(client, url: str, trick: bool, switch, timed) -> tuple[float, float]:
    """(whole request ms, ms in the timed code) of one GET, with the trick or Flask-Admin's path."""
    owner, name, flask_admin_path = switch
    timer = Timer()
    with ExitStack() as stack:
        if not trick:
            stack.enter_context(mock.patch.object(owner, name, flask_admin_path))
        timed_owner, timed_name = timed
        current = getattr(timed_owner, timed_name)
        context = getattr(current, "jinja_pass_arg", None) is not None
        stack.enter_context(mock.patch.object(timed_owner, timed_name, timer.wrap(current, context)))
        start = time.perf_counter()
        response = client.get(url)
        whole = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return whole, timer.ms


def measure(client, runs: int) -> list[tuple]:
    rows = []
    for name, pages, switch, timed in tricks():
        for url in pages:
            samples = {True: [], False: []}
            for trick in (True, False):  # warm both paths
                _request(client, url, trick, switch, timed)
            for run in range(runs):
                order = (True, False) if run % 2 else (False, True)
                for trick in order:
                    samples[trick].append(_request(client, url, trick, switch, timed))
            medians = {
                trick: (statistics.median(s[0] for s in got), statistics.median(s[1] for s in got))
                for trick, got in samples.items()
            }
            rows.append((name, url, medians[True], medians[False]))
            print(f"  {name} {url}: {medians[False][1] - medians[True][1]:.1f} ms saved", file=sys.stderr, flush=True)
    return rows


def invoice_the_newest_month(app) -> None:
    """Confirm the newest month's invoice unless one is confirmed (its deliveries are then invoiced)."""
    from models import Invoice, InvoiceKind, InvoiceStatus, ServiceDelivery, confirm_invoice, db, generate_invoice

    with app.app_context():
        confirmed = (Invoice.kind == InvoiceKind.INVOICE, Invoice.status != InvoiceStatus.DRAFT)
        if db.session.scalar(sa.select(Invoice.id).where(*confirmed).limit(1)):
            return
        month = db.session.scalar(sa.select(sa.func.max(ServiceDelivery.delivered_on)))
        start = time.perf_counter()
        confirm_invoice(generate_invoice(month))
        print(f"invoiced {month:%m.%Y} in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def print_table(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}")
    print(f"{'trick':20} {'page':30} {'page ms: trick / F-A':>29} {'in the code: trick / F-A':>25} {'saved':>6}")
    for name, url, (whole, code), (whole_fa, code_fa) in rows:
        saved = code_fa - code
        verdict = "" if saved >= WORTH_MS else f"  (< {WORTH_MS} ms)"
        print(
            f"{name:20} {url:30} {whole:13.1f} / {whole_fa:13.1f} {code:11.1f} / {code_fa:11.1f} {saved:6.1f}{verdict}"
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--database", help="SQLAlchemy URL of a scratch database (default: SQLite under /tmp)")
    parser.add_argument("--runs", type=int, default=15, help="timed requests of each page, each way")
    parser.add_argument("--keep", action="store_true", help="reuse the data already in the database")
    args = parser.parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="juhtum-tricks-bench-"))
    database = args.database or f"sqlite:///{Path(tempfile.gettempdir()) / 'juhtum-tricks-bench.db'}"
    app = _app(database, instance)
    fill(app, args.clients, args.deliveries, args.keep)
    invoice_the_newest_month(app)
    client = _sign_in(app)
    with app.app_context():
        from models import Client, ServiceDelivery, db

        clients = db.session.scalar(sa.select(sa.func.count(Client.id)))
        deliveries = db.session.scalar(sa.select(sa.func.count(ServiceDelivery.id)))
        backend = db.engine.dialect.name
    rows = measure(client, args.runs)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print_table(
        f"{backend}: {clients:,} clients, {deliveries:,} deliveries; 50-row pages, median of {args.runs} runs "
        f"each way; {os.cpu_count()} CPU cores, load average {load}",
        rows,
    )


if __name__ == "__main__":
    main()
