"""The youth guarantee screens (/admin/youth/): import a round with preview and confirmation, the
outreach list by role, assigning, a phone call recorded, the first e-mail on a real SMTP server (never
twice), and making a client of a young person who wants help."""

import re
from datetime import date, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa

from models import Client, ContactAttempt, Outreach, OutreachStatus, User, YouthRound, db
from tests.admin_app.helpers import TUPLE_CHOICES, page, signed_in
from tests.admin_app.test_reminders import inbox  # noqa: F401  (the real SMTP server fixture)
from tests.conftest import count, csrf_token
from tests.models.test_youth_guarantee_rules import code, xlsx, young

pytestmark = TUPLE_CHOICES

URL = "/admin/youth/"
RECEIVED = date.today() - timedelta(days=20)
QUERIED = RECEIVED - timedelta(days=5)


def upload(client, rows):
    token = csrf_token(client, URL + "import/")
    data = {
        "csrf_token": token,
        "step": "upload",
        "year": str(QUERIED.year),
        "half": "spring",
        "queried_on": f"{QUERIED:%d.%m.%Y}",
        "received_on": f"{RECEIVED:%d.%m.%Y}",
        "list": (BytesIO(xlsx(rows)), "STAR nimekiri.xlsx"),
    }
    return client.post(URL + "import/", data=data, content_type="multipart/form-data")


def confirm(client, html):
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    for key, chosen in re.findall(r'<select[^>]*name="(map_[a-z_]+)"[^>]*>(.*?)</select>', html, re.S):
        picked = re.search(r'<option value="(\d*)" selected', chosen)
        fields[key] = picked.group(1) if picked else ""
    for name in ("year", "queried_on", "received_on"):
        fields[name] = re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
    fields.update(half="spring", step="confirm")
    return client.post(URL + "import/", data=fields, follow_redirects=True)


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


def imported(app, client, rows):
    response = upload(client, rows)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, confirm(client, html)


def test_import_previews_every_row_and_saves_only_on_confirmation(app, client, manager):
    too_old = [code(date(1990, 1, 1), 8), "Vana", "Inimene"]
    response = upload(client, [young(1), young(2), too_old, young(1)])
    html = response.get_data(as_text=True)
    assert "youth-preview" in html and html.count("<tr class=") == 4
    assert "Vana" in html and "36" in html
    assert count(app, YouthRound) == 0 and count(app, Outreach) == 0  # nothing saved yet
    done = confirm(client, html)
    assert done.status_code == 200
    assert count(app, YouthRound) == 1 and count(app, Outreach) == 2
    listed = page(client, URL)
    assert "Noor1" in listed and "Noor2" in listed and "Vana" not in listed


def test_a_case_manager_assigns_records_calls_one_and_makes_a_client(app, client, manager):
    imported(app, client, [young(1), young(2)])
    with app.app_context():
        ids = [str(i) for i in db.session.scalars(sa.select(Outreach.id).order_by(Outreach.id))]
        me = db.session.scalar(sa.select(User.id).where(User.email == "case-manager@test.ee"))
    html = page(client, URL + f"assign/?ids={','.join(ids)}")
    client.post(
        URL + "assign/",
        data={"ids": ",".join(ids), "case_manager": str(me), "csrf_token": csrf_token(client, URL)},
    )
    assert count(app, Outreach, Outreach.case_manager_id == me) == 2
    # A phone call in which the young person was reached, and their answer.
    edit = URL + f"edit/?id={ids[0]}"
    html = page(client, edit)
    version = re.search(r'name="version"[^>]*value="(\d+)"', html)
    data = {
        "csrf_token": csrf_token(client, edit),
        "status": "wants_help",
        "answer": "Soovin abi töö leidmisel",
        "case_manager": str(me),
        "attempts-0-made_on": f"{date.today():%d.%m.%Y}",
        "attempts-0-channel": "phone",
        "attempts-0-outcome": "reached",
    }
    if version:
        data["version"] = version.group(1)
    client.post(edit, data=data)
    assert count(app, ContactAttempt) == 1
    assert count(app, Outreach, Outreach.status == OutreachStatus.WANTS_HELP.value) == 1
    client.post(URL + "action/", data={"action": "to_client", "rowid": ids, "csrf_token": csrf_token(client, URL)})
    assert count(app, Client) == 1  # the other one has not said they want help
    assert count(app, Outreach, Outreach.status == OutreachStatus.BECAME_CLIENT.value) == 1


def test_the_first_email_arrives_once(app, client, manager, inbox):  # noqa: F811
    imported(app, client, [young(1), young(2)])
    with app.app_context():
        ids = ",".join(str(i) for i in db.session.scalars(sa.select(Outreach.id)))
    for _ in range(2):
        client.post(URL + "mail/", data={"ids": ids, "csrf_token": csrf_token(client, URL)})
    assert sorted(m["To"] for m in inbox.messages) == ["noor1@example.ee", "noor2@example.ee"]
    assert "Tere, Noor1" in next(m for m in inbox.messages if m["To"] == "noor1@example.ee").get_content()
    assert count(app, ContactAttempt, ContactAttempt.channel == "email") == 2
    assert count(app, Outreach, Outreach.status == OutreachStatus.NO_ANSWER.value) == 2


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_roles_without_case_work_see_no_young_people(app, client, role):
    signed_in(app, client, role)
    for url in ("", "import/", "assign/", "mail/", "details/?id=1", "edit/?id=1"):
        assert client.get(URL + url).status_code == 403
    assert client.get("/admin/youth-mail/").status_code == 403


