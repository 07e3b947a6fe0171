"""Estonian first, English on request: the screens, the user's choice, formats, and complete catalogues."""

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from models import User
from tests.conftest import PASSWORD, create_client, create_procurement, csrf_token, fetch, post_form, sign_in

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "admin_app" / "translations"
NBSP = "\N{NO-BREAK SPACE}"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def choose_language(client, code: str, **headers):
    """Press the language button on the home page (or the sign-in page when signed out)."""
    token = csrf_token(client, "/admin/" if _signed_in(client) else "/login")
    return client.post(f"/language/{code}", data={"csrf_token": token}, headers=headers)


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def sign_out(client):
    return post_form(client, "/logout", {}, form_url="/admin/")


# The sign-in page and Flask-Security-Too's messages


def test_sign_in_page_is_estonian_by_default(client):
    html = page(client, "/login")
    assert 'lang="et"' in html
    assert "Logi sisse" in html
    assert "E-post" in html and "Parool" in html
    assert "Sign in" not in html


def test_failed_sign_in_shows_the_estonian_generic_message(client, app):
    from admin_app.auth import create_user

    with app.app_context():
        create_user("kati@test.ee", PASSWORD, ["case_manager"])
    for email, password in (("kati@test.ee", "vale-parool-123"), ("keegi@test.ee", PASSWORD)):
        html = sign_in(client, email, password).get_data(as_text=True)
        # The same words whether or not the e-mail is registered.
        assert "Sisselogimine ebaõnnestus: e-posti aadress või parool on vale." in html
        assert "Authentication failed" not in html


