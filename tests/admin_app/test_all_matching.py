"""Actions on the whole filtered list ("all N matching", admin_app/registers/all_matching.py): the count is
shown and confirmed, the action acts on exactly the matching rows across pages, set-based, audited once."""

import sqlalchemy as sa

from models import AuditEvent, Client, db
from tests.admin_app.helpers import shown, shown_count, signed_in
from tests.conftest import count, create_client, csrf_token

# --- All N matching -----------------------------------------------------------------------------


def test_archiving_all_matching_acts_on_exactly_the_matching_rows_across_pages(app, client):
    with app.app_context():
        tamm = [create_client(last_name="Tamm").id for _ in range(55)]
        kask = [create_client(last_name="Kask").id for _ in range(3)]
    head = signed_in(app, client, "head")
    listed = head.get("/admin/clients/?search=Tamm").get_data(as_text=True)
    assert shown(app, "All %(num)s matching", num=55) in listed
    url = "/admin/clients/action/all/?action=archive&search=Tamm"
    page = head.get(url).get_data(as_text=True)
    assert 'class="lead all-matching-count"' in page and "55" in page
    token = csrf_token(head, url)
    # A count that no longer holds (another row came to match) is not run.
    response = head.post(url, data={"csrf_token": token, "confirmed": "54"})
    assert response.status_code == 200 and count(app, Client, Client.archived_on.is_not(None)) == 0
    response = head.post(url, data={"csrf_token": token, "confirmed": "55"})
    assert response.status_code == 302 and "search=Tamm" in response.headers["Location"]
    with app.app_context():
        archived = set(db.session.scalars(sa.select(Client.id).where(Client.archived_on.is_not(None))))
        assert archived == set(tamm)
        assert not archived & set(kask)
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.table_name == "client", AuditEvent.action == "update")
        ).all()
        assert len(events) == 1, "one audit entry for the whole set"
        named = [v for v in events[0].changes["parameters"].values() if isinstance(v, list)]
        assert sorted(named[0]) == sorted(tamm)


def test_all_matching_keeps_a_case_manager_to_their_scope(app, client):
    manager = signed_in(app, client, "case_manager", "mari@test.ee")
    with app.app_context():
        from admin_app.auth import create_user as make_user
        from models import User

        other = make_user("juri@test.ee", "x" * 16, ["case_manager"], full_name="Jüri")
        me = db.session.scalars(sa.select(User).where(User.email == "mari@test.ee")).one()
        mine = create_client(last_name="Tamm", case_manager=me).id
        create_client(last_name="Tamm", case_manager=other)
    url = "/admin/clients/action/all/?action=archive&search=Tamm"
    head_page = manager.get(url).get_data(as_text=True)
    assert "all-matching-count" in head_page
    manager.post(url, data={"csrf_token": csrf_token(manager, url), "confirmed": "1"})
    with app.app_context():
        assert set(db.session.scalars(sa.select(Client.id).where(Client.archived_on.is_not(None)))) == {mine}


def test_all_matching_offers_only_list_actions_the_user_may_run(app, client):
    accountant = signed_in(app, client, "accountant")
    assert accountant.get("/admin/providers/action/all/?action=archive").status_code in (403, 404)
    client.get("/logout")
    head = signed_in(app, client, "head")
    assert head.get("/admin/providers/action/all/?action=delete").status_code == 404


# --- Assigning a case manager -------------------------------------------------------------------


def _people(app):
    """Two case managers and an accountant (who does no case work)."""
    from admin_app.auth import create_user as make_user

    with app.app_context():
        mari = make_user("mari@test.ee", "x" * 16, ["case_manager"], full_name="Mari Mets").id
        juri = make_user("juri@test.ee", "x" * 16, ["case_manager"], full_name="Jüri Järv").id
        counter = make_user("arve@test.ee", "x" * 16, ["accountant"], full_name="Arve Arvutaja").id
    return mari, juri, counter


def _managers(app, ids) -> list:
    with app.app_context():
        return list(db.session.scalars(sa.select(Client.case_manager_id).where(Client.id.in_(ids)).order_by(Client.id)))


