"""Constant queries per page: every register's list, details view and the case file run the same
number of SQL statements however many rows they show (no query per row, "N+1")."""

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import event

from admin_app.auth import new_user
from models import ActionPlan, Activity, Assessment, CaseStep, Counselling, NetworkMember, db
from models.seed import demo, scale

#: The most statements a list page, a details page and the case file (ten sections) may run (sign-in,
#: the count, the page, eagerly loaded relations, filter options).
LIST_BOUND = 12
DETAILS_BOUND = 15
CASE_FILE_BOUND = 25


@pytest.fixture
def filled(app, tmp_path):
    """The demo municipality (every register) and a few hundred more clients with their work."""
    with app.app_context():
        demo.load(tmp_path, new_user)
        scale.seed(300, 3000, new_user=new_user, echo=lambda *args: None)
    return app


@pytest.fixture
def statements(filled):
    """``statements(client, url)``: the response and the SQL statements it ran."""
    with filled.app_context():
        engine = db.engine
    seen = []

    def _count(conn, cursor, statement, *args):
        seen.append(statement)

    def _run(client, url):
        seen.clear()
        event.listen(engine, "before_cursor_execute", _count)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", _count)
        assert response.status_code == 200, url
        return list(seen)

    return _run


def _registers(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]


def _rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_list_pages_run_the_same_statements_for_10_and_100_rows(filled, login_as, statements):
    client = login_as("admin")
    counts = {}
    for view in _registers(filled):
        small = statements(client, f"{view.url}/?page_size=10")
        large = statements(client, f"{view.url}/?page_size=100")
        counts[view.endpoint] = (len(small), len(large), _rows(filled, view.model))
    different = {name: c for name, c in counts.items() if c[0] != c[1]}
    assert different == {}, f"statements grow with the page (10 rows, 100 rows, rows in table): {different}"
    over = {name: c for name, c in counts.items() if c[1] > LIST_BOUND}
    assert over == {}, f"more than {LIST_BOUND} statements: {over}"
    # The registers that matter most hold more than a page of 10, so the comparison means something.
    for name in ("clients", "providers", "deliveries", "case_steps", "assessments", "counselling", "procurements"):
        assert counts[name][2] > 10, name


def test_details_pages_stay_within_the_bound(filled, login_as, statements):
    client = login_as("admin")
    over = {}
    for view in _registers(filled):
        with filled.app_context():
            first = db.session.scalar(sa.select(view.model.id).order_by(view.model.id).limit(1))
        if first is None:
            continue
        ran = len(statements(client, f"{view.url}/details/?id={first}"))
        if ran > DETAILS_BOUND:
            over[view.endpoint] = ran
    assert over == {}, f"details pages over {DETAILS_BOUND} statements: {over}"


def _duplicate(table: sa.Table, where) -> None:
    """Copy the rows of ``table`` that match ``where`` (new ids), as more work for one client."""
    columns = [c for c in table.columns if c.name != "id"]
    db.session.execute(sa.insert(table).from_select([c.name for c in columns], sa.select(*columns).where(where)))


def test_the_case_file_runs_as_many_statements_when_the_case_grows(filled, login_as, statements):
    with filled.app_context():
        # A demo client with every section filled: network, assessments, a plan, steps, counselling.
        busy = db.session.scalar(
            sa.select(ActionPlan.client_id).join(Counselling, Counselling.client_id == ActionPlan.client_id).limit(1)
        )
    client = login_as("head")
    url = f"/admin/case-file/?client_id={busy}"
    before = statements(client, url)
    with filled.app_context():
        plans = sa.select(ActionPlan.id).where(ActionPlan.client_id == busy).scalar_subquery()
        for _ in range(2):
            for model in (NetworkMember, Assessment, CaseStep, Counselling):
                _duplicate(model.__table__, model.__table__.c.client_id == busy)
            _duplicate(Activity.__table__, Activity.__table__.c.plan_id.in_(plans))
        db.session.commit()
        assert _rows(filled, Counselling) > 0
    after = statements(client, url)
    assert len(after) == len(before) <= CASE_FILE_BOUND


def test_an_invoice_s_details_run_as_many_statements_for_2_or_50_clients_a_page(
    filled, login_as, statements, monkeypatch
):
    from admin_app.views.invoices import InvoiceView
    from models import InvoiceLine, ServiceDelivery, generate_invoice

    with filled.app_context():
        month = db.session.scalar(sa.select(sa.func.max(ServiceDelivery.delivered_on)))
        invoice = generate_invoice(month).id
        clients = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(InvoiceLine.client_id))).where(InvoiceLine.invoice_id == invoice)
        )
    assert clients > 50  # so that a page of 50 holds 50 clients' lines
    client = login_as("head")
    url = f"/admin/invoices/details/?id={invoice}"
    monkeypatch.setattr(InvoiceView, "clients_per_page", 2)
    few = statements(client, url)
    monkeypatch.setattr(InvoiceView, "clients_per_page", 50)
    many = statements(client, url)
    assert len(few) == len(many) <= DETAILS_BOUND, (len(few), len(many))
    assert len(statements(client, f"{url}&page=2&q=a")) == len(many)
