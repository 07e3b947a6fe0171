"""A session ends on the server: a cookie copied before sign-out, a password change, a role change,
a deactivation or the administrator's "Sign out everywhere" opens nothing afterwards."""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from models import Role, User, db
from tests.admin_app.helpers import ajax_update, alerts, page, saved, shown_count, signed_in, submit
from tests.conftest import PASSWORD, csrf_token, fetch, post_form, sign_in

EMAIL = "mari@test.ee"
CLIENTS = "/admin/clients/"
USERS = "/admin/users/"


@pytest.fixture
def mari(app):
    from admin_app.auth import create_user

    with app.app_context():
        create_user(EMAIL, PASSWORD, ["case_manager"], full_name="Mari Maasikas")
    return fetch(app, User, User.email == EMAIL)


@pytest.fixture
def admin(app):
    return signed_in(app, app.test_client(), "admin")


def _opens_clients(client) -> bool:
    response = client.get(CLIENTS)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and urlsplit(response.location).path == "/login", response.status_code
    return False


def _copy(app, client):
    """A second browser holding a copy of ``client``'s session cookie (a stolen or forgotten one)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def _signed_in_with_copy(app, mari):
    browser = app.test_client()
    assert sign_in(browser, mari.email).status_code == 302
    copy = _copy(app, browser)
    assert _opens_clients(browser) and _opens_clients(copy)
    return browser, copy


def _role_id(app, name: str) -> str:
    return str(fetch(app, Role, Role.name == name).id)


def test_a_cookie_replayed_after_sign_out_is_refused(app, mari):
    browser, copy = _signed_in_with_copy(app, mari)
    assert browser.post("/logout", data={"csrf_token": csrf_token(browser, "/admin/")}).status_code == 302
    assert not _opens_clients(browser)
    assert not _opens_clients(copy)


def test_signing_out_ends_every_session_of_that_user_only(app, mari):
    """Signing out signs the user out on every device; another user's session goes on."""
    browser, _ = _signed_in_with_copy(app, mari)
    elsewhere = app.test_client()
    assert sign_in(elsewhere, mari.email).status_code == 302
    colleague = signed_in(app, app.test_client(), "case_manager", "kolleeg@test.ee")
    before = fetch(app, User, User.id == mari.id)
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/admin/")})
    assert not _opens_clients(elsewhere)
    assert _opens_clients(colleague)
    # Signing out is no edit of the user's record: an administrator's open form of it still saves.
    assert fetch(app, User, User.id == mari.id).version == before.version
    assert sign_in(browser, mari.email).status_code == 302 and _opens_clients(browser)


def test_a_cookie_replayed_after_the_user_changes_the_password_is_refused(app, mari):
    browser, copy = _signed_in_with_copy(app, mari)
    new = "uus-pikk-parool-2026"
    form = {"password": PASSWORD, "new_password": new, "new_password_confirm": new}
    assert post_form(browser, "/change", form).status_code == 302
    assert _opens_clients(browser), "the one who changed it stays signed in"
    assert not _opens_clients(copy)


def test_a_cookie_replayed_after_the_administrator_sets_a_new_password_is_refused(app, mari, admin):
    browser, copy = _signed_in_with_copy(app, mari)
    saved(submit(admin, f"{USERS}edit/?id={mari.id}", {"new_password": "uus-pikk-parool-2026"}))
    assert not _opens_clients(browser) and not _opens_clients(copy)
    assert _opens_clients(admin)


def test_a_cookie_replayed_after_a_role_change_is_refused(app, mari, admin):
    browser, copy = _signed_in_with_copy(app, mari)
    saved(submit(admin, f"{USERS}edit/?id={mari.id}", {"roles": [_role_id(app, "head")]}))
    assert not _opens_clients(browser) and not _opens_clients(copy)
    assert _opens_clients(admin)
    assert sign_in(browser, mari.email).status_code == 302 and _opens_clients(browser)


def test_editing_a_name_leaves_the_user_signed_in(app, mari, admin):
    browser, copy = _signed_in_with_copy(app, mari)
    saved(submit(admin, f"{USERS}edit/?id={mari.id}", {"full_name": "Mari Mustikas"}))
    assert ajax_update(admin, USERS, mari.id, "full_name", "Mari Mets").status_code == 200
    assert _opens_clients(browser) and _opens_clients(copy)


