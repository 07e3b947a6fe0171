"""Reference data and users, kept by the administrator: /admin/municipalities/ and /admin/users/."""

import pytest
import sqlalchemy as sa

from models import Municipality, Provider, Role, User
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    ajax_update,
    alerts,
    delete,
    filter_arg,
    in_order,
    make,
    not_saved_alert,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    sort_arg,
    submit,
)
from tests.conftest import count, create_municipality, create_provider, fetch, post_form

pytestmark = TUPLE_CHOICES

MUNICIPALITIES = "/admin/municipalities/"
USERS = "/admin/users/"


@pytest.fixture
def admin(app, client):
    return signed_in(app, client, "admin")


def test_admin_keeps_the_municipality_list(app, admin):
    saved(
        post_form(
            admin, MUNICIPALITIES + "new/", {"name": "Rapla vald", "county": "Raplamaa", "registry_code": " 77003316 "}
        )
    )
    make(app, create_municipality, name="Väike-Maarja vald", county="Lääne-Virumaa")
    make(app, create_municipality, name="Kehtna vald", county="Raplamaa")
    rapla = fetch(app, Municipality, Municipality.name == "Rapla vald")
    assert rapla.registry_code == "77003316"

    assert "77003316" in page(admin, f"{MUNICIPALITIES}details/?id={rapla.id}")
    saved(submit(admin, f"{MUNICIPALITIES}edit/?id={rapla.id}", {"name": "Rapla vald (vallavalitsus)"}))
    assert fetch(app, Municipality, Municipality.id == rapla.id).name == "Rapla vald (vallavalitsus)"

    html = page(admin, MUNICIPALITIES + "?search=maarja")
    assert "Väike-Maarja vald" in html and "Kehtna vald" not in html
    html = page(admin, MUNICIPALITIES + "?" + filter_arg(app, "municipalities", "County", "FilterEqual") + "=Raplamaa")
    assert "Kehtna vald" in html and "Väike-Maarja vald" not in html
    html = page(admin, MUNICIPALITIES + "?" + sort_arg(app, "municipalities", "name", desc=True))
    assert in_order(html, "Väike-Maarja vald", "Rapla vald (vallavalitsus)", "Kehtna vald")

    assert ajax_update(admin, MUNICIPALITIES, rapla.id, "county", "Rapla maakond").status_code == 200
    assert fetch(app, Municipality, Municipality.id == rapla.id).county == "Rapla maakond"

    delete(admin, MUNICIPALITIES, rapla.id)
    assert count(app, Municipality) == 2


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"name": "Uus vald", "registry_code": "77000332"},
            "registry_code",
            "Not a valid Estonian registry code (registrikood): 8 digits with a valid check digit.",
        ),
        ({"name": "Kehtna vald"}, "name", None),
        ({"name": "Uus vald", "registry_code": "77000217"}, "registry_code", None),
    ],
    ids=["bad registry code", "same name", "same registry code"],
)
def test_bad_municipality_is_refused(app, admin, data, field, message):
    make(app, create_municipality, name="Kehtna vald", registry_code="77000217")
    before = snapshot(app, Municipality)

    refused(post_form(admin, MUNICIPALITIES + "new/", data), field, message and shown(app, message))

    assert snapshot(app, Municipality) == before


def test_municipality_in_use_is_not_deleted(app, admin):
    rapla = make(app, create_municipality, name="Rapla vald")
    make(app, create_provider, municipality_id=rapla.id)
    before = snapshot(app, Municipality, Provider)

    html = delete(admin, MUNICIPALITIES, rapla.id).get_data(as_text=True)

    assert snapshot(app, Municipality, Provider) == before
    assert not_saved_alert(app, html), alerts(html)


def role_id(app, name: str) -> str:
    with app.app_context():
        from models import db

        return str(db.session.scalar(sa.select(Role.id).where(Role.name == name)))


def test_admin_creates_a_user_with_a_hashed_password(app, admin):
    password = "pikk-ja-hea-parool"
    data = {
        "email": "Mari.Maasikas@Rapla.ee",
        "full_name": "Mari Maasikas",
        "roles": [role_id(app, "case_manager")],
        "active": "y",
        "locale": "et",
        "new_password": password,
    }
    saved(post_form(admin, USERS + "new/", data))

    user = fetch(app, User, User.email == "mari.maasikas@rapla.ee")
    assert user.password and password not in user.password and user.password.startswith("$argon2")
    with app.app_context():
        from flask_security import verify_password

        assert verify_password(password, user.password)
    html = page(admin, USERS + "?search=maasikas")
    assert "Mari Maasikas" in html and password not in html and user.password not in html


@pytest.mark.parametrize(
    "password, message",
    [("lühike-11ch", None), ("", "A new user needs a password.")],
    ids=["11 characters", "none"],
)
def test_user_without_a_good_password_is_refused(app, admin, password, message):
    before = snapshot(app, User)
    data = {"email": "uus@rapla.ee", "full_name": "Uus", "roles": [role_id(app, "head")], "new_password": password}

    refused(post_form(admin, USERS + "new/", data), "new_password", message and shown(app, message))

    assert snapshot(app, User) == before


def test_short_new_password_on_edit_keeps_the_old_one(app, admin):
    saved(
        post_form(
            admin,
            USERS + "new/",
            {"email": "uus@rapla.ee", "full_name": "Uus", "roles": [role_id(app, "head")], "new_password": "x" * 12},
        )
    )
    user = fetch(app, User, User.email == "uus@rapla.ee")
    before = snapshot(app, User)

    refused(
        submit(admin, f"{USERS}edit/?id={user.id}", {"new_password": "short", "full_name": "Muudetud"}), "new_password"
    )

    assert snapshot(app, User) == before


def test_users_filter_by_role(app, admin):
    from admin_app.auth import create_user

    with app.app_context():
        create_user("raamatupidaja@test.ee", "parool-parool-1", ["accountant"], full_name="Rita Raamat")
        create_user("asjaajaja@test.ee", "parool-parool-1", ["registrar"], full_name="Aino Asi")
    html = page(admin, f"/admin/users/?{filter_arg(app, 'users', 'Role', 'RoleFilter')}=accountant")
    assert "raamatupidaja@test.ee" in html
    assert "asjaajaja@test.ee" not in html
