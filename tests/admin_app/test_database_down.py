"""With the database down the app answers a clear 503 page, and recovers by itself when it returns.

PostgreSQL only: a scratch database of our own (``<test database>_down``) is made unreachable by
refusing new connections and ending the open ones, as a restarting server would.
"""

import os
import re

import pytest
import sqlalchemy as sa
from flask import template_rendered
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from admin_app import create_app
from admin_app.auth import create_user
from models import db
from tests.admin_app.helpers import form_values, page
from tests.conftest import PASSWORD, create_client, fetch, sign_in

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")


def _admin_engine():
    url = sa.make_url(os.environ["TEST_DATABASE_URL"])
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture
def scratch(monkeypatch, tmp_path):
    """An app on a fresh scratch database, and a switch that takes that database down and up."""
    url = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{url.database}_down"
    admin = _admin_engine()

    def allow(allowed: bool):
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": name},
                )

    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    monkeypatch.setenv("JUHTUM_INSTANCE", str(tmp_path))
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url.set(database=name).render_as_string(hide_password=False))
    with app.app_context():
        upgrade()
        create_user("mari@test.ee", PASSWORD, ["case_manager"], full_name="Mari Maasikas")
    yield app, allow
    allow(True)
    with app.app_context():
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _is_503_page(response) -> bool:
    html = response.get_data(as_text=True)
    return response.status_code == 503 and "(503)" in html and "Traceback" not in html


def test_database_down_answers_503_and_recovers(scratch):
    app, allow = scratch
    visitor = app.test_client()
    manager = app.test_client()
    assert visitor.get("/register/").status_code == 200
    assert sign_in(manager, "mari@test.ee").status_code == 302
    assert manager.get("/admin/clients/").status_code == 200

    allow(False)
    for client, url in ((visitor, "/register/"), (manager, "/admin/clients/"), (manager, "/admin/")):
        down = client.get(url)
        assert _is_503_page(down), (url, down.status_code, down.get_data(as_text=True)[:300])
        assert down.headers["Retry-After"]
    assert re.search(r"<title>[^<]*</title>", down.get_data(as_text=True))

    # Nobody restarts the app: the next request after the database returns simply works.
    allow(True)
    assert visitor.get("/register/").status_code == 200
    again = manager.get("/admin/clients/")
    assert again.status_code == 200, "the person stays signed in across the outage"


def test_a_save_cut_off_by_the_outage_answers_503_and_saves_nothing(scratch):
    """The server restarts between reading the record and writing it (as the load test's chaos run
    does): the save answers the 503 page, not the form again saying "Failed to update record" with
    the SQL and the person's data in it; the record keeps what it had, and saving again works."""
    app, allow = scratch
    manager = app.test_client()
    assert sign_in(manager, "mari@test.ee").status_code == 302
    with app.app_context():
        from models import Client

        client = create_client(first_name="Kati")
        url = f"/admin/clients/edit/?id={client.id}"
    data = form_values(page(manager, url))
    data["notes"] = ["written in the outage"]

    def outage(session, flush_context, instances):
        if any(isinstance(o, Client) for o in session.dirty):
            allow(False)  # every connection to the database ended ...
            allow(True)  # ... and the server is back before the page is drawn again

    sa.event.listen(Session, "before_flush", outage)
    try:
        cut = manager.post(url, data=data)
    finally:
        sa.event.remove(Session, "before_flush", outage)
    assert _is_503_page(cut), (cut.status_code, cut.get_data(as_text=True)[:500])
    assert "UPDATE client" not in cut.get_data(as_text=True)
    assert fetch(app, Client, Client.id == client.id).notes != "written in the outage"
    again = manager.post(url, data=form_values(page(manager, url)) | {"notes": ["written after"]})
    assert again.status_code == 302
    assert fetch(app, Client, Client.id == client.id).notes == "written after"


def test_a_page_whose_connection_ends_after_it_is_drawn_is_still_answered(scratch):
    """The server restarts after the page has read what it shows (the load test's chaos run): the
    rollback at the end of the request fails on the dead connection. The page is answered, not a
    500, no connection is left checked out, and the next page works."""
    app, allow = scratch
    manager = app.test_client()
    assert sign_in(manager, "mari@test.ee").status_code == 302

    def restart(response):
        allow(False)
        allow(True)
        return response

    app.after_request_funcs.setdefault(None, []).append(restart)
    try:
        drawn = manager.get("/admin/clients/")
    finally:
        app.after_request_funcs[None].remove(restart)
    assert drawn.status_code == 200
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
    assert manager.get("/admin/clients/").status_code == 200


def test_a_case_file_whose_access_log_cannot_be_written_is_not_shown(scratch):
    """The database goes away between drawing a case file and writing who saw it: the person's data
    is not handed out unlogged, and the answer is the 503 page, not a 500."""
    app, allow = scratch
    manager = app.test_client()
    assert sign_in(manager, "mari@test.ee").status_code == 302
    with app.app_context():
        client_id = create_client(first_name="Kati", last_name="Kaalikas").id

    def outage(sender, template, context, **extra):
        if template.name == "admin/case_file.html":
            allow(False)

    template_rendered.connect(outage, app)
    try:
        shown = manager.get(f"/admin/case-file/?client_id={client_id}")
    finally:
        template_rendered.disconnect(outage, app)
        allow(True)
    assert _is_503_page(shown), (shown.status_code, shown.get_data(as_text=True)[:300])
    assert "Kaalikas" not in shown.get_data(as_text=True)
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
    assert manager.get(f"/admin/case-file/?client_id={client_id}").status_code == 200