def test_a_cookie_replayed_after_deactivation_is_refused_even_once_reactivated(app, mari, admin):
    browser, copy = _signed_in_with_copy(app, mari)
    assert ajax_update(admin, USERS, mari.id, "active", "").status_code == 200
    assert not fetch(app, User, User.id == mari.id).active
    assert not _opens_clients(copy)
    assert ajax_update(admin, USERS, mari.id, "active", "y").status_code == 200
    assert fetch(app, User, User.id == mari.id).active
    assert not _opens_clients(browser) and not _opens_clients(copy)


def test_a_cookie_replayed_after_deactivation_in_the_form_is_refused(app, mari, admin):
    browser, copy = _signed_in_with_copy(app, mari)
    saved(submit(admin, f"{USERS}edit/?id={mari.id}", {}, drop=("active",)))
    assert not fetch(app, User, User.id == mari.id).active
    saved(submit(admin, f"{USERS}edit/?id={mari.id}", {"active": "y"}))
    assert not _opens_clients(browser) and not _opens_clients(copy)


def _sign_out_everywhere(admin, *ids):
    data = {"action": "sign_out_everywhere", "rowid": [str(i) for i in ids], "csrf_token": csrf_token(admin, USERS)}
    return admin.post(USERS + "action/", data=data, follow_redirects=True)


def test_the_administrator_signs_a_user_out_everywhere(app, mari, admin):
    browser, copy = _signed_in_with_copy(app, mari)
    colleague = signed_in(app, app.test_client(), "case_manager", "kolleeg@test.ee")
    listed = page(admin, USERS)
    assert "sign_out_everywhere" in listed, "the action is offered on the users list"
    done = _sign_out_everywhere(admin, mari.id)
    assert done.status_code == 200
    assert any("1" in a for a in alerts(done.get_data(as_text=True)))
    assert not _opens_clients(browser) and not _opens_clients(copy)
    assert _opens_clients(colleague) and _opens_clients(admin)
    assert sign_in(browser, mari.email).status_code == 302 and _opens_clients(browser)


def test_sign_out_everywhere_with_a_garbled_id_answers_with_a_message(app, mari, admin):
    browser, _ = _signed_in_with_copy(app, mari)
    done = _sign_out_everywhere(admin, "abc")
    assert done.status_code == 200 and alerts(done.get_data(as_text=True))
    assert _opens_clients(browser)


def test_only_the_administrator_may_sign_others_out(app, mari):
    browser, _ = _signed_in_with_copy(app, mari)
    head = signed_in(app, app.test_client(), "head")
    token = csrf_token(head, "/admin/")
    response = head.post(
        USERS + "action/", data={"action": "sign_out_everywhere", "rowid": [str(mari.id)], "csrf_token": token}
    )
    assert response.status_code in (302, 403)
    assert _opens_clients(browser)


def test_a_password_hash_renewed_at_sign_in_keeps_the_session(app, mari):
    """Flask-Security re-hashes a password stored by an older scheme when the user signs in with it:
    the same password, so it is no password change and the new session works."""
    from flask_security.utils import get_hmac
    from passlib.hash import pbkdf2_sha512

    with app.app_context():
        old_hash = pbkdf2_sha512.hash(get_hmac(PASSWORD))
        db.session.execute(sa.update(User).where(User.id == mari.id).values(password=old_hash))
        db.session.commit()
    browser = app.test_client()
    assert sign_in(browser, mari.email).status_code == 302
    assert fetch(app, User, User.id == mari.id).password.startswith("$argon2")
    assert _opens_clients(browser)


def test_the_administrator_signs_out_every_user_the_filtered_list_shows(app, mari, admin):
    """ "All N matching": signing out everyone the search finds (a lost laptop of a team, say), across pages."""
    browser, copy = _signed_in_with_copy(app, mari)
    colleague = signed_in(app, app.test_client(), "case_manager", "kolleeg@test.ee")
    url = f"{USERS}action/all/?action=sign_out_everywhere&search={mari.email}"
    assert shown_count(
        app,
        "%(num)s row matches the current search and filters.",
        "%(num)s rows match the current search and filters.",
        1,
    ) in page(admin, url)
    admin.post(url, data={"csrf_token": csrf_token(admin, url), "confirmed": "1"})
    assert not _opens_clients(browser) and not _opens_clients(copy)
    assert _opens_clients(colleague) and _opens_clients(admin)
