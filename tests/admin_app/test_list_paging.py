"""Lists at a register's size: a later page shows the rows the list has there, in its order; a large
unfiltered list on PostgreSQL says "about N" rows, a filtered or scoped one counts them exactly."""

import re

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla import ModelView

from admin_app.auth import new_user
from models import CaseStep, Client, ServiceDelivery, User, db
from models.seed import scale
from tests.admin_app.helpers import TUPLE_CHOICES, admin_view, page, shown, signed_in, sort_arg

pytestmark = TUPLE_CHOICES

DELIVERIES = "/admin/deliveries/"
CLIENTS = "/admin/clients/"
STEPS = "/admin/case-steps/"


@pytest.fixture
def filled(app):
    """A small municipality at scale: 150 clients, 700 deliveries and their case work."""
    with app.app_context():
        scale.seed(150, 700, new_user=new_user, echo=lambda *args: None)
        if db.engine.dialect.name == "postgresql":
            # Statistics as autovacuum keeps them on a database in use.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
    return app


def row_ids(html: str) -> list[int]:
    """The records a list page shows, top to bottom (by their row check boxes)."""
    return [int(i) for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)]


def total(html: str) -> str:
    """What the list's tab says of the number of rows: "(123)" or "(about 1,000)"."""
    match = re.search(r'class="nav-link active">[^<(]*\(([^)]*)\)</a>', html)
    return match.group(1).replace("\u00a0", " ") if match else ""


def registers(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView) and v.endpoint != "users"]


def test_every_later_page_shows_the_rows_the_list_has_there(filled, login_as):
    """Page 3 of 20 rows is rows 41–60 of the list read from its start, in the same order, for
    every register, its default order and a sort by a column."""
    client = login_as("admin")
    checked = []
    for view in registers(filled):
        sorts = ["", sort_arg(filled, view.endpoint, view._list_columns[0][0]) + "&"]
        sorts = sorts if view._list_columns[0][0] in view._sortable_columns else sorts[:1]
        for sort in sorts:
            whole = row_ids(page(client, f"{view.url}/?{sort}page_size=100"))
            if len(whole) < 60:
                continue
            third = row_ids(page(client, f"{view.url}/?{sort}page_size=20&page=2"))
            assert third == whole[40:60], f"{view.endpoint} {sort}"
            checked.append(view.endpoint)
    assert {"clients", "deliveries", "case_steps", "assessments"} <= set(checked)


def test_paging_through_deliveries_shows_each_once_with_its_client(filled, login_as):
    client = login_as("head")
    seen = []
    for number in range(7):
        html = page(client, f"{DELIVERIES}?page_size=100&page={number}")
        ids = row_ids(html)
        with filled.app_context():
            names = db.session.scalars(
                sa.select(Client.last_name).join(ServiceDelivery.client).where(ServiceDelivery.id.in_(ids))
            ).all()
        assert all(name in html for name in names)
        seen += ids
    with filled.app_context():
        newest_first = db.session.scalars(
            sa.select(ServiceDelivery.id).order_by(ServiceDelivery.delivered_on.desc(), ServiceDelivery.id.desc())
        ).all()
    assert seen == newest_first


def test_a_later_page_of_a_search_shows_only_what_was_searched(filled, login_as):
    """The second page of a search goes on where the first stopped, and the search is counted."""
    client = login_as("head")
    whole = page(client, f"{CLIENTS}?search=a&page_size=100")
    found = row_ids(whole)
    assert len(found) > 40 and total(whole).isdigit() and int(total(whole)) >= len(found)
    first = row_ids(page(client, f"{CLIENTS}?search=a&page_size=20"))
    second = row_ids(page(client, f"{CLIENTS}?search=a&page_size=20&page=1"))
    assert first + second == found[:40]


def test_case_steps_on_a_later_page_read_as_a_timeline(filled, login_as):
    """Each client's steps together by name (then date), as on the first page."""
    client = login_as("head")
    ids = row_ids(page(client, f"{STEPS}?page_size=50&page=3"))
    with filled.app_context():
        rows = {
            s.id: (s.client.last_name, s.client.first_name, s.client_id, s.done_on)
            for s in db.session.scalars(sa.select(CaseStep).where(CaseStep.id.in_(ids)))
        }
    keys = [rows[i] for i in ids]
    assert len(keys) == 50 and keys == sorted(keys)


def test_the_total_of_a_large_unfiltered_list(filled, login_as):
    """On PostgreSQL the pager of a list over LIST_ESTIMATE_FROM rows is the planner's estimate and
    the list says so ("about N"); SQLite counts. A search, a filter, a small list and a case
    manager's list (their clients' records only) are always counted exactly."""
    filled.config["LIST_ESTIMATE_FROM"] = 500
    try:
        client = login_as("head")
        html = page(client, DELIVERIES)
        with filled.app_context():
            exact = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDelivery))
            postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:
            about = shown(filled, "about %(num)s", num="")
            assert total(html).startswith(about)
            estimate = int(re.sub(r"\D", "", total(html)))
            assert abs(estimate - exact) <= exact // 10
            # The pager still leads to the last page of the estimate.
            assert f"page={-(-estimate // 50) - 1}" in html
        else:
            assert total(html) == str(exact)
        # Searched: counted.
        searched = page(client, f"{DELIVERIES}?search=a")
        assert total(searched).isdigit()
        # Small (150 clients < 500): counted.
        assert total(page(client, CLIENTS)).isdigit()
        filled.config["LIST_ESTIMATE_FROM"] = 100
        clients = page(client, CLIENTS)
        assert total(clients).startswith(shown(filled, "about %(num)s", num="")) == postgresql
    finally:
        filled.config["LIST_ESTIMATE_FROM"] = 50_000


