"""With the database down the app answers a clear 503 page, and recovers by itself when it returns.

PostgreSQL only: a scratch database of our own (``<test database>_down``) is made unreachable by
refusing new connections and ending the open ones, as a restarting server would.
"""

import os
import re

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from admin_app import create_app
from admin_app.auth import create_user
from models import db
from tests.conftest import PASSWORD, sign_in

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
