"""Least access, tried on every URL: case manager A has client X, case manager B has client Y. B never
sees X — not in a list, an export, a search, a select box, the home page or the case file, and X's
records answer 404 (as if they did not exist) — until B stands in for A; after the substitution ends,
no more. The head and the administrator see everyone; the accountant, every delivery."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from models import (
    ActionPlan,
    Assessment,
    CaseStep,
    Client,
    Counselling,
    Inspection,
    Instrument,
    Meeting,
    QolAnswer,
    QolAnswerSet,
    ServiceDelivery,
    Substitution,
    User,
    db,
)
from tests.admin_app.helpers import TUPLE_CHOICES, shown
from tests.conftest import PASSWORD, count, create_component, csrf_token
from tests.deliveries import active_client, contracted_provider, create_delivery

pytestmark = [TUPLE_CHOICES, pytest.mark.usefixtures("shipped_questionnaire")]

TODAY = date.today()
X_NAME, Y_NAME = "Ahvenaine", "Bergmann"

#: The registers holding records of one client: URL → model.
REGISTERS = {
    "/admin/clients/": Client,
    "/admin/assessments/": Assessment,
    "/admin/case-steps/": CaseStep,
    "/admin/counselling/": Counselling,
    "/admin/action-plans/": ActionPlan,
    "/admin/meetings/": Meeting,
    "/admin/quality-of-life/": QolAnswerSet,
    "/admin/supervision/": Inspection,
    "/admin/deliveries/": ServiceDelivery,
}

NAMES = {"a": "Anu Aasamets", "b": "Berit Bergholm", "c": "Carmen Cirk"}
_hash: dict[str, str] = {}


def _user(email: str, role: str) -> int:
    from flask_security import hash_password

    from admin_app.auth import ensure_roles, user_datastore

    ensure_roles()
    if PASSWORD not in _hash:
        _hash[PASSWORD] = hash_password(PASSWORD)
    user = user_datastore.create_user(
        email=email, password=_hash[PASSWORD], full_name=NAMES.get(email.split("@")[0], email), roles=[role]
    )
    db.session.commit()
    return user.id


def _records_of(client: Client, provider, component) -> dict[str, int]:
    """One record of ``client`` in every register: {register URL: id}."""
    instrument = db.session.get(Instrument, 1)
    answers = QolAnswerSet(client=client, instrument=instrument, point="entry", answered_on=date(2026, 2, 1))
    answers.answers = [QolAnswer(item=item, value=3) for item in instrument.items]
    answers.score = 3
    records = {
        "/admin/assessments/": Assessment(client=client, assessed_on=date(2026, 1, 10), decision="services"),
        "/admin/case-steps/": CaseStep(client=client, kind="assessed", done_on=date(2026, 1, 10)),
        "/admin/counselling/": Counselling(
            client=client, topic="social_rights", channel="phone", held_on=date(2026, 1, 12)
        ),
        "/admin/action-plans/": ActionPlan(client=client, drawn_up_on=date(2026, 1, 15), status="open"),
        "/admin/meetings/": Meeting(
            held_on=date(2026, 1, 20), kind="network", title=f"Kohtumine {client.last_name}", clients=[client]
        ),
        "/admin/quality-of-life/": answers,
        "/admin/supervision/": Inspection(
            provider=provider, client=client, inspected_on=date(2026, 2, 2), inspector="Maie Kuusk"
        ),
    }
    db.session.add_all(records.values())
    db.session.commit()
    delivery = create_delivery(provider=provider, component=component, client=client)
    ids = {url: record.id for url, record in records.items()}
    return {"/admin/clients/": client.id, **ids, "/admin/deliveries/": delivery.id}


@pytest.fixture
def office(app):
    """A with X, B with Y, a head, an accountant and an administrator; X's and Y's records."""
    return make_office(app)


def make_office(app) -> dict:
    """The ``office`` fixture's users and records (also for the modules that test saving and actions)."""
    with app.app_context():
        users = {
            name: _user(f"{name}@test.ee", role)
            for name, role in (
                ("a", "case_manager"),
                ("b", "case_manager"),
                ("c", "case_manager"),
                ("head", "head"),
                ("admin", "admin"),
                ("accountant", "accountant"),
            )
        }
        component = create_component()
        provider = contracted_provider(component)
        x = active_client(first_name="Xena", last_name=X_NAME, case_manager_id=users["a"])
        y = active_client(first_name="Yrjö", last_name=Y_NAME, case_manager_id=users["b"])
        office = {"users": users, "x": _records_of(x, provider, component), "y": _records_of(y, provider, component)}
        office["x_code"], office["y_code"] = x.personal_code, y.personal_code
        office["sheet"] = (provider.registry_code, component.code)
        db.session.remove()
    return office


