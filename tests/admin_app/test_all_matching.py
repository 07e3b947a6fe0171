"""Actions on the whole filtered list ("all N matching", admin_app/registers/all_matching.py): the count is
shown and confirmed, the action acts on exactly the matching rows across pages, set-based, audited once."""

import sqlalchemy as sa

from models import AuditEvent, Client, db
from tests.admin_app.helpers import shown, signed_in
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
