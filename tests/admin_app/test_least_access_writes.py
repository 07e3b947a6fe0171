"""Least access when writing: a save keeps the links its editor could not see, and an action acts only
on rows the user's list would show. Case manager A has client X, case manager B has client Y (the
office of ``test_least_access``)."""

from datetime import date

import pytest
import sqlalchemy as sa

from models import Client, Counselling, Letter, Meeting, NetworkMember, Substitution, db
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    admin_view,
    alerts,
    form_values,
    page,
    refused,
    saved,
    shown,
    snapshot,
)
from tests.admin_app.test_least_access import REGISTERS, X_NAME, _as, make_office
from tests.conftest import create_letter, csrf_token

pytestmark = [TUPLE_CHOICES, pytest.mark.usefixtures("shipped_questionnaire")]

#: Relations least access filters whose record can be open to an editor who may not see the linked
#: client (or network member): saving must keep those links. {(endpoint, relation)}
KEEPS = {("letters", "client"), ("meetings", "clients"), ("meetings", "network_members")}
#: Relations that are the record's own scope: a record linked to a client out of scope is not found (404),
#: so no save of it can reach an unseen link. {(endpoint, relation): register URL}
OWN_SCOPE = {
    ("assessments", "client"): "/admin/assessments/",
    ("case_steps", "client"): "/admin/case-steps/",
    ("counselling", "client"): "/admin/counselling/",
    ("counselling", "network_member"): "/admin/counselling/",
    ("action_plans", "client"): "/admin/action-plans/",
    ("quality_of_life", "client"): "/admin/quality-of-life/",
    ("supervision", "client"): "/admin/supervision/",
    ("deliveries", "client"): "/admin/deliveries/",
}


@pytest.fixture
def office(app):
    return make_office(app)


def _member(app, client_id: int, name: str) -> int:
    with app.app_context():
        member = NetworkMember(client_id=client_id, role="relative", name=name)
        db.session.add(member)
        db.session.commit()
        return member.id


def _save_unchanged(browser, url: str, **changes):
    """Open the edit form at ``url`` and send it back as the browser shows it, with ``changes``."""
    data = form_values(page(browser, url))
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return browser.post(url, data=data)


# --- Item 4: saving keeps what the editor cannot see -----------------------------------------------


def test_every_relation_least_access_filters_is_covered_here(app):
    """A new register linking to clients or network members must be added to KEEPS or OWN_SCOPE."""
    found = set()
    for view in app.extensions["admin"][0]._views:
        form = getattr(view, "_edit_form_class", None)
        if form is None or not (type(view).can_edit or type(view).can_create):  # no form to send (STAR queue)
            continue
        for relation in sa.inspect(view.model).relationships:
            if (
                hasattr(form, relation.key)
                and relation.direction.name in ("MANYTOONE", "MANYTOMANY")
                and relation.mapper.class_ in (Client, NetworkMember)
            ):
                found.add((view.endpoint, relation.key))
    assert found == KEEPS | set(OWN_SCOPE)


def test_a_meeting_saved_by_a_case_manager_keeps_a_colleague_s_clients_and_network(app, office):
    x, y = office["x"]["/admin/clients/"], office["y"]["/admin/clients/"]
    x_member, y_member = _member(app, x, "Xaver Xander"), _member(app, y, "Yngve Yli")
    with app.app_context():
        meeting = Meeting(held_on=date(2026, 3, 3), kind="network", title="Ühine kohtumine")
        meeting.clients = [db.session.get(Client, x), db.session.get(Client, y)]
        meeting.network_members = [db.session.get(NetworkMember, x_member), db.session.get(NetworkMember, y_member)]
        db.session.add(meeting)
        db.session.commit()
        pk = meeting.id
    b = _as(app, "b")
    url = f"/admin/meetings/edit/?id={pk}"
    html = page(b, url)
    assert X_NAME not in html and "Xaver" not in html, "B is not shown X nor X's network"
    assert shown(app, "Also linked to records you may not see; saving keeps those links.") in html
    saved(_save_unchanged(b, url))
    assert _links(app, pk) == ({x, y}, {x_member, y_member})
    # What B sees, B may change; what B cannot see stays.
    saved(_save_unchanged(b, url, clients=[], network_members=[], others="Naabrivalla nõunik"))
    assert _links(app, pk) == ({x}, {x_member})


def _links(app, pk: int) -> tuple[set[int], set[int]]:
    with app.app_context():
        db.session.remove()
        meeting = db.session.get(Meeting, pk)
        return {c.id for c in meeting.clients}, {m.id for m in meeting.network_members}


def test_a_letter_saved_by_a_case_manager_without_its_client_keeps_the_client(app, office):
    x, y = office["x"]["/admin/clients/"], office["y"]["/admin/clients/"]
    with app.app_context():
        pk = create_letter(client_id=x).id
    b = _as(app, "b")
    url = f"/admin/letters/edit/?id={pk}"
    saved(_save_unchanged(b, url, note="Vastatud telefoni teel"))
    assert _letter_client(app, pk) == x
    html = page(b, url)
    assert X_NAME not in html
    assert shown(app, "Kept as it is: a link you may not see") in html, "the empty choice says it keeps the link"
    # A deliberate choice of another client (in B's scope) replaces it.
    saved(_save_unchanged(b, url, client=str(y)))
    assert _letter_client(app, pk) == y


