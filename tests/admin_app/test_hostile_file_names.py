"""Uploaded file names: every naughty string (the Big List of Naughty Strings) as a file's name comes
out as a safe name with the extension the content has, and the file is always sent as an attachment."""

import pytest

from models import Material
from models.files import safe_name
from tests.admin_app.helpers import TUPLE_CHOICES, page, saved, signed_in
from tests.conftest import fetch, naughty_strings

pytestmark = TUPLE_CHOICES

BLNS = naughty_strings()
NAMED = [
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "‮Ülle Õunapuu‭",  # RTL override
    "line\nbreak",
    'quote"d',
    "Ä" * 300,
]
# Every ninth non-empty string of the list and the named ones, for the round trips through the form.
SAMPLE = list(dict.fromkeys(NAMED + [s for s in BLNS if s.strip()][::9]))
UNSAFE_IN_NAMES = set("/\\:*?\"<>|;&$`'%{}[]") | {chr(c) for c in range(32)} | {"\x7f"}


@pytest.mark.parametrize("extension", [".pdf", ".png", ".docx"])
def test_every_naughty_string_as_a_file_name_becomes_a_safe_one(extension):
    for s in BLNS + NAMED:
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