def _as(app, name: str):
    """A browser signed in as the office's ``name``."""
    browser = app.test_client()
    with app.app_context():
        uniquifier = db.session.scalar(sa.select(User.fs_uniquifier).where(User.email == f"{name}@test.ee"))
    with browser.session_transaction() as session:
        session["_user_id"] = uniquifier
        session["_fresh"] = True
    return browser


def _substitution(app, office, starts_on: date, ends_on: date) -> None:
    """B stands in for A from ``starts_on`` to ``ends_on``."""
    with app.app_context():
        db.session.add(
            Substitution(
                absent_id=office["users"]["a"], substitute_id=office["users"]["b"], starts_on=starts_on, ends_on=ends_on
            )
        )
        db.session.commit()


def _record_pages(app, office, whose: str) -> dict[str, int]:
    """Every GET page of one client's records and the client itself: {url: status}."""
    browser = _as(app, "b")
    records = office[whose]
    urls = [f"{url}{page}?id={pk}" for url, pk in records.items() for page in ("details/", "edit/")]
    client_id = records["/admin/clients/"]
    urls += [
        f"/admin/case-file/?client_id={client_id}",
        f"/admin/quality-of-life/client/?client_id={client_id}",
        f"/admin/action-plans/print/?id={records['/admin/action-plans/']}",
    ]
    return {url: browser.get(url).status_code for url in urls}


def _lists_and_exports(browser) -> str:
    """Every list, its CSV export and the home page of ``browser``, as one text."""
    texts, refused = [], {}
    for url in ["/admin/", *REGISTERS, *(f"{url}export/csv/" for url in REGISTERS)]:
        response = browser.get(url)
        texts.append(response.get_data(as_text=True))  # read now: an export streams
        if response.status_code != 200:
            refused[url] = response.status_code
    assert refused == {}
    return "\n".join(texts)


# --- B and X: not found, not listed, not offered --------------------------------------------------


def test_a_colleague_s_client_and_their_records_are_not_found(app, office):
    assert set(_record_pages(app, office, "x").values()) == {404}
    assert set(_record_pages(app, office, "y").values()) == {200}, "B's own client opens"


def test_every_admin_url_given_a_colleague_s_record_shows_nothing_of_it(app, office):
    """Every GET URL under /admin/, given X's ids as ?id= and ?client_id= and X's surname as a search,
    never shows X (by first name or personal ID code: the surname searched for is echoed in the box)."""
    browser = _as(app, "b")
    x = office["x"]
    shown = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods or "<" in rule.rule:
            continue
        base = "/admin/" + rule.rule.split("/admin/", 1)[1].split("/", 1)[0] + "/"
        pk = x.get(base, x["/admin/clients/"])
        response = browser.get(f"{rule.rule}?id={pk}&client_id={x['/admin/clients/']}&search={X_NAME}")
        # A file (an import template) is searched as bytes: a text page as text.
        html = response.get_data().decode("utf-8", "replace")
        if response.status_code == 200 and ("Xena" in html or office["x_code"] in html):
            shown[rule.rule] = response.status_code
    assert shown == {}


def test_changes_to_a_colleague_s_records_are_refused_with_404(app, office):
    browser = _as(app, "b")
    token = csrf_token(browser, "/admin/")
    for url, model in REGISTERS.items():
        pk = office["x"][url]
        rows = count(app, model)
        answers = {
            "edit": browser.post(f"{url}edit/?id={pk}", data={"csrf_token": token}),
            "delete": browser.post(f"{url}delete/", data={"id": pk, "csrf_token": token}),
            "ajax": browser.post(f"{url}ajax/update/", data={"list_form_pk": pk, "phone": "1", "csrf_token": token}),
        }
        browser.post(f"{url}action/", data={"action": "delete", "rowid": pk, "csrf_token": token})
        assert {k: r.status_code for k, r in answers.items() if r.status_code not in (403, 404)} == {}, url
        # Clients are deleted by the administrator only (archiving, not deleting): 403 for everyone else,
        # which says nothing about whether this client exists.
        assert answers["delete"].status_code == (403 if url == "/admin/clients/" else 404), url
        assert count(app, model) == rows, f"{url}: a colleague's record was deleted"


