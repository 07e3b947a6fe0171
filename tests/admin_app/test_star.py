"""The STAR queue screen (/admin/star/) and its home-page card: what waits, least access, marking
entered in bulk and one by one, a later edit bringing a record back, filters, export."""

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import AccessEvent, AuditEvent, CaseStep, Client, StarItem, StarState, StepKind, User, db
from tests.admin_app.helpers import TUPLE_CHOICES, filter_arg, form_values, make, page, saved, shown, signed_in, submit
from tests.conftest import create_client, csrf_token

pytestmark = TUPLE_CHOICES

STAR = "/admin/star/"
TODAY = date.today()


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))


@pytest.fixture
def two_managers(app, client):
    """Case manager Mari (signed in) with client Maie Mägi; case manager Jaan with client Ants Aavik;
    a procedural step of each client."""
    signed_in(app, app.test_client(), "case_manager", "jaan@test.ee")
    signed_in(app, client, "case_manager", "mari@test.ee")
    mari, jaan = user_id(app, "mari@test.ee"), user_id(app, "jaan@test.ee")
    maie = make(app, create_client, first_name="Maie", last_name="Mägi", case_manager_id=mari)
    ants = make(app, create_client, first_name="Ants", last_name="Aavik", case_manager_id=jaan)
    steps = {}
    with app.app_context():
        for name, c in (("maie", maie), ("ants", ants)):
            step = CaseStep(client_id=c.id, kind=StepKind.APPLICATION, done_on=TODAY, note=f"Avaldus {name}")
            db.session.add(step)
            db.session.commit()
            steps[name] = step.id
        db.session.remove()
    return {"maie": maie, "ants": ants, "steps": steps, "mari": mari, "jaan": jaan}


def item_of(app, step_id: int) -> StarItem:
    with app.app_context():
        item = db.session.scalar(sa.select(StarItem).where(StarItem.kind == "case_step", StarItem.record_id == step_id))
        db.session.expunge(item)
        return item


def seen_on(html: str) -> list[str]:
    """What a list page showed of each item, as its action form sends it (``<id>:<fingerprint>``)."""
    return re.findall(r'<input type="hidden" name="seen" form="action_form" value="([^"]+)">', html)


def mark(client, ids, url=STAR, seen=None):
    """Tick ``ids`` on the list and mark them entered, carrying what the list page showed."""
    html = page(client, url)
    token = csrf_token(client, url)
    data = {"action": "entered", "rowid": [str(i) for i in ids], "csrf_token": token}
    return client.post(STAR + "action/", data={**data, "seen": seen_on(html) if seen is None else seen})


def test_a_case_manager_sees_and_marks_only_their_clients_items(app, client, two_managers):
    html = page(client, STAR)
    assert "Mägi" in html and "Aavik" not in html
    theirs = item_of(app, two_managers["steps"]["ants"]).id
    assert client.get(f"{STAR}details/?id={theirs}").status_code == 404
    assert mark(client, [theirs]).status_code == 404
    assert item_of(app, two_managers["steps"]["ants"]).state == StarState.NEW
    token = csrf_token(client, STAR)
    assert client.post(f"{STAR}{theirs}/entered/", data={"csrf_token": token}).status_code == 404
    assert item_of(app, two_managers["steps"]["ants"]).state == StarState.NEW


def test_the_head_sees_every_clients_items(app, two_managers):
    head = signed_in(app, app.test_client(), "head")
    html = page(head, STAR)
    assert "Mägi" in html and "Aavik" in html


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_the_accountant_and_the_registrar_see_no_queue(app, two_managers, role):
    other = signed_in(app, app.test_client(), role)
    assert other.get(STAR).status_code == 403
    assert f'href="{STAR}"' not in page(other, "/admin/")
    item = item_of(app, two_managers["steps"]["maie"])
    token = csrf_token(other, "/admin/")
    for url in (f"{STAR}details/?id={item.id}", f"{STAR}action/all/?action=entered", f"{STAR}export/csv/"):
        assert other.get(url).status_code == 403, url
    assert other.post(f"{STAR}{item.id}/entered/", data={"csrf_token": token}).status_code == 403
    assert other.post(f"{STAR}action/all/?action=entered", data={"csrf_token": token}).status_code == 403
    assert item_of(app, two_managers["steps"]["maie"]).state == StarState.NEW