def test_assigning_all_matching_gives_every_matching_client_the_case_manager_in_one_audited_step(app, client):
    mari, juri, counter = _people(app)
    with app.app_context():
        tamm = [create_client(last_name="Tamm").id for _ in range(55)]
        kask = [create_client(last_name="Kask").id for _ in range(2)]
        before = {k: v for k, v in zip(tamm, _managers(app, tamm), strict=True)}
        versions = dict(db.session.execute(sa.select(Client.id, Client.version).where(Client.id.in_(tamm))).all())
    head = signed_in(app, client, "head")
    url = "/admin/clients/action/all/?action=assign&search=Tamm"
    page = head.get(url).get_data(as_text=True)
    assert "all-matching-count" in page and "55" in page
    assert "Mari Mets" in page and "Jüri Järv" in page, "the case managers are offered"
    assert "Arve Arvutaja" not in page, "nobody who does no case work"
    token = csrf_token(head, url)

    # An accountant's id (forged) is refused with a message and nothing changes.
    refused = head.post(url, data={"csrf_token": token, "confirmed": "55", "choice": str(counter)})
    assert refused.status_code == 200
    assert shown(app, "Choose a case manager from the list.") in refused.get_data(as_text=True)
    assert _managers(app, tamm) == [before[k] for k in tamm]

    done = head.post(url, data={"csrf_token": token, "confirmed": "55", "choice": str(juri)})
    assert done.status_code == 302
    assert _managers(app, tamm) == [juri] * 55
    assert _managers(app, kask) == [None, None], "only the matching rows"
    with app.app_context():
        moved = dict(db.session.execute(sa.select(Client.id, Client.version).where(Client.id.in_(tamm))).all())
        assert all(moved[k] == versions[k] + 1 for k in tamm), "an edit form open on one of them is now refused"
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.table_name == "client", AuditEvent.action == "update")
        ).all()
        assert len(events) == 1, "one audit entry naming the rows"
        named = [v for v in events[0].changes["parameters"].values() if isinstance(v, list)]
        assert sorted(named[0]) == sorted(tamm)


def test_assigning_the_ticked_rows_asks_for_the_case_manager_and_acts_on_those_only(app, client):
    mari, juri, _ = _people(app)
    with app.app_context():
        ids = [create_client(last_name="Saar").id for _ in range(4)]
    head = signed_in(app, client, "head")
    token = csrf_token(head, "/admin/clients/")
    response = head.post(
        "/admin/clients/action/", data={"csrf_token": token, "action": "assign", "rowid": [str(i) for i in ids[:2]]}
    )
    assert response.status_code == 302
    chooser = response.headers["Location"]
    page = head.get(chooser).get_data(as_text=True)
    assert shown_count(app, "%(num)s row is chosen.", "%(num)s rows are chosen.", 2) in page
    head.post(chooser, data={"csrf_token": csrf_token(head, chooser), "confirmed": "2", "choice": str(mari)})
    assert _managers(app, ids) == [mari, mari, None, None]
    # Unassigning is a choice too.
    head.post(chooser, data={"csrf_token": csrf_token(head, chooser), "confirmed": "2", "choice": ""})
    assert _managers(app, ids) == [None, None, None, None]


def test_a_case_manager_assigns_only_within_their_scope(app, client):
    manager = signed_in(app, client, "case_manager", "anu@test.ee")
    mari, juri, _ = _people(app)
    with app.app_context():
        from models import User

        me = db.session.scalars(sa.select(User).where(User.email == "anu@test.ee")).one()
        mine = create_client(last_name="Org", case_manager=me).id
        juris = create_client(last_name="Org", case_manager_id=juri).id
    url = "/admin/clients/action/all/?action=assign&search=Org"
    manager.post(url, data={"csrf_token": csrf_token(manager, url), "confirmed": "1", "choice": str(mari)})
    assert _managers(app, [mine, juris]) == [mari, juri]
    # A chosen id outside the scope is refused as the list refuses it.
    chooser = f"/admin/clients/action/all/?action=assign&ids={juris}"
    assert manager.get(chooser).status_code == 404
