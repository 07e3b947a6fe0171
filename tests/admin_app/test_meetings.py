"""The meeting register (/admin/meetings/): participants, minutes, follow-ups and their deadlines."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from models import FollowUp, Meeting, NetworkMember, User, db
from models.meetings import meeting_clients, meeting_network, meeting_providers
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    delete,
    filter_arg,
    form_values,
    in_order,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    submit,
)
from tests.conftest import count, create_client, create_provider, csrf_token, fetch, post_form

pytestmark = TUPLE_CHOICES

URL = "/admin/meetings/"
TODAY = date.today()
HELD = TODAY - timedelta(days=30)


def d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


@pytest.fixture
def people(app):
    """A client with a network member, and a provider: the participants a meeting can name."""
    client = make(app, create_client, first_name="Maie", last_name="Mägi")
    with app.app_context():
        member = NetworkMember(client_id=client.id, role="guardian", name="Jaan Mägi")
        db.session.add(member)
        db.session.commit()
        member_id = member.id
        db.session.remove()
    provider = make(app, create_provider, name="Abi ja Tugi OÜ")
    return {"client": client.id, "member": member_id, "provider": provider.id}


def new(people, **changes) -> dict:
    data = {
        "held_on": d(HELD),
        "kind": "network",
        "title": "Võrgustikukohtumine Maie toetamiseks",
        "clients": [str(people["client"])],
        "network_members": [str(people["member"])],
        "providers": [str(people["provider"])],
        "others": "perearst dr Kask",
        "minutes": "Lepiti kokku tugiisiku teenuses ja eluaseme otsimises.",
        "follow_ups-0-task": "Leida tugiisik",
        "follow_ups-0-owner_other": "Abi ja Tugi OÜ",
        "follow_ups-0-deadline": d(TODAY - timedelta(days=10)),
        "follow_ups-1-task": "Taotlus eluasemele",
        "follow_ups-1-owner_other": "Jaan Mägi",
        "follow_ups-1-deadline": d(TODAY + timedelta(days=10)),
    }
    data.update(changes)
    return data


def tables(app):
    return snapshot(app, Meeting, FollowUp, meeting_clients, meeting_network, meeting_providers)


def test_create_with_participants_and_follow_ups_recorded_by_the_signed_in_user(app, manager, people):
    form = form_values(page(manager, URL + "new/"))
    me = fetch(app, User, User.email == "case-manager@test.ee")
    assert form["recorded_by"] == [str(me.id)], "the signed-in user is preselected"

    data = new(people, recorded_by=form["recorded_by"])
    saved(post_form(manager, URL + "new/", data))

    meeting = fetch(app, Meeting)
    assert (meeting.held_on, meeting.kind, meeting.recorded_by_id) == (HELD, "network", me.id)
    assert meeting.others == "perearst dr Kask"
    assert count(app, meeting_clients) == count(app, meeting_network) == count(app, meeting_providers) == 1
    tasks = {
        f.task: f for f in [fetch(app, FollowUp, FollowUp.task == t) for t in ("Leida tugiisik", "Taotlus eluasemele")]
    }
    assert tasks["Leida tugiisik"].owner_other == "Abi ja Tugi OÜ"
    assert tasks["Taotlus eluasemele"].deadline == TODAY + timedelta(days=10)


def test_recorded_by_left_empty_is_the_signed_in_user(app, manager, people):
    saved(post_form(manager, URL + "new/", new(people)))

    me = fetch(app, User, User.email == "case-manager@test.ee")
    assert fetch(app, Meeting).recorded_by_id == me.id


def test_follow_up_owned_by_a_user(app, manager, people):
    me = fetch(app, User, User.email == "case-manager@test.ee")
    data = new(people, **{"follow_ups-0-owner": str(me.id), "follow_ups-0-owner_other": ""})

    saved(post_form(manager, URL + "new/", data))

    assert fetch(app, FollowUp, FollowUp.task == "Leida tugiisik").owner_id == me.id


def test_a_client_link_preselects_the_client(app, manager, people):
    form = form_values(page(manager, f"{URL}new/?client_id={people['client']}"))
    assert form["clients"] == [str(people["client"])]


def test_overdue_follow_ups_are_flagged_in_the_list_and_details(app, manager, people):
    saved(post_form(manager, URL + "new/", new(people)))
    meeting = fetch(app, Meeting)

    overdue = shown(app, "%(num)s overdue", num=1)
    html = page(manager, URL)
    assert 'badge-danger">' + overdue in html
    assert "perearst dr Kask" in html and "Maie Mägi" in html

    html = page(manager, f"{URL}details/?id={meeting.id}")
    assert in_order(html, 'class="table-danger"', "Leida tugiisik", shown(app, "overdue"))
    assert "Taotlus eluasemele" in html and "Jaan Mägi (Maie Mägi" in html

    # Once done, the task is no longer flagged.
    row = next(
        i
        for i in (0, 1)
        if form_values(page(manager, f"{URL}edit/?id={meeting.id}"))[f"follow_ups-{i}-task"] == ["Leida tugiisik"]
    )
    saved(submit(manager, f"{URL}edit/?id={meeting.id}", {f"follow_ups-{row}-done": "y"}))
    assert fetch(app, FollowUp, FollowUp.task == "Leida tugiisik").done is True
    assert overdue not in page(manager, URL)
    assert 'class="table-danger"' not in page(manager, f"{URL}details/?id={meeting.id}")


def test_edit_removes_a_follow_up(app, manager, people):
    saved(post_form(manager, URL + "new/", new(people)))
    meeting = fetch(app, Meeting)

    saved(submit(manager, f"{URL}edit/?id={meeting.id}", {"del-follow_ups-0": "y", "title": "Uus pealkiri"}))

    assert count(app, FollowUp) == 1 and fetch(app, Meeting).title == "Uus pealkiri"


def test_removing_a_follow_up_that_breaks_a_rule_is_allowed(app, manager, people):
    """A row marked for deletion is not judged: removing a bad row is how it is put right."""
    saved(post_form(manager, URL + "new/", new(people)))
    meeting = fetch(app, Meeting)
    with app.app_context():
        db.session.execute(sa.update(FollowUp).values(deadline=HELD - timedelta(days=1)))
        db.session.commit()

    saved(submit(manager, f"{URL}edit/?id={meeting.id}", {"del-follow_ups-0": "y", "del-follow_ups-1": "y"}))

    assert count(app, FollowUp) == 0


BAD = [
    (
        "follow-up due before the meeting",
        {"follow_ups-1-deadline": d(HELD - timedelta(days=1))},
        ["follow_ups-1-deadline", "follow_ups"],
        "A follow-up cannot be due before the meeting.",
    ),
    (
        "follow-up without owner",
        {"follow_ups-0-owner_other": ""},
        ["follow_ups-0-owner", "follow_ups"],
        "Every follow-up needs an owner.",
    ),
    (
        "no participant",
        {"clients": [], "network_members": [], "providers": [], "others": " "},
        ["clients"],
        "Name at least one participant.",
    ),
    (
        "minutes of a future meeting",
        {"held_on": d(TODAY + timedelta(days=3)), "follow_ups-0-deadline": "", "follow_ups-1-deadline": ""},
        ["minutes"],
        "Minutes can only be written for a meeting that has taken place.",
    ),
    ("no title", {"title": ""}, ["title"], None),
    ("no date", {"held_on": ""}, ["held_on"], None),
    ("follow-up without task", {"follow_ups-0-task": ""}, ["follow_ups-0-task"], None),
]


@pytest.mark.parametrize("changes, fields, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_meeting_is_refused_and_nothing_saved(app, manager, people, changes, fields, message):
    before = tables(app)

    response = post_form(manager, URL + "new/", new(people, **changes))

    for field in fields:
        refused(response, field, message and shown(app, message))
    assert tables(app) == before


def test_bad_edit_changes_nothing(app, manager, people):
    saved(post_form(manager, URL + "new/", new(people)))
    meeting = fetch(app, Meeting)
    before = tables(app)
    url = f"{URL}edit/?id={meeting.id}"

    response = submit(manager, url, {"title": "Muudetud", "held_on": d(TODAY - timedelta(days=5))})

    refused(response, "follow_ups", shown(app, "A follow-up cannot be due before the meeting."))
    assert tables(app) == before


def test_search_filter_and_delete(app, manager, people):
    saved(post_form(manager, URL + "new/", new(people, title="Võrgustik Mägi")))
    provider_meeting = dict(
        new(people, title="Teenuseosutajate ümarlaud", kind="provider", minutes="Arutati hinnakirja."),
        held_on=d(HELD - timedelta(days=60)),
        **{"follow_ups-0-deadline": "", "follow_ups-1-deadline": ""},
    )
    saved(post_form(manager, URL + "new/", provider_meeting))

    html = page(manager, URL + "?search=hinnakirja")
    assert "Teenuseosutajate ümarlaud" in html and "Võrgustik Mägi" not in html
    html = page(manager, URL + "?search=ümarlaud")
    assert "Teenuseosutajate ümarlaud" in html and "Võrgustik Mägi" not in html

    html = page(manager, URL + "?" + filter_arg(app, "meetings", "Kind", "FilterEqual") + "=provider")
    assert "Teenuseosutajate ümarlaud" in html and "Võrgustik Mägi" not in html
    arg = filter_arg(app, "meetings", "Date", "DateSmallerFilter")
    html = page(manager, f"{URL}?{arg}={HELD - timedelta(days=1):%Y-%m-%d}")
    assert "Teenuseosutajate ümarlaud" in html and "Võrgustik Mägi" not in html
    arg = filter_arg(app, "meetings", "Has overdue follow-ups", "OverdueFollowUpsFilter")
    html = page(manager, f"{URL}?{arg}=1")
    assert "Võrgustik Mägi" in html and "Teenuseosutajate ümarlaud" not in html
    html = page(manager, f"{URL}?{arg}=0")
    assert "Teenuseosutajate ümarlaud" in html and "Võrgustik Mägi" not in html

    assert in_order(page(manager, URL), "Võrgustik Mägi", "Teenuseosutajate ümarlaud"), "newest first"

    meeting = fetch(app, Meeting, Meeting.title == "Võrgustik Mägi")
    delete(manager, URL, meeting.id)
    assert count(app, Meeting) == 1 and count(app, FollowUp) == 2
    assert count(app, meeting_clients) == 1


@pytest.mark.parametrize("role", ["head", "case_manager"])
def test_head_and_case_manager_read_and_write(app, client, people, role):
    signed_in(app, client, role)
    saved(post_form(client, URL + "new/", new(people)))
    meeting = fetch(app, Meeting)
    page(client, URL)
    page(client, f"{URL}details/?id={meeting.id}")
    saved(submit(client, f"{URL}edit/?id={meeting.id}", {"title": "Muudetud"}))


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_accountant_and_registrar_are_refused(app, client, people, role):
    signed_in(app, client, "case_manager")
    saved(post_form(client, URL + "new/", new(people)))
    meeting = fetch(app, Meeting)
    before = tables(app)

    other = signed_in(app, app.test_client(), role)
    for url in (URL, URL + "new/", f"{URL}details/?id={meeting.id}", f"{URL}edit/?id={meeting.id}"):
        assert other.get(url).status_code == 403, url
    token = csrf_token(other, "/admin/")
    assert other.post(URL + "delete/", data={"id": str(meeting.id), "csrf_token": token}).status_code == 403
    assert other.post(URL + "new/", data={**new(people), "csrf_token": token}).status_code == 403
    assert tables(app) == before


def test_deleting_selected_meetings(app, manager, people):
    saved(post_form(manager, URL + "new/", new(people, title="Esimene")))
    saved(post_form(manager, URL + "new/", new(people, title="Teine")))
    ids = [str(fetch(app, Meeting, Meeting.title == t).id) for t in ("Esimene", "Teine")]

    data = {"action": "delete", "rowid": ids, "csrf_token": csrf_token(manager, URL)}
    assert manager.post(URL + "action/", data=data).status_code == 302

    assert count(app, Meeting) == 0 and count(app, FollowUp) == 0 and count(app, meeting_clients) == 0