def test_a_saved_step_waits_until_marked_and_an_edit_brings_it_back(app, client, two_managers):
    maie = two_managers["maie"]
    created = submit(
        client,
        f"/admin/case-steps/new/?client_id={maie.id}",
        {"client": str(maie.id), "kind": "assessed", "done_on": f"{TODAY:%d.%m.%Y}", "note": "Kodukülastus"},
    )
    saved(created)
    with app.app_context():
        step_id = db.session.scalar(sa.select(CaseStep.id).where(CaseStep.note == "Kodukülastus"))
    item = item_of(app, step_id)
    html = page(client, STAR)
    assert "Kodukülastus" in html and f'value="{item.id}"' in html

    response = mark(client, [item.id])
    assert response.status_code == 302
    html = page(client, STAR)
    assert "Kodukülastus" not in html
    entered = item_of(app, step_id)
    assert entered.state == StarState.ENTERED and entered.entered_by_id == two_managers["mari"]
    with app.app_context():  # audited, with who marked it
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.table_name == "star_item", AuditEvent.record_id == str(item.id))
        ).all()
        assert any("entered" in str(e.changes.get("state")) and e.user_id == two_managers["mari"] for e in events)

    saved(submit(client, f"/admin/case-steps/edit/?id={step_id}", {"note": "Kodukülastus ja vestlus"}))
    html = page(client, STAR)
    assert "Kodukülastus ja vestlus" in html and shown(app, "Changed after entering") in html
    details = page(client, f"{STAR}details/?id={item.id}")
    assert shown(app, "In STAR: %(value)s", value="Kodukülastus") in details


def test_one_item_marked_with_stars_reference(app, client, two_managers):
    item = item_of(app, two_managers["steps"]["maie"])
    details = page(client, f"{STAR}details/?id={item.id}")
    assert "Avaldus maie" in details and two_managers["maie"].personal_code in details
    form = form_values(details)  # the mark-entered form as the page gives it: token and what was seen
    bad = client.post(f"{STAR}{item.id}/entered/", data={**form, "star_reference": "a\x01b"})
    assert bad.status_code == 302 and item_of(app, two_managers["steps"]["maie"]).state == StarState.NEW
    good = client.post(f"{STAR}{item.id}/entered/", data={**form, "star_reference": "STAR-2026-17"})
    assert good.status_code == 302
    marked = item_of(app, two_managers["steps"]["maie"])
    assert marked.state == StarState.ENTERED and marked.star_reference == "STAR-2026-17"


def test_opening_an_item_is_in_the_access_log(app, client, two_managers):
    item = item_of(app, two_managers["steps"]["maie"])
    page(client, f"{STAR}details/?id={item.id}")
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count(AccessEvent.id)).where(AccessEvent.client_id == two_managers["maie"].id)
        )


def test_filters_by_case_manager_kind_and_age(app, two_managers):
    head = signed_in(app, app.test_client(), "head")
    manager = filter_arg(app, "star", "Case manager", "CaseManagerFilter")
    html = page(head, f"{STAR}?{manager}={two_managers['jaan']}")
    assert "Aavik" in html and "Mägi" not in html
    kind = filter_arg(app, "star", "Record", "KindFilter")
    assert "Aavik" in page(head, f"{STAR}?{kind}=case_step")
    assert "Aavik" not in page(head, f"{STAR}?{kind}=assessment")
    with app.app_context():
        item = db.session.scalar(sa.select(StarItem).where(StarItem.record_id == two_managers["steps"]["ants"]))
        item.queued_at = datetime.combine(TODAY - timedelta(days=10), datetime.min.time())
        db.session.commit()
    age = filter_arg(app, "star", "Waiting", "WaitingLongerFilter")
    html = page(head, f"{STAR}?{age}=7")
    assert "Aavik" in html and "Mägi" not in html
    # Nonsense in a filter is refused with the list, never a server error.
    for value in ("x", "-1", "99999999999"):
        assert head.get(f"{STAR}?{age}={value}").status_code in (200, 302)
        assert head.get(f"{STAR}?{kind}={value}").status_code in (200, 302)


def test_oldest_client_first(app, two_managers):
    head = signed_in(app, app.test_client(), "head")
    with app.app_context():
        item = db.session.scalar(sa.select(StarItem).where(StarItem.record_id == two_managers["steps"]["ants"]))
        item.queued_at = datetime.combine(TODAY - timedelta(days=3), datetime.min.time())
        db.session.commit()
    html = page(head, STAR)
    assert html.index("Aavik") < html.index("Mägi")


def test_export_holds_the_fields(app, two_managers):
    head = signed_in(app, app.test_client(), "head")
    response = head.get(f"{STAR}export/csv/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";" if ";" in text.splitlines()[0] else ","))
    assert len(rows) == 3
    assert "Avaldus maie" in text and two_managers["maie"].personal_code in text


def test_home_card_counts_my_waiting_items_and_the_oldest(app, client, two_managers):
    with app.app_context():
        item = db.session.scalar(sa.select(StarItem).where(StarItem.record_id == two_managers["steps"]["maie"]))
        item.queued_at = datetime.combine(TODAY - timedelta(days=12), datetime.min.time())
        db.session.commit()
    home = page(client, "/admin/")
    card = home.split('id="star-queue"', 1)[1].split("</div></div></div>", 1)[0]
    assert ">1<" in card  # Jaan's client's item is not counted
    assert 'class="mb-1 waiting"' in card
    assert "12" in card
    assert 'class="mb-1 text-danger late"' in card  # more than five working days
    head = signed_in(app, app.test_client(), "head")
    card = page(head, "/admin/").split('id="star-queue"', 1)[1].split("</div></div></div>", 1)[0]
    assert ">2<" in card


def test_a_client_deleted_takes_their_items_along(app, two_managers):
    with app.app_context():
        db.session.delete(db.session.get(Client, two_managers["ants"].id))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(StarItem.id))) == 1


