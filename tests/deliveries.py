"""Factories for deliveries and invoices: a contracted provider, an active pilot client, a delivery."""

from datetime import date
from decimal import Decimal

from models import ServiceDelivery, db, delivery_errors
from tests.conftest import create_client, create_component, create_procurement, create_provider

MONTH = date(2026, 9, 1)


def contracted_provider(*components, start=date(2026, 1, 1), **overrides):
    """A component provider that won a signed contract for ``components``."""
    provider = create_provider(**overrides)
    create_procurement(
        status="contracted",
        winner=provider,
        components=list(components),
        contract_on=date(2025, 12, 1),
        contract_start=start,
        contract_end=date(2027, 12, 31),
    )
    return provider


def active_client(**overrides):
    """A pilot participant, active since the start of 2026."""
    values = dict(status="active", entry_date=date(2026, 1, 5), applied_on=date(2025, 12, 1))
    values.update(overrides)
    return create_client(**values)


def setting(price="25.00"):
    """A component, a provider contracted for it and an active client."""
    component = create_component(price=price)
    return contracted_provider(component), component, active_client()


def create_delivery(*, provider, component, client, day=MONTH, quantity="2", mode="individual", **kw):
    """A delivery put through the rules (which price it) and saved."""
    d = ServiceDelivery(
        provider=provider,
        component=component,
        client=client,
        delivered_on=day,
        quantity=Decimal(quantity),
        mode=mode,
        **kw,
    )
    errors = delivery_errors(d)
    assert errors == {}, errors
    db.session.add(d)
    db.session.commit()
    return d
