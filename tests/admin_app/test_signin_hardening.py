"""Sign-in hardening: lockout, password policy, the TOTP second factor, idle expiry, headers and
production error pages."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from passlib.totp import TOTP

from admin_app import create_app
from admin_app.auth import create_user
from models import User, db
from tests.admin_app.helpers import shown
from tests.conftest import PASSWORD, csrf_token, fetch, post_form, sign_in

EMAIL = "mari@test.ee"
WRONG = "vale-parool-12345"


@pytest.fixture
def mari(app):
    with app.app_context():
        create_user(EMAIL, PASSWORD, ["case_manager"], full_name="Mari Maasikas")
    return EMAIL


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def _alerts(response) -> list[str]:
    return re.findall(r'class="alert alert-danger"[^>]*>(.*?)<', response.get_data(as_text=True))


# --- lockout -----------------------------------------------------------------------------------


def test_repeated_failures_lock_the_account_even_for_the_right_password(app, client, mari):
    limit = app.config["SIGNIN_MAX_FAILURES"]
    for _ in range(limit):
        failed = sign_in(client, mari, WRONG)
    assert fetch(app, User, User.email == mari).locked_until > _now()
    refused = sign_in(client, mari)
    assert refused.status_code == 200 and not _signed_in(client)
    # The same words as a wrong password, so a locked account does not tell a guesser when a guess was right;
    # the note under them says why a right password may still be refused.
    assert _alerts(refused) == _alerts(failed)
    note = refused.get_data(as_text=True)
    assert 'id="lockout-note"' in note and str(app.config["SIGNIN_LOCK_MINUTES"]) in note


def test_the_lock_ends_by_itself(app, client, mari):
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        sign_in(client, mari, WRONG)
    with app.app_context():
        earlier = _now() - timedelta(seconds=1)
        db.session.execute(sa.update(User).where(User.email == mari).values(locked_until=earlier))
        db.session.commit()
    assert sign_in(client, mari).status_code == 302
    user = fetch(app, User, User.email == mari)
    assert user.failed_logins == 0 and user.locked_until is None


def test_a_right_password_starts_the_count_again(app, client, mari):
    limit = app.config["SIGNIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        sign_in(client, mari, WRONG)
    assert sign_in(client, mari).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    for _ in range(limit - 1):
        sign_in(client, mari, WRONG)
    assert sign_in(client, mari).status_code == 302


def test_wrong_passwords_typed_at_the_same_moment_all_count(app, mari):
    """Two sign-in requests hold the same user row; both fail. Each failure counts, and the second is
    not refused as a stale edit of the user (which used to answer a 500)."""
    limit = app.config["SIGNIN_MAX_FAILURES"]
    with app.app_context():
        first = db.session.scalars(sa.select(User).where(User.email == mari)).one()
        with app.app_context():  # another request: a session of its own, loaded at the same moment
            second = db.session.scalars(sa.select(User).where(User.email == mari)).one()
            first_version = first.version
            second.track_failed_authn("password")
        first.track_failed_authn("password")
        assert first.failed_logins == 2 and first.version == first_version
        for _ in range(limit - 2):
            with app.app_context():
                db.session.scalars(sa.select(User).where(User.email == mari)).one().track_failed_authn("password")
    assert fetch(app, User, User.email == mari).locked_until > _now()


def test_a_new_password_needs_twelve_characters(app, client, mari):
    sign_in(client, mari)
    short = "lyhike-1234"  # 11 characters
    form = {"password": PASSWORD, "new_password": short, "new_password_confirm": short}
    refused = post_form(client, "/change", form)
    assert refused.status_code == 200
    with app.app_context():
        assert fetch(app, User, User.email == mari).verify_and_update_password(PASSWORD)
    good = "pikem-parool-2026"
    form = {"password": PASSWORD, "new_password": good, "new_password_confirm": good}
    assert post_form(client, "/change", form).status_code == 302


# --- two-factor --------------------------------------------------------------------------------


def _code(key: str) -> str:
    """What an authenticator app shows for ``key`` now (passlib's own TOTP, not the app's)."""
    return TOTP(key=key, format="base32").generate().token


def _set_up_two_factor(client) -> str:
    """Follow the setup screens: choose the authenticator, read the key, answer with its code."""
    page = client.get("/admin/")
    assert 'id="two-factor-setup"' in page.get_data(as_text=True)
    shown = post_form(client, "/tf-setup", {"setup": "authenticator"}).get_data(as_text=True)
    key = re.search(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3,})\b", shown).group(1).replace("-", "")
    action = re.search(r'<form action="(/tf-setup/[^"]+)"', shown).group(1)
    token = re.search(r'id="code-csrf" name="csrf_token" type="hidden" value="([^"]+)"', shown).group(1)
    done = client.post(action, data={"code": _code(key), "csrf_token": token})
    assert done.status_code == 302
    return key


def test_a_user_sets_up_a_second_factor_and_then_needs_its_code(app, client, mari):
    sign_in(client, mari)
    key = _set_up_two_factor(client)
    assert fetch(app, User, User.email == mari).tf_primary_method == "authenticator"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})

    asked = sign_in(client, mari)
    assert asked.status_code == 302 and "/tf-validate" in asked.location
    assert not _signed_in(client), "the password alone does not open anything"
    wrong = post_form(client, "/tf-validate", {"code": "000000"}, form_url=asked.location)
    assert wrong.status_code == 200 and not _signed_in(client)
    time.sleep(0.1)
    right = post_form(client, "/tf-validate", {"code": _code(key)}, form_url=asked.location)
    assert right.status_code == 302
    assert _signed_in(client)


def _wrong(key: str) -> str:
    """A code the authenticator does not show now (nor in the steps around now)."""
    totp = TOTP(key=key, format="base32")
    shown = {totp.generate(time.time() + step * 30).token for step in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in shown)


def _with_two_factor(app, client, mari) -> str:
    sign_in(client, mari)
    key = _set_up_two_factor(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    return key


def test_wrong_second_factor_codes_lock_the_account(app, client, mari):
    key = _with_two_factor(app, client, mari)
    asked = sign_in(client, mari)
    assert "/tf-validate" in asked.location
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        wrong = post_form(client, "/tf-validate", {"code": _wrong(key)}, form_url=asked.location)
        assert wrong.status_code == 200 and not _signed_in(client)
    assert fetch(app, User, User.email == mari).locked_until > _now()

    minutes = app.config["SIGNIN_LOCK_MINUTES"]
    locked = shown(app, "Too many failed sign-ins; try again in %(minutes)s minutes.", minutes=minutes)
    right = post_form(client, "/tf-validate", {"code": _code(key)}, form_url=asked.location)
    assert right.status_code == 200 and not _signed_in(client), "a right code is refused while locked"
    assert locked in _alerts(right)
    again = sign_in(client, mari)
    assert again.status_code == 200 and not _signed_in(client), "and so is the right password"


def test_the_right_password_does_not_restart_the_count_of_wrong_codes(app, client, mari):
    """A guesser who knows the password signs in anew before each guess of a code: still locked."""
    key = _with_two_factor(app, client, mari)
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        asked = sign_in(client, mari)
        assert asked.status_code == 302 and "/tf-validate" in asked.location
        post_form(client, "/tf-validate", {"code": _wrong(key)}, form_url=asked.location)
    assert fetch(app, User, User.email == mari).locked_until > _now()
    assert sign_in(client, mari).status_code == 200 and not _signed_in(client)


def test_a_whole_sign_in_restarts_the_count(app, client, mari):
    key = _with_two_factor(app, client, mari)
    limit = app.config["SIGNIN_MAX_FAILURES"]
    sign_in(client, mari, WRONG)
    asked = sign_in(client, mari)
    for _ in range(limit - 2):
        post_form(client, "/tf-validate", {"code": _wrong(key)}, form_url=asked.location)
    assert fetch(app, User, User.email == mari).failed_logins == limit - 1
    time.sleep(0.1)
    assert post_form(client, "/tf-validate", {"code": _code(key)}, form_url=asked.location).status_code == 302
    user = fetch(app, User, User.email == mari)
    assert user.failed_logins == 0 and user.locked_until is None


def test_without_a_second_factor_the_password_is_enough(client, mari):
    assert sign_in(client, mari).status_code == 302
    assert _signed_in(client)


# --- sessions and headers ----------------------------------------------------------------------


def test_an_idle_session_ends(app, client, mari, monkeypatch):
    sign_in(client, mari)
    assert _signed_in(client)
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=1))
    time.sleep(2.2)
    after = client.get("/admin/")
    assert after.status_code == 302 and "/login" in after.location


@pytest.mark.parametrize("url", ["/login", "/admin/", "/no-such-page", "/register/"])
def test_every_response_carries_the_security_headers(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


# --- production settings -----------------------------------------------------------------------


@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("SECURITY_PASSWORD_SALT", "p" * 20)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("JUHTUM_INSTANCE", str(tmp_path))
    app = create_app("production")

    @app.get("/boom")
    def boom():
        raise ZeroDivisionError("secret detail in the traceback")

    return app


def test_production_answers_an_error_with_the_plain_page(production):
    response = production.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "(500)" in html
    assert "Traceback" not in html and "ZeroDivisionError" not in html and "secret detail" not in html
    assert not production.debug


def test_production_cookies_are_secure(production):
    client = production.test_client()
    response = client.get("/login")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" in response.headers
    assert production.config["REMEMBER_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_HTTPONLY"]