def test_opening_a_register_signed_out_asks_in_estonian(client):
    response = client.get("/admin/clients/", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Logi sisse" in html


# The registers


def test_register_list_is_estonian_after_sign_in(app, login_as):
    client = login_as("head")
    with app.app_context():
        create_client(status="applicant", target_group="pilot")
    html = page(client, "/admin/clients/")
    # Stored choices show as their Estonian labels, not as codes.
    assert "Psüühikahäirega täisealine (pilootprojekt)" in html and "Taotleja" in html
    assert ">PILOT<" not in html and "Applicant" not in html
    for heading in ("Isikukood", "Perekonnanimi", "Eesnimi", "Sünniaeg", "Sihtrühm", "Juhtumikorraldaja", "Staatus"):
        assert heading in html
    # Flask-Admin's own Estonian: the list and create tabs, search, the menu.
    assert "Loend" in html and "Loo" in html
    assert "Registrid" in html and "Kliendid" in html
    assert "Logi välja" in html
    assert "Personal ID code" not in html and "Sign out" not in html


def test_english_is_chosen_per_user_and_kept(app, client, login_as):
    login_as("head", "juhataja@test.ee")
    response = choose_language(client, "en", Referer="http://localhost/admin/clients/?sort=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/clients/?sort=1"
    assert fetch(app, User, User.email == "juhataja@test.ee").locale == "en"

    html = page(client, "/admin/clients/")
    for heading in ("Personal ID code", "Last name", "Target group", "Case manager", "Status"):
        assert heading in html
    assert "List" in html and "Create" in html and "Sign out" in html
    assert "Isikukood" not in html and "Loend" not in html

    # Kept across sign-out and sign-in, in a browser that has forgotten the session.
    sign_out(client)
    client.delete_cookie("session")
    assert "Logi sisse" in page(client, "/login")
    assert sign_in(client, "juhataja@test.ee").status_code == 302
    assert "Personal ID code" in page(client, "/admin/clients/")


def test_another_user_stays_estonian(app):
    from admin_app.auth import create_user

    first = app.test_client()
    with app.app_context():
        create_user("english@test.ee", PASSWORD, ["head"])
        create_user("eesti@test.ee", PASSWORD, ["head"])
    assert sign_in(first, "english@test.ee").status_code == 302
    choose_language(first, "en")
    assert "Personal ID code" in page(first, "/admin/clients/")

    second = app.test_client()
    assert sign_in(second, "eesti@test.ee").status_code == 302
    html = page(second, "/admin/clients/")
    assert "Isikukood" in html and "Personal ID code" not in html
    assert fetch(app, User, User.email == "eesti@test.ee").locale is None


def test_choice_on_the_sign_in_page_carries_into_the_session(app, client):
    from admin_app.auth import create_user

    with app.app_context():
        create_user("uus@test.ee", PASSWORD, ["head"])
    choose_language(client, "en")
    html = page(client, "/login")
    assert 'lang="en"' in html and "Sign in" in html
    assert sign_in(client, "uus@test.ee").status_code == 302
    assert "Personal ID code" in page(client, "/admin/clients/")


# Formats


# The procurement list's in-place status editor still hands WTForms tuples; not this test's subject.
@pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning")
def test_dates_and_money_in_estonian_formats(app, login_as):
    client = login_as("head")
    with app.app_context():
        create_procurement(estimated_value=Decimal("1234.50"), tender_deadline=date(2026, 2, 24))
    html = page(client, "/admin/procurements/")
    assert "24.02.2026" in html
    assert f"1{NBSP}234,50{NBSP}€" in html

    choose_language(client, "en")
    html = page(client, "/admin/procurements/")
    assert "24.02.2026" in html
    assert "€1,234.50" in html


# The language switch


def test_unknown_language_changes_nothing(app, client, login_as):
    login_as("head", "juhataja@test.ee")
    response = choose_language(client, "xx")
    assert response.status_code == 302
    assert fetch(app, User, User.email == "juhataja@test.ee").locale is None
    assert "Isikukood" in page(client, "/admin/clients/")


@pytest.mark.parametrize(
    "referer",
    [
        "http://evil.example/x",
        "//evil.example/x",
        "https://evil.example",
        "http://localhost//evil.example/x",
        "/\\evil",
    ],
)
def test_language_switch_never_leaves_the_site(client, referer):
    response = choose_language(client, "en", Referer=referer)
    assert response.status_code == 302
    location = response.headers["Location"]
    # A path on this site: no scheme, no host, nothing a browser would read as one.
    assert urlsplit(location).netloc == "" and urlsplit(location).scheme == ""
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location


def test_language_switch_needs_the_csrf_token(client):
    assert client.post("/language/en").status_code == 400
    assert 'lang="et"' in page(client, "/login")


# The catalogues


def _catalogue(path: Path):
    with path.open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("domain", ["messages", "flask_security", "admin"])
def test_every_estonian_string_is_translated(domain):
    catalogue = _catalogue(TRANSLATIONS / "et" / "LC_MESSAGES" / f"{domain}.po")
    untranslated = [
        m.id
        for m in catalogue
        if m.id and ("fuzzy" in m.flags or not all(m.string if isinstance(m.string, tuple) else (m.string,)))
    ]
    assert not untranslated, f"translate in et/{domain}.po: {untranslated}"


@pytest.mark.parametrize("domain", ["messages", "flask_security", "admin"])
def test_compiled_catalogues_are_fresh(domain):
    po = TRANSLATIONS / "et" / "LC_MESSAGES" / f"{domain}.po"
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, "run `make translations`"


def test_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"%\(\w+\)s")
    for m in _catalogue(TRANSLATIONS / "et" / "LC_MESSAGES" / "messages.po"):
        if not m.id:
            continue
        wanted = set(placeholder.findall(m.id if isinstance(m.id, str) else m.id[0]))
        for string in m.string if isinstance(m.string, tuple) else (m.string,):
            assert set(placeholder.findall(string)) == wanted, m.id


def test_flask_security_messages_we_show_are_estonian():
    catalogue = _catalogue(TRANSLATIONS / "et" / "LC_MESSAGES" / "flask_security.po")
    needed = {
        "Authentication failed - identity or password/passcode invalid",
        "Please sign in to open this page.",
        "You must sign in to view this resource.",
        "You do not have permission to view this resource.",
        "Account is disabled.",
        "Password not provided",
        "Email not provided",
        "Invalid email address",
        "Password must be at least %(length)s characters",
        "You successfully changed your password.",
    }
    assert needed <= {m.id for m in catalogue if m.string}


def test_template_is_up_to_date_with_the_code(tmp_path):
    """A string added to the code without `make translations-update` would show in English."""
    fresh = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            *_makefile_extract_arguments(),
            "-o",
            str(fresh),
            "admin_app",
            "models",
            "exports",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    in_code = {m.id for m in _catalogue(fresh) if m.id}
    in_template = {m.id for m in _catalogue(TRANSLATIONS / "messages.pot") if m.id}
    in_estonian = {m.id for m in _catalogue(TRANSLATIONS / "et" / "LC_MESSAGES" / "messages.po") if m.id}
    assert in_code == in_template, "run `make translations-update` and translate the new strings"
    assert in_code <= in_estonian, "run `make translations-update` and translate the new strings"


def _makefile_extract_arguments() -> list[str]:
    """The arguments of `pybabel extract` exactly as the Makefile gives them."""
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("BABEL_EXTRACT :="):
            return line.split(":=", 1)[1].split()
    raise AssertionError("BABEL_EXTRACT is missing from the Makefile")