def test_a_case_managers_list_is_counted_exactly(filled, client):
    """Least access holds for the total too: a case manager's list has their clients' deliveries,
    counted, even where the head's list of all of them is an estimate."""
    signed_in(filled, client, "case_manager")
    with filled.app_context():
        manager = db.session.scalar(sa.select(User.id).where(User.email == "case-manager@test.ee"))
        mine = db.session.scalars(sa.select(Client.id).order_by(Client.id).limit(60)).all()
        db.session.execute(sa.update(Client).where(Client.id.in_(mine)).values(case_manager_id=manager))
        db.session.commit()
        theirs = db.session.scalar(
            sa.select(sa.func.count()).select_from(ServiceDelivery).where(ServiceDelivery.client_id.in_(mine))
        )
    filled.config["LIST_ESTIMATE_FROM"] = 10
    try:
        html = page(client, DELIVERIES)
    finally:
        filled.config["LIST_ESTIMATE_FROM"] = 50_000
    assert 0 < theirs < 700 and total(html) == str(theirs)


def test_each_rows_buttons_open_and_delete_that_row(filled, login_as):
    """The view, edit and delete buttons of every row name that row's record (they are drawn once
    per page and stamped with each row's key)."""
    client = login_as("head")
    html = page(client, f"{DELIVERIES}?page=2")
    rows = html.split('name="rowid" class="action-checkbox"')[1:]
    assert len(rows) == 50
    for row in rows:
        pk = re.search(r'value="(\d+)"', row).group(1)
        buttons = row.split("</tr>")[0]
        assert f"/admin/deliveries/details/?id={pk}&amp;url=" in buttons
        assert f"/admin/deliveries/edit/?id={pk}&amp;url=" in buttons
        assert f'<input id="id" name="id" type="hidden" value="{pk}">' in buttons
        assert 'name="csrf_token"' in buttons
    # The delete button of a row deletes that row.
    last = re.findall(r'name="id" type="hidden" value="(\d+)"', html)[-1]
    token = re.search(r'name="csrf_token" value="([^"]+)"', rows[-1]).group(1)
    response = client.post(f"{DELIVERIES}delete/", data={"id": last, "csrf_token": token, "url": DELIVERIES})
    assert response.status_code == 302
    with filled.app_context():
        assert db.session.get(ServiceDelivery, int(last)) is None


def test_each_clients_case_file_link_opens_that_clients_case_file(filled, login_as):
    client = login_as("head")
    html = page(client, f"{CLIENTS}?page=1")
    rows = html.split('name="rowid" class="action-checkbox"')[1:]
    assert len(rows) == 50
    for row in rows:
        pk = re.search(r'value="(\d+)"', row).group(1)
        links = re.findall(r'href="(/admin/case-file/\?client_id=\d+)"', row.split("</tr>")[0])
        assert links == [f"/admin/case-file/?client_id={pk}"]


def test_each_invoiced_delivery_links_its_invoice(filled, login_as):
    from models import confirm_invoice, generate_invoice

    with filled.app_context():
        month = db.session.scalar(sa.select(sa.func.max(ServiceDelivery.delivered_on)))
        invoice = generate_invoice(month)
        confirm_invoice(invoice)
        invoice = invoice.id
        invoiced = set(
            db.session.scalars(sa.select(ServiceDelivery.id).where(ServiceDelivery.invoice.has(id=invoice))).all()
        )
    client = login_as("head")
    html = page(client, f"{DELIVERIES}?page_size=100")
    rows = html.split('name="rowid" class="action-checkbox"')[1:]
    linked = 0
    for row in rows:
        pk = int(re.search(r'value="(\d+)"', row).group(1))
        links = re.findall(r'href="/admin/invoices/details/\?id=(\d+)"', row.split("</tr>")[0])
        assert links == ([str(invoice)] if pk in invoiced else [])
        linked += bool(links)
    assert linked > 0


def test_a_later_page_holds_the_rows_flask_admins_single_query_gives(filled):
    """The deferred join (keys by OFFSET, then their rows) gives the rows, in the order, that
    Flask-Admin's own page gives (one OFFSET over the query with its relations joined), at several
    offsets, by every sortable column both ways, and for a search."""
    checked = 0
    with filled.test_request_context():
        for endpoint in ("deliveries", "clients", "case_steps", "assessments"):
            view = admin_view(filled, endpoint)
            sorts = [(None, False)] + [(name, desc) for name in view._sortable_columns for desc in (False, True)]
            for (sort, desc), search in [(s, None) for s in sorts] + [((None, False), "a")]:
                for page_number in (1, 2, 5, 13):
                    _, deferred = view.get_list(page_number, sort, desc, search, [], page_size=20)
                    _, query = view.get_list(page_number, sort, desc, search, [], execute=False, page_size=20)
                    single = query.all()
                    assert [view.get_pk_value(r) for r in deferred] == [view.get_pk_value(r) for r in single], (
                        f"{endpoint} sorted by {sort} {'desc' if desc else 'asc'}, search {search}, page {page_number}"
                    )
                    checked += bool(single)
    assert checked > 40