def test_head_sees_all_case_manager_only_own_and_unassigned(app, client):
    signed_in(app, client, "head")
    imported(app, client, [young(1), young(2)])
    for url in ("", "import/", "assign/", "mail/"):
        assert client.get(URL + url).status_code == 200
    assert client.get("/admin/youth-mail/").status_code == 200
    with app.app_context():
        other = User(email="teine@test.ee", full_name="Teine Korraldaja", active=True, fs_uniquifier="x1")
        db.session.add(other)
        db.session.flush()
        first = db.session.scalar(sa.select(Outreach).order_by(Outreach.id).limit(1))
        first.case_manager_id = other.id
        hidden = first.id
        db.session.commit()
    assert "Noor1" in page(client, URL)
    client.get("/logout")
    signed_in(app, client, "case_manager")
    listed = page(client, URL)
    assert "Noor2" in listed and "Noor1" not in listed
    assert client.get(URL + f"details/?id={hidden}").status_code == 404


def test_home_shows_my_records_not_contacted_after_the_set_days(app, client, manager):
    imported(app, client, [young(1), young(2)])
    with app.app_context():
        me = db.session.scalar(sa.select(User.id).where(User.email == "case-manager@test.ee"))
        first = db.session.scalar(sa.select(Outreach).order_by(Outreach.id).limit(1))
        first.case_manager_id = me
        db.session.commit()
    home = page(client, "/admin/")
    assert 'id="youth-guarantee"' in home and "Noor1" in home and "Noor2" not in home  # the list is 20 days old
    app.config["YOUTH_CONTACT_DAYS"] = 30
    try:
        assert "Noor1" not in page(client, "/admin/")
    finally:
        app.config["YOUTH_CONTACT_DAYS"] = 14


def test_round_report_on_screen_and_as_workbook(app, client):
    signed_in(app, client, "head")
    imported(app, client, [young(1), young(2), young(3)])
    start, end = f"{RECEIVED - timedelta(days=1):%d.%m.%Y}", f"{date.today():%d.%m.%Y}"
    html = page(client, f"/admin/reports/youth-guarantee/?start={start}&end={end}")
    row = re.search(r"<tr[^>]*>\s*<t[hd][^>]*>[^<]*20\d\d[^<]*</t[hd]>(.*?)</tr>", html, re.S)
    assert row, "the round's row is on the screen"
    assert re.findall(r">\s*(\d+)\s*<", row.group(1))[:2] == ["3", "0"]  # list size 3, none contacted
    workbook = client.get(f"/admin/reports/youth-guarantee/xlsx/?start={start}&end={end}")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"


def test_assigning_the_whole_filtered_list_reaches_past_its_first_page(app, client, manager):
    imported(app, client, [young(n) for n in range(1, 56)])  # 55 records; a list page shows 50
    with app.app_context():
        me = db.session.scalar(sa.select(User.id).where(User.email == "case-manager@test.ee"))
    assert f"{55}" in page(client, URL + "assign/")  # the page says how many it will assign
    client.post(URL + "assign/", data={"case_manager": str(me), "csrf_token": csrf_token(client, URL)})
    assert count(app, Outreach, Outreach.case_manager_id == me) == 55


def test_opening_a_young_persons_record_is_in_the_access_log_like_a_clients(app, client):
    """A young person on a list is no client, yet who opened their record is logged by their personal
    code; the head reads it from the record, and once they are a client, in the client's log too."""
    from models import AccessEvent

    head = signed_in(app, client, "head")
    imported(app, client, [young(1)])
    with app.app_context():
        record = db.session.scalar(sa.select(Outreach))
        record_id, personal_code = record.id, record.personal_code
    manager = signed_in(app, app.test_client(), "case_manager")
    page(manager, URL + f"details/?id={record_id}")
    page(manager, URL + f"edit/?id={record_id}")
    with app.app_context():
        db.session.remove()
        events = db.session.execute(
            sa.select(AccessEvent.personal_code, AccessEvent.client_id, AccessEvent.kind, AccessEvent.table_name)
            .where(AccessEvent.record_id == record_id, AccessEvent.actor == "Case Manager")
            .order_by(AccessEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        (personal_code, None, "details", "youth_outreach"),
        (personal_code, None, "edit", "youth_outreach"),
    ]
    details = page(head, URL + f"details/?id={record_id}")
    log_url = f"/admin/access-log/?table=youth_outreach&amp;record_id={record_id}"
    assert log_url in details, "the record links to who saw it"
    log = page(head, log_url.replace("&amp;", "&"))
    assert "Noor1" in log and log.count("Case Manager") == 2
    workbook = head.get(f"/admin/access-log/xlsx/?table=youth_outreach&record_id={record_id}")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    assert manager.get(log_url.replace("&amp;", "&")).status_code == 403, "only the head reads the log"
    assert head.get("/admin/access-log/?table=user&record_id=1").status_code == 404, "no person's log by any table"

    exported = manager.get(URL + "export/csv/")
    assert exported.status_code == 200 and personal_code in exported.get_data(as_text=True)
    with app.app_context():
        db.session.remove()
        assert (
            db.session.scalar(
                sa.select(AccessEvent.personal_code).where(
                    AccessEvent.kind == "export", AccessEvent.client_id.is_(None)
                )
            )
            == personal_code
        ), "an exported row is logged by personal code too"

    # Made a client: the client's log shows who saw them on the list, before they were one.
    with app.app_context():
        from models import make_client

        record = db.session.get(Outreach, record_id)
        record.attempts.append(ContactAttempt(made_on=date.today(), channel="phone", outcome="reached"))
        record.status = OutreachStatus.WANTS_HELP
        new_client, _ = make_client(record, None)
        db.session.commit()
        client_id = new_client.id
    assert page(head, f"/admin/access-log/?client_id={client_id}").count("Case Manager") == 3