def test_lists_exports_search_and_home_never_show_a_colleague_s_client(app, office):
    text = _lists_and_exports(_as(app, "b"))
    assert X_NAME not in text and office["x_code"] not in text
    assert Y_NAME in text
    for url in ("/admin/clients/", "/admin/clients/export/csv/"):
        found = _as(app, "b").get(f"{url}?search={X_NAME}").get_data(as_text=True)
        assert "Xena" not in found and office["x_code"] not in found, url  # the surname is echoed


def test_new_records_offer_only_clients_in_scope(app, office):
    browser = _as(app, "b")
    x, y = office["x"]["/admin/clients/"], office["y"]["/admin/clients/"]
    for url in ("/admin/assessments/", "/admin/case-steps/", "/admin/meetings/", "/admin/deliveries/"):
        html = browser.get(f"{url}new/?client_id={x}").get_data(as_text=True)
        assert X_NAME not in html, f"{url}: X offered or preselected"
        assert Y_NAME in html, url
    rows = count(app, Assessment)
    token = csrf_token(browser, "/admin/assessments/new/")
    form = {"client": str(x), "assessed_on": "2026-03-03", "decision": "services", "csrf_token": token}
    refused = browser.post("/admin/assessments/new/", data=form)
    assert refused.status_code == 200, "the form comes back with the error"
    assert count(app, Assessment) == rows
    assert count(app, Assessment, Assessment.client_id == y) == 1


def test_a_delivery_sheet_finds_no_colleague_s_client(app, office):
    from tests.admin_app.test_deliveries import upload

    registry, code = office["sheet"]
    browser = _as(app, "b")
    rows = count(app, ServiceDelivery)
    refused = upload(browser, [[office["x_code"], registry, code, "14.09.2026", None, 1, None, None]])
    message = shown(app, "No client with personal ID code %(value)s.", value=office["x_code"])
    assert message in refused.get_data(as_text=True)
    assert count(app, ServiceDelivery) == rows
    saved = upload(browser, [[office["y_code"], registry, code, "14.09.2026", None, 1, None, None]])
    assert saved.status_code == 302
    assert count(app, ServiceDelivery) == rows + 1


def test_an_invoice_shows_a_case_manager_only_their_clients_lines(app, office):
    from models import generate_invoice
    from tests.deliveries import MONTH

    with app.app_context():
        pk = generate_invoice(MONTH).id
        db.session.commit()
    b = _as(app, "b")
    details = b.get(f"/admin/invoices/details/?id={pk}").get_data(as_text=True)
    assert Y_NAME in details and X_NAME not in details
    assert details.count('class="client-group"') == 1
    searched = b.get(f"/admin/invoices/details/?id={pk}&q={X_NAME}").get_data(as_text=True)
    assert searched.count('class="client-group"') == 0  # X is on the invoice, but not b's client
    assert b.get(f"/admin/invoices/{pk}/download/").status_code == 403
    head = _as(app, "head")
    everyone = head.get(f"/admin/invoices/details/?id={pk}").get_data(as_text=True)
    assert X_NAME in everyone and everyone.count('class="client-group"') == 2
    # The totals stay the invoice's, whoever reads them.
    assert _grand_total(details) == _grand_total(everyone)
    download = head.get(f"/admin/invoices/{pk}/download/")
    assert download.status_code == 200 and download.get_data()


def _grand_total(html: str) -> str:
    return re.search(r'class="text-right grand-total">([^<]*)<', html).group(1)


# --- restricted letters about a client: read by those who may read the client ---------------------

LETTERS = "/admin/letters/"
SUBJECT_WORD, SENDER_WORD = "Hoolduskoormus", "Kivirähkmets"


