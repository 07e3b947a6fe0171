"""The Estonian screens hold no English: every page and its error paths, Flask-Admin's and
Flask-Security-Too's strings included; a duplicate says in our words what is duplicated."""

import html as htmllib
import re
from pathlib import Path

import flask_admin
import flask_security
import pytest
import wtforms
from babel.messages.pofile import read_po
from flask_admin.model import BaseModelView

from tests.admin_app.helpers import TUPLE_CHOICES
from tests.conftest import (
    create_client,
    create_component,
    create_letter,
    create_offer,
    create_procurement,
    create_provider,
    post_form,
)

pytestmark = TUPLE_CHOICES


def _msgids(path: Path) -> set[str]:
    with path.open("rb") as f:
        catalogue = read_po(f)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}


def _english() -> set[str]:
    """The libraries' own English messages of two words or more (one word, e.g. "List", may be a name)."""
    sources = [
        Path(flask_admin.__file__).parent / "translations" / "en" / "LC_MESSAGES" / "admin.po",
        Path(flask_security.__file__).parent / "translations" / "flask_security.pot",
        Path(wtforms.__file__).parent / "locale" / "wtforms.pot",
    ]
    texts = set()
    for path in sources:
        for msgid in _msgids(path):
            # The constant part of a message with parameters: its longest piece between them.
            piece = max(re.split(r"%\(\w+\)s|%s|%d|\{\w*\}", msgid), key=len).strip(" .:,")
            if len(piece.split()) >= 2 and not piece.startswith(("http", "<")):
                texts.add(piece)
    return texts


#: Names, the same in every language.
NAMES = {"Google Authenticator"}
ENGLISH = _english() - NAMES


def visible(page: str) -> str:
    """The text a person reads: the page without scripts and tags, with titles and placeholders."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    hints = " ".join(re.findall(r'(?:title|placeholder|aria-label)="([^"]*)"', page))
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page) + " " + hints)


def english_in(page: str) -> list[str]:
    text = re.sub(r"\s+", " ", visible(page))
    return sorted(t for t in ENGLISH if re.search(r"(?<![\w-])" + re.escape(t) + r"(?![\w-])", text))


def assert_estonian(response, where: str) -> None:
    assert response.status_code < 500, f"{where} answered {response.status_code}"
    found = english_in(response.get_data(as_text=True))
    assert not found, f"English on the Estonian {where}: {found}"


@pytest.fixture
def records(app):
    with app.app_context():
        provider = create_provider()
        component = create_component()
        create_offer(provider=provider, component=component)
        create_procurement()
        create_client()
        create_letter()


def model_views(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, BaseModelView)]


def test_the_estonian_catalogues_know_the_libraries_texts():
    assert "Failed to create record" in ENGLISH and "Already exists" in ENGLISH
    assert "Invalid password" in ENGLISH and "This field is required" in ENGLISH


def test_every_list_form_and_details_page_and_their_error_paths_are_estonian(app, login_as, records):
    client = login_as("admin")
    assert_estonian(client.get("/admin/"), "home page")
    for view in model_views(app):
        url = view.url + "/"
        response = client.get(url)
        assert_estonian(response, url)
        listed = response.get_data(as_text=True)
        for bad in ("?page=x", "?sort=99", "?flt0_0=zzz", "?search=%00"):
            assert_estonian(client.get(url + bad), url + bad)
        if f'href="{url}new/' in listed:
            assert_estonian(client.get(url + "new/"), url + "new/")
            # An empty form: the required fields' messages.
            refused = post_form(client, url + "new/", {}, follow_redirects=True)
            assert_estonian(refused, url + "new/ sent empty")
        match = re.search(r"/details/\?id=(\d+)", listed)
        if match:
            pk = match.group(1)
            assert_estonian(client.get(f"{url}details/?id={pk}"), f"{url}details/")
            if f"{url}edit/?id={pk}" in listed:
                assert_estonian(client.get(f"{url}edit/?id={pk}"), f"{url}edit/")
        assert_estonian(client.get(f"{url}details/?id=999999", follow_redirects=True), f"{url} a missing record")
    for other in app.extensions["admin"][0]._views:
        if not isinstance(other, BaseModelView):
            assert_estonian(client.get(other.url + "/", follow_redirects=True), other.url)


def test_error_pages_are_estonian(app, login_as):
    client = login_as("case_manager")
    assert_estonian(client.get("/admin/no-such-page/"), "404 page")
    assert_estonian(client.get("/admin/users/"), "403 page")


def test_sign_in_and_the_second_factor_pages_are_estonian(app, client, login_as):
    assert_estonian(client.get("/login"), "sign-in page")
    assert_estonian(post_form(client, "/login", {"email": "keegi@test.ee", "password": "x"}), "failed sign-in")
    assert_estonian(post_form(client, "/login", {"email": "", "password": ""}), "empty sign-in")
    signed_in = login_as("head")
    for url in ("/tf-setup", "/change"):
        response = signed_in.get(url)
        if response.status_code == 404:
            continue
        assert_estonian(response, url)
        assert_estonian(post_form(signed_in, url, {}), url + " sent empty")


DUPLICATES = [
    ("/admin/clients/", "client", "personal_code", "Selle isikukoodiga klient on juba registreeritud."),
    ("/admin/providers/", "provider", "registry_code", "Selle registrikoodiga teenuseosutaja on juba registreeritud."),
    ("/admin/service-components/", "component", "code", "Selle koodiga teenuskomponent on juba olemas."),
]


@pytest.mark.parametrize(("url", "kind", "field", "message"), DUPLICATES, ids=[d[1] for d in DUPLICATES])
def test_a_duplicate_says_what_is_duplicated(app, login_as, url, kind, field, message):
    client = login_as("head")
    with app.app_context():
        saved = {"client": create_client, "provider": create_provider, "component": create_component}[kind]()
        value = getattr(saved, field)
    response = post_form(client, url + "new/", {field: value}, follow_redirects=True)
    text = re.sub(r"\s+", " ", visible(response.get_data(as_text=True)))
    assert message in text
    assert "On juba olemas" not in text and "Already exists" not in text
    assert "Failed to create record" not in text


def test_the_page_size_button_counts_records_in_our_words(app, login_as, records):
    """Flask-Admin's own Estonian calls a list's rows "esemed" (things); ours, read after it, says "kirjet"."""
    page = login_as("admin").get("/admin/clients/").get_data(as_text=True)
    button = re.sub(r"\s+", " ", visible(page))
    assert "20 kirjet" in button
    assert "esemed" not in page


def test_an_empty_cell_of_in_list_editing_is_named_in_estonian(app, login_as, records):
    """x-editable writes "Empty" into an editable cell with no value (a provider without a phone)
    unless the cell names its own text."""
    page = login_as("admin").get("/admin/providers/").get_data(as_text=True)
    cells = re.findall(r'<a [^>]*data-role="x-editable"[^>]*>', page)
    assert cells, "the providers' list edits in place"
    assert all('data-emptytext="Tühi"' in cell for cell in cells), cells[:2]
