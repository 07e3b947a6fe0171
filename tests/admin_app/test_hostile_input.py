"""Naughty strings (the Big List of Naughty Strings) typed into the registers' text fields: stored
exactly as typed, shown escaped in the list and on the details page; too long or with a NUL
character refused with a message next to the field, and then nothing is saved."""

from datetime import date
from itertools import count as counter

import pytest
from markupsafe import escape

from models import Client, Material, Offer, Procurement, Provider, codes
from tests.admin_app.helpers import TUPLE_CHOICES, make, page, refused, saved, signed_in, snapshot
from tests.conftest import create_component, create_provider, fetch, naughty_strings, post_form

pytestmark = TUPLE_CHOICES

BLNS = naughty_strings()
NAMED = [
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    '"><img src=x onerror=alert(1)>',
    "Robert'); DROP TABLE client;--",
    "‮Ülle Õunapuu‭",  # RTL override
    "مرحبا بالعالم",
    "👩‍👩‍👧‍👦 🇪🇪",
    "Zalgo Z̮̞̠͙͔ͅḀ̗̞͈̻̗Ḷ͙͎̯̹̞͓G̻O̭̗̮",
    "   leading and trailing spaces   ",
    "line\nbreak",
    "%s %d {0} ${HOME} {{7*7}}",
]
# A spread of the list (every ninth non-empty string), the named ones, and strings at and over the limits.
SAMPLE = list(dict.fromkeys(NAMED + [s for s in BLNS if s.strip()][::9]))
LONG = ["Ä" * 100, "😀" * 100, "ž" * 101, "x" * 201, "y" * 301, "null\x00byte"]
CHUNKS = [SAMPLE[i::4] for i in range(4)] + [LONG]

serial = counter(500)


def _provider(s, refs):
    n = next(serial)
    data = {"registry_code": codes.make_registry_code("10", n), "name": s, "notes": s, "is_component": "y"}
    return "/admin/providers/", data, Provider, {"name": 200, "notes": None}


def _client(s, refs):
    n = next(serial)
    code = codes.make_personal_code(date(1990, 1, 1), "M", n)
    data = {
        "personal_code": code,
        "first_name": s,
        "last_name": s,
        "notes": s,
        "target_group": "youth",
        "status": "applicant",
    }
    return "/admin/clients/", data, Client, {"first_name": 100, "last_name": 100, "notes": None}


def _offer(s, refs):
    data = {"provider": str(refs["provider"]), "component": str(refs["component"])}
    data.update({"asked_on": "01.10.2026", "status": "asked", "unit": "hour", "notes": s})
    return "/admin/offers/", data, Offer, {"notes": None}


def _procurement(s, refs):
    n = next(serial)
    data = {"reference_number": f"9{n:05d}", "title": s, "procedure_type": "open", "status": "planned"}
    return "/admin/procurements/", data, Procurement, {"title": 300}


TARGETS = {"provider": _provider, "client": _client, "offer": _offer, "procurement": _procurement}
LISTED = {"name", "first_name", "last_name", "title"}  # the fields the list shows; all show on details


@pytest.mark.parametrize("chunk", range(len(CHUNKS)), ids=[f"strings-{i}" for i in range(len(CHUNKS) - 1)] + ["limits"])
@pytest.mark.parametrize("target", TARGETS)
def test_naughty_strings_are_kept_exactly_and_shown_escaped(app, client, target, chunk):
    user = signed_in(app, client, "head")
    refs = {
        "provider": make(app, create_provider, kinds=("supplementary",)).id,
        "component": make(app, create_component).id,
    }
    for s in CHUNKS[chunk]:
        url, data, model, limits = TARGETS[target](s, refs)
        before = snapshot(app, model)
        response = post_form(user, url + "new/", data)

        too_long = {f for f, limit in limits.items() if limit and len(s) > limit}
        if too_long or "\x00" in s:
            for field in too_long or limits:
                refused(response, field)
            assert snapshot(app, model) == before, f"{s!r} was refused, yet something was saved"
            continue

        saved(response)
        record = fetch(app, model, model.id == max(r[0] for r in snapshot(app, model)[model.__tablename__]))
        for field in limits:
            assert getattr(record, field) == s, f"{field} not stored as typed: {s!r}"
        shown_as = str(escape(s))
        listing = page(user, url + "?sort=0&desc=1&page_size=100")
        details = page(user, f"{url}details/?id={record.id}")
        if LISTED & limits.keys():
            assert shown_as in listing, f"{s!r} not shown (escaped) in the list"
        assert shown_as in details, f"{s!r} not shown (escaped) on the details page"
        if "<" in s:
            assert s not in listing and s not in details, f"raw markup {s!r} reached the page"


# --- Uploaded file names: every naughty string as a file's name -----------------------------------

UNSAFE_IN_NAMES = set("/\\:*?\"<>|;&$`'%{}[]") | {chr(c) for c in range(32)} | {"\x7f"}


@pytest.mark.parametrize("extension", [".pdf", ".png", ".docx"])
def test_every_naughty_string_as_a_file_name_becomes_a_safe_one(extension):
    from models.files import safe_name

    for s in BLNS + NAMED + LONG:
        name = safe_name(s + extension, extension)
        assert not set(name) & UNSAFE_IN_NAMES, repr(s)
        assert 0 < len(name) <= 200 and name.endswith(extension) and not name.startswith("."), repr(s)


@pytest.mark.parametrize("chunk", range(4), ids=[f"names-{i}" for i in range(4)])
def test_naughty_file_names_are_stored_safe_and_downloaded_as_attachments(app, client, chunk):
    from tests.admin_app.test_materials import URL, download, fields, real_pdf, send, stored

    signed_in(app, client, "case_manager")
    pdf = real_pdf()
    for n, s in enumerate(SAMPLE[chunk::4]):
        # As a browser sends a name (HTML's multipart/form-data: '"', CR and LF percent-encoded).
        sent = s.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        saved(send(client, URL + "new/", fields(title=f"Leht {chunk}-{n}"), (pdf, f"{sent}.pdf")))
        material = fetch(app, Material, Material.title == f"Leht {chunk}-{n}")
        name = stored(app, material.document_id).name
        assert not set(name) & UNSAFE_IN_NAMES and name.endswith(".pdf"), repr(s)
        got = download(client, material.id)
        assert got.status_code == 200 and got.get_data() == pdf
        assert got.headers["Content-Disposition"].startswith("attachment;"), repr(s)
        assert "\n" not in got.headers["Content-Disposition"] and "\r" not in got.headers["Content-Disposition"]
        got.close()
    html = page(client, URL)
    assert "<script>alert" not in html