@pytest.fixture
def letters(app, office):
    """A restricted letter about X answered by C, with an attachment and an answer file; an open one about X."""
    from models import LetterAttachment
    from models.files import simple_pdf, stored_file
    from tests.conftest import create_letter

    with app.app_context():
        x = office["x"]["/admin/clients/"]
        hidden = create_letter(
            registered_on=TODAY,
            private_life=True,
            client_id=x,
            answerer_id=office["users"]["c"],
            subject=f"Toetus {SUBJECT_WORD}",
            sender_name=f"Mari {SENDER_WORD}",
        )
        hidden.attachments.append(LetterAttachment(document=stored_file(simple_pdf("Lisa"), "lisa.pdf")))
        hidden.answer_document = stored_file(simple_pdf("Vastus"), "vastus.pdf")
        plain = create_letter(registered_on=TODAY, client_id=x, subject="Bussipeatus")
        db.session.commit()
        found = {"id": hidden.id, "number": hidden.number, "file": hidden.attachments[0].id, "open": plain.id}
        db.session.remove()
    return found


def _cells(data: bytes) -> str:
    from tests.admin_app.test_background_export import table

    return " ".join(str(v) for row in table(data) for v in row if v is not None)


def _background_export(app, browser, url: str) -> str:
    """``url``'s export written by the background job, as text."""
    from admin_app.background import wait_for_local_jobs

    before = app.config["BACKGROUND_EXPORT_ROWS"], app.config["REDIS_URL"]
    app.config["BACKGROUND_EXPORT_ROWS"], app.config["REDIS_URL"] = -1, ""  # even no rows
    try:
        progress = browser.get(url).headers["Location"]
        wait_for_local_jobs(app)
    finally:
        app.config["BACKGROUND_EXPORT_ROWS"], app.config["REDIS_URL"] = before
    file = browser.get(browser.get(progress + "status").get_json()["file_url"]).get_data()
    return _cells(file) if "xlsx" in url else file.decode("utf-8-sig")


def _letter_reading(app, browser, letters) -> tuple[dict[str, str], list[str], dict[str, int]]:
    """What ``browser`` reads of the letters: ({what: text} of pages and exports, search results, file answers)."""
    pk, get = letters["id"], lambda url: browser.get(url).get_data(as_text=True)
    edit = browser.get(f"{LETTERS}edit/?id={pk}")
    texts = {
        "list": get(LETTERS),
        "details": get(f"{LETTERS}details/?id={pk}"),
        "edit": edit.get_data(as_text=True) if edit.status_code == 200 else "",
        "csv": get(f"{LETTERS}export/csv/"),
        "xlsx": _cells(browser.get(f"{LETTERS}export/xlsx/").get_data()),
        "background csv": _background_export(app, browser, f"{LETTERS}export/csv/"),
        "background xlsx": _background_export(app, browser, f"{LETTERS}export/xlsx/"),
    }
    texts["other"] = get(f"{LETTERS}details/?id={letters['open']}") + get("/admin/")
    found = []  # the word searched for is echoed in the search box and the file's title: look for the number
    for word in (SUBJECT_WORD, SENDER_WORD):
        found += [get(f"{LETTERS}?search={word}"), get(f"{LETTERS}export/csv/?search={word}")]
        found.append(_background_export(app, browser, f"{LETTERS}export/xlsx/?search={word}"))
    files = {
        "attachment": browser.get(f"{LETTERS}attachment/?id={letters['file']}").status_code,
        "answer": browser.get(f"{LETTERS}answer-file/?id={pk}").status_code,
    }
    return texts, found, files


def test_a_restricted_letter_about_a_colleague_s_client_shows_only_its_number_dates_and_status(app, letters):
    texts, found, files = _letter_reading(app, _as(app, "b"), letters)
    shown = {what: word for what, text in texts.items() for word in (SUBJECT_WORD, SENDER_WORD, X_NAME) if word in text}
    assert shown == {}
    assert letters["number"] in texts["list"] + texts["csv"] and "Bussipeatus" in texts["other"]
    assert [letters["number"] in text for text in found] == [False] * 6, "its words do not find it"
    assert files == {"attachment": 404, "answer": 404}
    assert _as(app, "b").get(f"{LETTERS}edit/?id={letters['id']}").status_code == 404


@pytest.mark.parametrize("who", ["a", "c", "head"])
def test_the_client_s_case_manager_the_answerer_and_the_head_read_a_restricted_letter(app, letters, who):
    texts, found, files = _letter_reading(app, _as(app, who), letters)
    for what in ("list", "details", "csv", "xlsx", "background csv", "background xlsx"):
        assert SUBJECT_WORD in texts[what] and SENDER_WORD in texts[what], what
    assert X_NAME in texts["details"], "and which client it concerns"
    # An open letter about X names X to those who may read X, not to C (who answers only the restricted one).
    assert (X_NAME in texts["other"]) == (who != "c")
    assert [letters["number"] in text for text in found] == [True] * 6, "its words find it"
    assert files == {"attachment": 200, "answer": 200}


