"""The public document register (/register/): open to anyone, it lists letters and answers with their
public metadata, searches and pages, and never shows a restricted letter's subject or sender, nor a
private person's name, on any page or in any search result."""

import re
from datetime import date, timedelta

import pytest

from tests.admin_app.helpers import make, page, shown
from tests.conftest import create_letter

URL = "/register/"
TODAY = date.today()
# Words that exist only in restricted letters and private persons' names.
SECRETS = ("Vaarikasõõnik", "Pilvepiir", "Ohakaõunapuu", "Kummitusjõgi", "Sookailutee", "Tähevankrimets")


@pytest.fixture
def small_pages(app):
    size = app.config["PUBLIC_REGISTER_PAGE_SIZE"]
    app.config["PUBLIC_REGISTER_PAGE_SIZE"] = 3
    yield 3
    app.config["PUBLIC_REGISTER_PAGE_SIZE"] = size


def letter(app, **values):
    return make(app, create_letter, **values)


def numbers(html: str) -> list[str]:
    return re.findall(r'<td class="text-nowrap number">([^<]+)</td>', html)


def test_register_opens_without_sign_in_and_shows_public_metadata(app, client):
    organisation = letter(
        app,
        registered_on=date(2026, 10, 1),
        sender_kind="organisation",
        sender_name="Rapla Hooldekodu SA",
        subject="Ühistranspordi graafik",
        status="answered",
        answered_on=date(2026, 10, 20),
        outgoing_number="7-1/2026/1-2",
        answer_text="Vastame teile ...",
    )
    person = letter(app, registered_on=date(2026, 10, 2), kind="information", sender_name="Jaan Tamm Pilvepiir")
    html = page(client, URL)
    assert numbers(html) == [person.number, organisation.number]  # newest first
    for text in ("Rapla Hooldekodu SA", "Ühistranspordi graafik", "01.10.2026", "20.10.2026 7-1/2026/1-2"):
        assert text in html
    for text in ("Memorandum", "Request for information", "Answered", "Registered", "Private person"):
        assert shown(app, text) in html
    assert "Pilvepiir" not in html and "Jaan Tamm" not in html
    assert "Vastame teile" not in html  # the answer itself is not published here


def test_restricted_letters_leak_nothing_on_any_page_or_search(app, client, small_pages):
    hidden = [
        letter(
            app,
            registered_on=TODAY - timedelta(days=3),
            private_life=True,
            sender_name="Tiit Pilvepiir",
            subject="Toimetulekutoetus Vaarikasõõnik",
            summary="Kodune olukord Sookailutee",
        ),
        letter(
            app,
            registered_on=TODAY - timedelta(days=2),
            sender_kind="organisation",
            sender_name="Ohakaõunapuu OÜ",
            subject="Hankeleping Kummitusjõgi",
            restricted=True,
            restriction_basis="AvTS § 35 lg 1 p 2",
            restricted_until=TODAY + timedelta(days=365),
            status="answered",
            answered_on=TODAY - timedelta(days=1),
            outgoing_number="V-9",
            answer_text="Tähevankrimets",
        ),
    ]
    public = [letter(app, registered_on=TODAY - timedelta(days=10 + n), subject=f"Avalik kiri {n}") for n in range(6)]

    seen = {}
    first = page(client, URL)
    assert shown(app, "Documents found: %(n)s", n=8) in first
    for n in range(1, 5):  # three full pages, and one past the end (shows the last)
        seen[f"page {n}"] = page(client, f"{URL}?page={n}")
    for word in (*SECRETS, "Toimetulekutoetus", "Hankeleping", "AK", "%", "_", hidden[0].number, hidden[1].number):
        seen[f"search {word}"] = page(client, f"{URL}?q={word}")
        for n in (1, 2):
            seen[f"search {word} page {n}"] = page(client, f"{URL}?q={word}&page={n}")
    for name, html in seen.items():
        # The search box repeats what was typed into it: that is the visitor's own word, not a leak.
        html = re.sub(r'<form[^>]*role="search".*?</form>', "", html, flags=re.S)
        for word in SECRETS:
            assert word.lower() not in html.lower(), f"{word} shown on {name}"
    # Every letter is listed once across the pages, restricted ones as AK with their legal basis.
    listed = [n for k in ("page 1", "page 2", "page 3") for n in numbers(seen[k])]
    assert sorted(listed) == sorted(x.number for x in hidden + public)
    assert numbers(seen["page 4"]) == numbers(seen["page 3"])
    # A hidden word finds nothing; the registration number finds the restricted letter, shown as AK.
    for word in ("Vaarikasõõnik", "Pilvepiir", "Ohakaõunapuu", "Kummitusjõgi", "Toimetulekutoetus", "Hankeleping"):
        assert numbers(seen[f"search {word}"]) == [], word
    found = seen[f"search {hidden[1].number}"]
    assert numbers(found) == [hidden[1].number]
    assert '<td class="subject">AK' in found and '<td class="sender">AK</td>' in found
    assert "AvTS § 35 lg 1 p 2" in found and "V-9" in found
    assert numbers(seen["search %"]) == [] and numbers(seen["search _"]) == []


def test_search_finds_subjects_and_organisations_and_pages_keep_the_search(app, client, small_pages):
    for n in range(5):
        letter(app, registered_on=TODAY - timedelta(days=n), subject=f"Lumetõrje küsimus {n}")
    letter(app, registered_on=TODAY, sender_kind="organisation", sender_name="Kehtna Lasteaed", subject="Rühmad")
    html = page(client, f"{URL}?q=lumetõrje")
    assert len(numbers(html)) == 3 and shown(app, "Documents found: %(n)s", n=5) in html
    assert "q=lumet%C3%B5rje&amp;page=2" in html
    assert len(numbers(page(client, f"{URL}?q=lumetõrje&page=2"))) == 2
    assert len(numbers(page(client, f"{URL}?q=Kehtna"))) == 1


def test_an_expired_restriction_is_shown_in_full(app, client):
    letter(
        app,
        registered_on=date(2020, 3, 2),
        sender_kind="organisation",
        sender_name="Vana Ühing MTÜ",
        subject="Ammune asi",
        restricted=True,
        restriction_basis="AvTS § 35 lg 1 p 2",
        restricted_until=date(2021, 3, 2),
    )
    html = page(client, URL)
    assert "Ammune asi" in html and "Vana Ühing MTÜ" in html
