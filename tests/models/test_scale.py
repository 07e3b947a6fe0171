"""``flask --app admin_app seed-scale``: a large data set that the domain's own rules accept."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from models import Client, ServiceDelivery, db
from models.clients import client_errors
from models.codes import make_personal_code
from models.delivery_rules import delivery_errors
from models.invoices import month_end
from models.invoicing import confirm_invoice, generate_invoice, payable
from tests.conftest import count

CLIENTS = 300
DELIVERIES = 2400


def _seed(app, *extra):
    result = app.test_cli_runner().invoke(
        args=["seed-scale", "--clients", str(CLIENTS), "--deliveries", str(DELIVERIES), *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def test_fills_every_register_asked_for(app):
    result = _seed(app)
    assert f"{CLIENTS} clients" in result.output
    assert count(app, Client) == CLIENTS
    assert count(app, ServiceDelivery) == DELIVERIES
    with app.app_context():
        codes = db.session.scalar(sa.select(sa.func.count(sa.distinct(Client.personal_code))))
        months = db.session.scalars(sa.select(ServiceDelivery.delivered_on)).all()
    assert codes == CLIENTS
    assert len({(d.year, d.month) for d in months}) == 12
    assert max(months) < date.today().replace(day=1)


def test_clients_added_afterwards_get_new_ids(app):
    """The bulk load writes ids itself; the next client registered must not collide with them."""
    _seed(app)
    with app.app_context():
        born = date(1990, 5, 17)
        db.session.add(
            Client(
                personal_code=make_personal_code(born, "F", 999),
                first_name="Uus",
                last_name="Klient",
                birth_date=born,
                sex="F",
                target_group="youth",
            )
        )
        db.session.commit()
    assert count(app, Client) == CLIENTS + 1


def test_a_sample_passes_the_domains_rules(app):
    _seed(app)
    with app.app_context():
        for client in db.session.scalars(sa.select(Client).order_by(Client.id).limit(40)):
            with db.session.no_autoflush:
                assert client_errors(client) == {}, client.personal_code
        sample = db.session.scalars(sa.select(ServiceDelivery).order_by(ServiceDelivery.id).limit(40)).all()
        for delivery in sample:
            stored = (delivery.unit_price, delivery.amount)
            with db.session.no_autoflush:
                assert delivery_errors(delivery) == {}
            # The rule prices it again from the price list of its day: the same price and amount.
            assert (delivery.unit_price, delivery.amount) == stored
            assert delivery.amount == (delivery.quantity * delivery.unit_price).quantize(Decimal("0.01"))
        db.session.rollback()


def test_a_month_of_it_invoices(app):
    _seed(app)
    with app.app_context():
        month = db.session.scalar(sa.select(sa.func.max(ServiceDelivery.delivered_on)))
        invoice = generate_invoice(month)
        first = month.replace(day=1)
        payable_total = sa.select(sa.func.sum(ServiceDelivery.amount)).where(payable(first, month_end(first)))
        expected = db.session.scalar(payable_total)
        assert invoice.total == expected > 0
        # Once confirmed, it bills exactly the deliveries the draft's lines bill.
        confirm_invoice(invoice)
        linked = sa.select(sa.func.sum(ServiceDelivery.amount)).where(ServiceDelivery.invoice.has(id=invoice.id))
        assert db.session.scalar(linked) == expected


def test_refuses_a_database_that_holds_data(app):
    _seed(app)
    result = app.test_cli_runner().invoke(args=["seed-scale", "--clients", "10", "--deliveries", "10"])
    assert result.exit_code != 0
    assert "already holds data" in result.output
    assert count(app, Client) == CLIENTS


def test_force_empty_starts_again(app):
    _seed(app)
    _seed(app, "--force-empty")
    assert count(app, Client) == CLIENTS
    assert count(app, ServiceDelivery) == DELIVERIES