def test_standing_in_for_the_client_s_case_manager_b_reads_the_restricted_letter(app, office, letters):
    _substitution(app, office, TODAY, TODAY)
    html = _as(app, "b").get(f"{LETTERS}details/?id={letters['id']}").get_data(as_text=True)
    assert SUBJECT_WORD in html and X_NAME in html


# --- standing in ---------------------------------------------------------------------------------


def test_while_standing_in_b_sees_x_and_after_the_end_no_more(app, office):
    _substitution(app, office, TODAY - timedelta(days=3), TODAY + timedelta(days=3))
    assert set(_record_pages(app, office, "x").values()) == {200}
    text = _lists_and_exports(_as(app, "b"))
    assert X_NAME in text and office["x_code"] in text
    with app.app_context():
        db.session.execute(sa.update(Substitution).values(ends_on=TODAY - timedelta(days=1)))
        db.session.commit()
    assert set(_record_pages(app, office, "x").values()) == {404}
    assert X_NAME not in _lists_and_exports(_as(app, "b"))


def test_a_substitution_yet_to_come_gives_nothing_yet(app, office):
    _substitution(app, office, TODAY + timedelta(days=1), TODAY + timedelta(days=10))
    assert set(_record_pages(app, office, "x").values()) == {404}


def test_the_absent_one_keeps_their_clients_and_does_not_get_the_substitute_s(app, office):
    _substitution(app, office, TODAY, TODAY)
    text = _lists_and_exports(_as(app, "a"))
    assert X_NAME in text and Y_NAME not in text


# --- those who see all ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head", "admin"])
def test_the_head_and_the_administrator_see_every_client(app, office, who):
    browser = _as(app, who)
    text = _lists_and_exports(browser)
    assert X_NAME in text and Y_NAME in text
    for whose in ("x", "y"):
        for url, pk in office[whose].items():
            assert browser.get(f"{url}details/?id={pk}").status_code == 200, url


def test_the_accountant_sees_every_delivery(app, office):
    browser = _as(app, "accountant")
    text = browser.get("/admin/deliveries/").get_data(as_text=True)
    assert X_NAME in text and Y_NAME in text
    assert browser.get(f"/admin/deliveries/details/?id={office['x']['/admin/deliveries/']}").status_code == 200
    assert browser.get("/admin/clients/").status_code == 403


# --- the substitution register -------------------------------------------------------------------


def test_a_case_manager_reads_only_the_substitutions_they_are_in(app, office):
    _substitution(app, office, TODAY, TODAY + timedelta(days=7))
    with app.app_context():
        pk = db.session.scalar(sa.select(Substitution.id))
    for name, status in (("a", 200), ("b", 200), ("c", 404), ("head", 200)):
        browser = _as(app, name)
        assert browser.get(f"/admin/substitutions/details/?id={pk}").status_code == status, name
        listed = browser.get("/admin/substitutions/").get_data(as_text=True)
        assert ("Anu Aasamets" in listed) == (status == 200), name


@pytest.mark.parametrize(
    ("starts", "ends", "substitute", "field_error"),
    [
        ("10.08.2026", "09.08.2026", "b", "The end cannot be before the start."),
        ("10.08.2026", "10.08.2026", "a", "Nobody stands in for themselves."),
    ],
)
def test_substitution_rules(app, office, starts, ends, substitute, field_error):
    browser = _as(app, "head")
    data = {
        "absent": str(office["users"]["a"]),
        "substitute": str(office["users"][substitute]),
        "starts_on": starts,
        "ends_on": ends,
        "csrf_token": csrf_token(browser, "/admin/substitutions/new/"),
    }
    answer = browser.post("/admin/substitutions/new/", data=data)
    assert answer.status_code == 200
    assert shown(app, field_error) in answer.get_data(as_text=True)
    assert count(app, Substitution) == 0
    data["ends_on"], data["substitute"] = "20.08.2026", str(office["users"]["b"])
    assert browser.post("/admin/substitutions/new/", data=data).status_code == 302
    assert count(app, Substitution) == 1
