"""Signing in and out, and the settings that keep sign-in safe on a server."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

import config
from admin_app import create_app
from admin_app.auth import create_user
from models import User, codes, db
from tests.conftest import PASSWORD, csrf_token, fetch, sign_in

EMAIL = "mari@test.ee"
ROOT = config.ROOT


@pytest.fixture
def mari(app):
    with app.app_context():
        create_user(EMAIL, PASSWORD, ["case_manager"], full_name="Mari Maasikas")
    return EMAIL


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def _session_cookie(response) -> str | None:
    return next((c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")), None)


def test_sign_in_page_has_a_protected_form(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<form [^>]*method="post"', html)
    assert 'name="email"' in html and 'name="password"' in html
    assert csrf_token(client, "/login")


def test_wrong_password_is_refused_generically(client, mari):
    wrong = sign_in(client, mari, "vale-parool-12345")
    unknown = sign_in(client, "keegi-pole@test.ee", "vale-parool-12345")
    assert wrong.status_code == unknown.status_code == 200  # the sign-in page again
    assert 'name="password"' in wrong.get_data(as_text=True)

    def message(response):
        return re.findall(r'class="alert alert-danger"[^>]*>(.*?)<', response.get_data(as_text=True))

    # One message for both, so nobody learns from it whether an e-mail is registered.
    assert message(wrong) and message(wrong) == message(unknown)
    assert not _signed_in(client)


def test_right_password_opens_the_home_page(client, mari):
    response = sign_in(client, mari)
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/admin/"
    home = client.get("/admin/")
    assert home.status_code == 200 and "Mari Maasikas" in home.get_data(as_text=True)


def test_sign_in_takes_the_person_back_to_the_page_asked_for(client, mari):
    asked = client.get("/admin/providers/")
    login_url = asked.location
    response = client.post(
        login_url, data={"email": mari, "password": PASSWORD, "csrf_token": csrf_token(client, login_url)}
    )
    assert urlsplit(response.location).path == "/admin/providers/"


def test_sign_out(client, mari):
    sign_in(client, mari)
    assert _signed_in(client)
    assert client.get("/logout").status_code == 405  # a link or an image cannot sign anyone out
    assert _signed_in(client)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert response.status_code == 302
    after = client.get("/admin/")
    assert after.status_code == 302 and urlsplit(after.location).path == "/login"


def test_sign_in_without_csrf_token_is_refused(client, mari):
    response = client.post("/login", data={"email": mari, "password": PASSWORD})
    assert response.status_code == 400
    assert "(400)" in response.get_data(as_text=True)  # the friendly error page, not a stack trace
    assert not _signed_in(client)


def test_inactive_user_cannot_sign_in(app, client, mari):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == mari).values(active=False))
        db.session.commit()
    response = sign_in(client, mari)
    assert response.status_code == 200
    assert not _signed_in(client)


def test_user_made_inactive_is_signed_out(app, client, mari):
    sign_in(client, mari)
    assert _signed_in(client)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == mari).values(active=False))
        db.session.commit()
    assert not _signed_in(client)


def test_passwords_are_stored_argon2_hashed(app, mari):
    stored = fetch(app, User, User.email == mari).password
    assert stored.startswith("$argon2")
    assert PASSWORD not in stored


def test_session_cookie_is_http_only_and_ends_when_idle(app, client, mari):
    response = sign_in(client, mari)
    cookie = _session_cookie(response)
    assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    idle = timedelta(seconds=app.permanent_session_lifetime.total_seconds())
    assert idle == timedelta(minutes=30)  # SESSION_IDLE_MINUTES, default 30
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert abs(expires - (datetime.now(UTC) + idle)) < timedelta(minutes=1)
    # Each request renews the cookie, so only idle time counts, not time since sign-in.
    assert _session_cookie(client.get("/admin/"))


def test_idle_minutes_come_from_the_environment(tmp_path):
    env = {**os.environ, "SESSION_IDLE_MINUTES": "15", "JUHTUM_INSTANCE": str(tmp_path)}
    code = "import config; print(config.get_config('test').PERMANENT_SESSION_LIFETIME)"
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == str(15 * 60), result.stderr


# --- start-up settings -------------------------------------------------------------------------

SERVER_ENV = {
    "SECRET_KEY": "s" * 40,
    "SECURITY_PASSWORD_SALT": "p" * 20,
    "DATABASE_URL": "postgresql+psycopg://juhtum@db.example/juhtum",
}


@pytest.mark.parametrize("missing", list(SERVER_ENV))
def test_production_refuses_to_start_without_its_secrets(monkeypatch, missing):
    for name, value in SERVER_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        config.get_config("production")


def test_production_refuses_a_short_secret_key(monkeypatch):
    for name, value in SERVER_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRET_KEY", "secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.get_config("production")


def test_production_starts_with_its_secrets(monkeypatch, tmp_path):
    for name, value in SERVER_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUHTUM_INSTANCE", str(tmp_path))
    settings = config.get_config("production")
    assert settings.SECRET_KEY == SERVER_ENV["SECRET_KEY"]
    assert settings.SECURITY_PASSWORD_SALT == SERVER_ENV["SECURITY_PASSWORD_SALT"]
    assert settings.SQLALCHEMY_DATABASE_URI == SERVER_ENV["DATABASE_URL"]
    assert settings.SESSION_COOKIE_SECURE is True
    app = create_app("production")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == SERVER_ENV["DATABASE_URL"]
    assert not list(tmp_path.iterdir()), "production keeps no generated secrets on disk"


def test_unknown_configuration_name_is_refused():
    with pytest.raises(RuntimeError, match="JUHTUM_CONFIG"):
        config.get_config("staging")


def test_secret_key_is_generated_once_under_the_instance_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("JUHTUM_INSTANCE", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECURITY_PASSWORD_SALT", raising=False)
    first = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    second = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    stored = (tmp_path / "secret_key").read_text().strip()
    assert len(stored) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == stored
    assert first.config["SECURITY_PASSWORD_SALT"] == second.config["SECURITY_PASSWORD_SALT"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0, "only the owner may read the secret"


def test_invalid_municipality_registry_code_refuses_start_up(monkeypatch, tmp_path):
    monkeypatch.setenv("JUHTUM_INSTANCE", str(tmp_path))
    valid = codes.make_registry_code("77", 17)
    bad = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    with pytest.raises(ValueError, match="registry code"):
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://", MUNICIPALITY_REGISTRY_CODE=bad)
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://", MUNICIPALITY_REGISTRY_CODE=f" {valid} ")
    assert app.config["MUNICIPALITY_REGISTRY_CODE"] == valid
