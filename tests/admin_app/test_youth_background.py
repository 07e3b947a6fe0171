"""The youth guarantee's long work in the background: a list longer than YOUTH_BACKGROUND_ROWS is
previewed and saved by jobs the user finds under My downloads (the preview's link opens it), and the
first-contact e-mail to more than YOUTH_MAIL_BACKGROUND young people is sent by a job, never twice."""

import re
import threading
from io import BytesIO

import pytest
import sqlalchemy as sa

import models.youth_import
from admin_app.background import wait_for_local_jobs
from models import ContactAttempt, Outreach, OutreachStatus, YouthRound, db
from tests.admin_app.helpers import TUPLE_CHOICES, page, signed_in
from tests.admin_app.test_reminders import inbox  # noqa: F401  (the real SMTP server fixture)
from tests.admin_app.test_youth_guarantee import QUERIED, RECEIVED, URL, confirm, upload
from tests.conftest import count, csrf_token
from tests.models.test_youth_guarantee_rules import code, young

pytestmark = TUPLE_CHOICES


@pytest.fixture
def background(app):
    """Jobs in the app's own worker thread; a list of more than 3 rows is long."""
    saved = {k: app.config[k] for k in ("REDIS_URL", "YOUTH_BACKGROUND_ROWS", "YOUTH_MAIL_BACKGROUND")}
    app.config.update(REDIS_URL="", YOUTH_BACKGROUND_ROWS=3, YOUTH_MAIL_BACKGROUND=2)
    yield
    wait_for_local_jobs(app)
    app.config.update(saved)


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


def finished(app, client, response) -> dict:
    """The job a response redirected to, once it has run: its status as My downloads shows it."""
    assert response.status_code == 302, "the long work went to the background"
    progress = re.search(r"/admin/downloads/(\d+)/", response.headers["Location"])
    assert progress, response.headers["Location"]
    wait_for_local_jobs(app)
    return client.get(f"/admin/downloads/{progress.group(1)}/status").get_json()


ROWS = [young(1), young(2), [code(QUERIED.replace(year=QUERIED.year - 40), 8), "Vana", "Inimene"], young(3), young(1)]


def test_a_long_list_is_previewed_in_the_background_and_saved_on_confirmation(app, client, manager, background):
    status = finished(app, client, upload(client, ROWS))
    assert status["status"] == "done", status
    assert "5" in status["message"] and count(app, Outreach) == 0, "previewed, nothing saved"
    assert "/admin/youth/import/?token=" in status["result_url"]
    listing = page(client, "/admin/downloads/")
    assert status["result_url"].replace("&", "&amp;") in listing or status["result_url"] in listing

    html = page(client, status["result_url"])  # the user came back from My downloads
    assert "youth-preview" in html and html.count("<tr class=") == 5
    assert "Vana" in html and "Noor3" in html
    assert 'name="token"' in html

    saved = confirm(client, html)
    assert saved.status_code == 200  # followed to the job's page
    wait_for_local_jobs(app)
    assert count(app, YouthRound) == 1 and count(app, Outreach) == 3
    with app.app_context():
        names = set(db.session.scalars(sa.select(Outreach.first_name)))
    assert names == {"Noor1", "Noor2", "Noor3"}
    assert "Noor3" in page(client, URL)


def test_a_long_list_confirmed_without_a_preview_in_the_same_request(app, client, manager, background):
    """The confirmation itself is a job: its page says what was saved and links to the list."""
    html = page(client, finished(app, client, upload(client, ROWS))["result_url"])
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    for key, chosen in re.findall(r'<select[^>]*name="(map_[a-z_]+)"[^>]*>(.*?)</select>', html, re.S):
        picked = re.search(r'<option value="(\d*)" selected', chosen)
        fields[key] = picked.group(1) if picked else ""
    fields.update(
        half="spring",
        step="confirm",
        year=str(QUERIED.year),
        queried_on=f"{QUERIED:%d.%m.%Y}",
        received_on=f"{RECEIVED:%d.%m.%Y}",
    )
    status = finished(app, client, client.post(URL + "import/", data=fields))
    assert status["status"] == "done", status
    assert "3" in status["message"] and status["result_url"] == URL
    assert count(app, Outreach) == 3