def test_the_command_line_counts_per_case_manager(app, two_managers):
    result = app.test_cli_runner().invoke(args=["star-queue"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("Case Manager\t1 waiting") for line in lines), result.output
    assert lines[-1] == "total\t2 waiting\t0 late"


def test_marking_refuses_a_record_changed_since_it_was_opened(app, client, two_managers):
    """Mari opens the step to copy it into STAR; meanwhile the note is changed. Her "entered" would
    record fields she never saw: it is refused, and the item waits with the new text."""
    step = two_managers["steps"]["maie"]
    item = item_of(app, step)
    opened = form_values(page(client, f"{STAR}details/?id={item.id}"))
    saved(submit(client, f"/admin/case-steps/edit/?id={step}", {"note": "Avaldus, täiendatud"}))
    refused = client.post(f"{STAR}{item.id}/entered/", data=opened, follow_redirects=True)
    assert shown(app, "The record changed after you opened it: check its fields and mark it again.") in (
        refused.get_data(as_text=True)
    )
    assert item_of(app, step).state == StarState.NEW
    missing = {k: v for k, v in opened.items() if k != "seen"}
    assert client.post(f"{STAR}{item.id}/entered/", data=missing).status_code == 302
    assert item_of(app, step).state == StarState.NEW, "a form without what was seen never marks"
    again = form_values(page(client, f"{STAR}details/?id={item.id}"))
    assert client.post(f"{STAR}{item.id}/entered/", data=again).status_code == 302
    assert item_of(app, step).state == StarState.ENTERED


def _second_step(app, two_managers) -> tuple[int, int]:
    with app.app_context():
        step = CaseStep(client_id=two_managers["maie"].id, kind=StepKind.ASSESSED, done_on=TODAY, note="Vestlus")
        db.session.add(step)
        db.session.commit()
        return two_managers["steps"]["maie"], step.id


def test_marking_in_bulk_refuses_the_items_changed_since_the_list_was_seen(app, client, two_managers):
    """Mari ticks two items on the list; meanwhile one of them is edited. Only the unchanged one is
    marked; the other waits with its new text, and the message names it."""
    changed, unchanged = _second_step(app, two_managers)
    seen = seen_on(page(client, STAR))
    assert len(seen) == 2
    saved(submit(client, f"/admin/case-steps/edit/?id={changed}", {"note": "Avaldus, täiendatud"}))
    ids = [item_of(app, changed).id, item_of(app, unchanged).id]
    response = mark(client, ids, seen=seen)
    assert response.status_code == 302
    assert item_of(app, unchanged).state == StarState.ENTERED
    assert item_of(app, changed).state == StarState.NEW, "its fields as entered would not be those in STAR"
    html = page(client, STAR)
    refused = re.search(r'class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', html, re.S)
    assert refused and "Maie Mägi" in refused.group(1), "the message names the item left waiting"
    assert "Avaldus, täiendatud" in html


def test_marking_in_bulk_without_what_was_seen_marks_nothing(app, client, two_managers):
    changed, unchanged = _second_step(app, two_managers)
    ids = [item_of(app, changed).id, item_of(app, unchanged).id]
    assert mark(client, ids, seen=[]).status_code == 302
    assert item_of(app, changed).state == item_of(app, unchanged).state == StarState.NEW


def test_marking_the_whole_list_shows_each_item_and_refuses_one_changed_since(app, client, two_managers):
    changed, unchanged = _second_step(app, two_managers)
    confirm = page(client, STAR + "action/all/?action=entered")
    assert "Avaldus maie" in confirm and "Vestlus" in confirm, "the confirmation shows what is marked"
    assert "Aavik" not in confirm
    data = form_values(confirm)
    saved(submit(client, f"/admin/case-steps/edit/?id={changed}", {"note": "Avaldus, täiendatud"}))
    assert client.post(STAR + "action/all/?action=entered", data=data).status_code == 302
    assert item_of(app, unchanged).state == StarState.ENTERED
    assert item_of(app, changed).state == StarState.NEW
    assert item_of(app, two_managers["steps"]["ants"]).state == StarState.NEW, "Jaan's client is not Mari's to mark"