def test_a_letter_cannot_be_linked_to_a_client_out_of_scope_by_a_crafted_choice(app, office):
    x = office["x"]["/admin/clients/"]
    with app.app_context():
        pk = create_letter().id
    before = snapshot(app, Letter)
    answer = _save_unchanged(_as(app, "b"), f"/admin/letters/edit/?id={pk}", client=str(x), note="Xena kiri")
    refused(answer, "client")
    assert snapshot(app, Letter) == before


def _letter_client(app, pk: int) -> int | None:
    with app.app_context():
        db.session.remove()
        return db.session.get(Letter, pk).client_id


@pytest.mark.parametrize(("endpoint", "relation"), sorted(OWN_SCOPE))
def test_a_record_scoped_by_its_client_is_not_saved_by_a_colleague_and_keeps_its_links(app, office, endpoint, relation):
    """B sends the edit form of X's record as A sees it: not found, nothing changed; A's own unchanged
    save keeps the links."""
    url = OWN_SCOPE[(endpoint, relation)]
    pk = office["x"][url]
    model = admin_view(app, endpoint).model
    if relation == "network_member":
        member = _member(app, office["x"]["/admin/clients/"], "Xaver Xander")
        with app.app_context():
            db.session.get(Counselling, pk).network_member_id = member
            db.session.commit()
    before = snapshot(app, model)
    edit = f"{url}edit/?id={pk}"
    a = _as(app, "a")
    data = form_values(page(a, edit))
    b = _as(app, "b")
    data["csrf_token"] = [csrf_token(b, "/admin/")]
    assert b.get(edit).status_code == 404
    assert b.post(edit, data=data).status_code == 404
    assert snapshot(app, model) == before
    saved(_save_unchanged(a, edit))
    with app.app_context():
        record = db.session.get(model, pk)
        linked = getattr(record, f"{relation}_id")
    assert linked == (member if relation == "network_member" else office["x"]["/admin/clients/"])


# --- Item 5: actions act only on rows the list shows -----------------------------------------------


def _actions(app, url: str) -> list[str]:
    endpoint = next(v.endpoint for v in app.extensions["admin"][0]._views if getattr(v, "url", None) == url[:-1])
    return [name for name, _ in admin_view(app, endpoint)._actions]


def test_every_action_refuses_a_colleague_s_records_as_not_found(app, office):
    b = _as(app, "b")
    token = csrf_token(b, "/admin/")
    tried = []
    for url, model in REGISTERS.items():
        for name in _actions(app, url):
            before = snapshot(app, model)
            for rowid in ([office["x"][url]], [office["y"][url], office["x"][url]]):
                answer = b.post(f"{url}action/", data={"action": name, "rowid": rowid, "csrf_token": token})
                assert answer.status_code == 404, f"{url} {name} {rowid}: {answer.status_code}"
            assert snapshot(app, model) == before, f"{url} {name}: changed a row outside B's list"
            tried.append((url, name))
    assert ("/admin/clients/", "archive") in tried and ("/admin/clients/", "restore") in tried
    # B's own client is archived as before.
    answer = b.post(
        "/admin/clients/action/",
        data={"action": "archive", "rowid": office["y"]["/admin/clients/"], "csrf_token": token},
    )
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(Client, office["y"]["/admin/clients/"]).archived_on is not None


def test_a_case_manager_s_actions_on_substitutions_they_are_not_in_are_refused(app, office):
    with app.app_context():
        db.session.add(
            Substitution(
                absent_id=office["users"]["a"],
                substitute_id=office["users"]["c"],
                starts_on=date.today(),
                ends_on=date.today(),
            )
        )
        db.session.commit()
        pk = db.session.scalar(sa.select(Substitution.id))
    b = _as(app, "b")
    token = csrf_token(b, "/admin/")
    for name in _actions(app, "/admin/substitutions/"):
        data = {"action": name, "rowid": pk, "csrf_token": token}
        assert b.post("/admin/substitutions/action/", data=data).status_code == 404
    with app.app_context():
        assert db.session.get(Substitution, pk) is not None


@pytest.mark.parametrize("role", ["admin", "head", "b", "accountant"])
def test_a_rowid_that_is_not_a_number_gives_a_message_and_does_nothing(app, office, role):
    browser = _as(app, role)
    message = shown(app, "The chosen rows could not be read. Nothing was done.")
    tried = set()
    for view in app.extensions["admin"][0]._views:
        actions = [name for name, _ in getattr(view, "_actions", ())]
        url = f"{view.url}/"
        if not actions or browser.get(url).status_code != 200:
            continue
        token = csrf_token(browser, url)
        offered = page(browser, url)
        before = snapshot(app, view.model)
        for name in actions:
            for rowid in ("abc", ["1", "x1"], "1" * 40):
                answer = browser.post(f"{url}action/", data={"action": name, "rowid": rowid, "csrf_token": token})
                if answer.status_code == 403:  # a read-only list (the audit log) refuses every write
                    assert f"modelActions.execute('{name}')" not in offered, f"{url} {name}"
                    continue
                assert answer.status_code == 302, f"{url} {name} {rowid!r}: {answer.status_code}"
                assert message in alerts(page(browser, url)), f"{url} {name}"
                tried.add(url)
        assert snapshot(app, view.model) == before, url
    assert "/admin/invoices/" in tried, "the invoices' actions were tried (a 500 until now)"