def test_a_long_list_saves_nothing_when_saving_fails_midway(app, client, manager, background, monkeypatch):
    """Rows are written in batches; a failure after the first batch leaves no round and no record."""
    monkeypatch.setattr(models.youth_import, "BATCH", 2)
    calls = {"n": 0}
    real = models.youth_import._find_known

    def fails_on_the_second_batch(rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the database went away")
        return real(rows)

    html = page(client, finished(app, client, upload(client, ROWS))["result_url"])
    monkeypatch.setattr(models.youth_import, "_find_known", fails_on_the_second_batch)
    confirm(client, html)
    wait_for_local_jobs(app)
    assert calls["n"] == 2, "the first batch was written before the failure"
    assert count(app, YouthRound) == 0 and count(app, Outreach) == 0
    listing = page(client, "/admin/downloads/")
    assert "the database went away" in listing


def test_a_long_list_for_a_round_imported_meanwhile_saves_nothing_and_says_so(app, client, manager, background):
    html = page(client, finished(app, client, upload(client, ROWS))["result_url"])
    with app.app_context():
        db.session.add(YouthRound(year=QUERIED.year, half="spring", queried_on=QUERIED, received_on=RECEIVED))
        db.session.commit()
    refused = confirm(client, html).get_data(as_text=True)
    wait_for_local_jobs(app)
    assert count(app, Outreach) == 0
    assert "youth-preview" in refused and "invalid-feedback" in refused, "the preview again, with what is wrong"


def test_nobody_else_opens_a_preview_made_in_the_background(app, client, manager, background):
    url = finished(app, client, upload(client, ROWS))["result_url"]
    other = signed_in(app, app.test_client(), "head")
    html = other.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Noor1" not in html and "youth-preview" not in html


def test_a_short_list_stays_in_the_request(app, client, manager, background):
    app.config["YOUTH_BACKGROUND_ROWS"] = 10
    response = upload(client, ROWS)
    assert response.status_code == 200 and "youth-preview" in response.get_data(as_text=True)


def test_a_csv_list_is_streamed_the_same(app, client, manager, background):
    lines = ["Isikukood;Eesnimi;Perekonnanimi"] + [f"{r[0]};{r[1]};{r[2]}" for r in ROWS]
    token = csrf_token(client, URL + "import/")
    data = {
        "csrf_token": token,
        "step": "upload",
        "year": str(QUERIED.year),
        "half": "spring",
        "queried_on": f"{QUERIED:%d.%m.%Y}",
        "received_on": f"{RECEIVED:%d.%m.%Y}",
        "list": (BytesIO("\n".join(lines).encode("cp1257")), "nimekiri.csv"),
    }
    response = client.post(URL + "import/", data=data, content_type="multipart/form-data")
    status = finished(app, client, response)
    html = page(client, status["result_url"])
    assert html.count("<tr class=") == 5 and "Noor3" in html


def _ids(app) -> str:
    with app.app_context():
        return ",".join(str(i) for i in db.session.scalars(sa.select(Outreach.id).order_by(Outreach.id)))


def _imported(app, client, n: int) -> None:
    app.config["YOUTH_BACKGROUND_ROWS"] = 1000
    confirm(client, upload(client, [young(i) for i in range(1, n + 1)]).get_data(as_text=True))
    assert count(app, Outreach) == n


def test_the_first_email_to_many_is_a_job_that_mails_each_once(app, client, manager, background, inbox):  # noqa: F811
    _imported(app, client, 4)
    ids = _ids(app)
    assert "youth-mail-background" in page(client, URL + f"mail/?ids={ids}")
    status = finished(app, client, client.post(URL + "mail/", data={"ids": ids, "csrf_token": csrf_token(client, URL)}))
    assert status["status"] == "done" and status["percent"] == 100, status
    assert re.findall(r"\d+", status["message"]) == ["4"] and status["result_url"] == URL
    assert sorted(m["To"] for m in inbox.messages) == [f"noor{i}@example.ee" for i in range(1, 5)]
    assert count(app, ContactAttempt, ContactAttempt.channel == "email") == 4
    assert count(app, Outreach, Outreach.status == OutreachStatus.NO_ANSWER.value) == 4

    # The same list sent again (a job tried again, the button pressed twice): nobody gets it twice.
    with app.app_context():
        from flask_login import login_user

        from admin_app.background import start_job
        from models import User

        with app.test_request_context("/admin/youth/mail/"):
            login_user(db.session.scalar(sa.select(User).where(User.email == "case-manager@test.ee")))
            again = start_job("youth-first-mail", title="again", params={"ids": ids.split(",")}, rows_total=4).id
    wait_for_local_jobs(app)
    assert re.findall(r"\d+", client.get(f"/admin/downloads/{again}/status").get_json()["message"]) == ["0"]
    assert len(inbox.messages) == 4 and count(app, ContactAttempt) == 4


def test_two_sendings_at_once_mail_each_person_once(app, client, manager, background, inbox):  # noqa: F811
    """Two senders over the same list at the same moment (two jobs on two workers): the database lets
    one claim through per person."""
    _imported(app, client, 6)
    ids = [int(i) for i in _ids(app).split(",")]
    results, problems = [], []

    def send():
        from admin_app.youth_mail import send_first_mails

        try:
            with app.app_context():
                results.append(send_first_mails(ids, None))
        except Exception as e:  # reported below, not lost in the thread
            problems.append(e)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not problems
    assert sum(sent for sent, _ in results) == 6
    assert sorted(m["To"] for m in inbox.messages) == sorted(f"noor{i}@example.ee" for i in range(1, 7))
    assert count(app, ContactAttempt) == 6


def test_a_few_are_still_sent_within_the_request(app, client, manager, background, inbox):  # noqa: F811
    _imported(app, client, 2)
    response = client.post(URL + "mail/", data={"ids": _ids(app), "csrf_token": csrf_token(client, URL)})
    assert response.status_code == 302 and "/admin/downloads/" not in response.headers["Location"]
    assert len(inbox.messages) == 2
