"""Exporting cannot stall the app: every streamed file gives its database connection back when it is
read to the end, dropped half-way or never read, and one user holds at most a few exports at once."""

import gc
import threading
import time
import uuid

import pytest

from admin_app.registers import export
from models import db, generate_invoice
from tests.admin_app.helpers import page, shown, signed_in
from tests.conftest import create_client
from tests.deliveries import MONTH, create_delivery, setting

CSV = "/admin/clients/export/csv/"
XLSX = "/admin/clients/export/xlsx/"
BUSY = "You are already exporting %(count)s lists; wait until one of them has finished, then try again."


@pytest.fixture
def engine(app):
    with app.app_context():
        return db.engine


@pytest.fixture
def invoice_id(app):
    with app.app_context():
        provider, component, client = setting()
        create_delivery(provider=provider, component=component, client=client)
        return generate_invoice(MONTH).id


def _fetch(client, url: str, how: str) -> None:
    """Download ``url`` as a browser would, then read it all, stop after the first piece, or not read it."""
    response = client.get(url, buffered=False)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    pieces = iter(response.response)
    if how == "whole":
        assert b"".join(pieces)
    elif how == "half":
        assert next(pieces)
    response.close()  # what the server does when the download ends or the browser goes away


def test_hundreds_of_exports_read_dropped_or_abandoned_leave_no_connection_taken(
    app, client, engine, invoice_id, monkeypatch
):
    # Rows are read a few at a time, so a download dropped after its first piece stops between two reads.
    monkeypatch.setattr(export, "CHUNK_ROWS", 20)
    with app.app_context():
        for n in range(230):  # more than one piece of CSV (200 lines)
            create_client(first_name=f"Kati{n}")
    head = signed_in(app, client, "head")
    urls = [CSV, CSV, XLSX, f"/admin/invoices/{invoice_id}/download/"]
    ways = ["whole", "half", "unread"]
    gc.disable()  # connections must come back when the download ends, not when the collector runs
    try:
        for n in range(240):
            url, how = urls[n % len(urls)], ways[n % len(ways)]
            _fetch(head, url, how)
            assert engine.pool.checkedout() == 0, f"export {n + 1} ({url}, {how}) kept its connection"
    finally:
        gc.enable()

    started = time.perf_counter()
    assert "Kati229" in page(head, "/admin/clients/?search=Kati229")
    assert time.perf_counter() - started < 2, "the list answers at once"
    assert engine.pool.checkedout() == 0


@pytest.fixture(params=["in-process", "redis"])
def slots(app, request):
    """Two exports at once per user, counted in this process or (as on several app servers) in Redis."""
    before = {k: app.config.get(k) for k in ("EXPORTS_AT_ONCE", "REDIS_URL", "EXPORT_SLOTS_KEY")}
    app.config["EXPORTS_AT_ONCE"] = 2
    app.config["EXPORT_SLOTS_KEY"] = f"juhtum-test:{uuid.uuid4().hex}"
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/5" if request.param == "redis" else ""
    yield
    app.config.update(before)


class Held:
    """A download begun on a thread of its own, as a server's worker thread serves it, and held open
    (the browser reads slowly) until ``close``."""

    def __init__(self, client, url: str):
        self.begun, self.leave = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._download, args=(client, url))
        self.thread.start()
        assert self.begun.wait(30)
        assert self.status == 200

    def _download(self, client, url: str) -> None:
        response = client.get(url, buffered=False)
        self.status = response.status_code
        self.begun.set()
        self.leave.wait(30)
        response.close()

    def close(self) -> None:
        self.leave.set()
        self.thread.join()


def test_one_user_holds_at_most_the_allowed_exports_at_once(app, client, slots, invoice_id):
    head = signed_in(app, client, "head")
    held = [Held(head, CSV), Held(head, XLSX)]

    refused = head.get(f"{CSV}?search=Kati", follow_redirects=True)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert refused.request.path == "/admin/clients/", "back to the list"
    assert refused.request.args.get("search") == "Kati", "as it was filtered"
    assert shown(app, BUSY, count=2) in html
    refused = head.get(f"/admin/invoices/{invoice_id}/download/", follow_redirects=True)
    assert shown(app, BUSY, count=2) in refused.get_data(as_text=True)

    colleague = signed_in(app, app.test_client(), "head", email="other-head@test.ee")
    _fetch(colleague, CSV, "whole")  # another user is not held up

    held.pop().close()
    _fetch(head, CSV, "half")  # a slot is free again once a download is closed
    _fetch(head, f"/admin/invoices/{invoice_id}/download/", "whole")
    held.pop().close()
    for url in (CSV, XLSX):
        _fetch(head, url, "unread")
    again = [Held(head, CSV), Held(head, XLSX)]  # both slots are free again
    for download in again:
        download.close()
