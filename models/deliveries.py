"""Teenuse osutamised: service deliveries, priced from the price list or an accepted offer."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ChoiceType, Versioned, choice_check, db, money
from .catalogue import PriceMode, ServiceComponent
from .clients import Client, ClientStatus
from .offers import Offer, OfferStatus
from .procurements import Procurement, ProcurementStatus, procurement_components
from .providers import Provider


class ServiceDelivery(Versioned, db.Model):
    """Teenuse osutamine: a component delivered to a client by a provider on a day or in a period."""

    __tablename__ = "service_delivery"
    __table_args__ = (
        choice_check("mode", PriceMode),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("period_end IS NULL OR period_end >= delivered_on", name="period_in_order"),
        # The sort indexes end with the key, by which a list breaks ties (admin_app/registers/paging.py).
        *(sa.Index(f"ix_service_delivery_{column}", column, "id") for column in ("delivered_on", "amount", "quantity")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id"), index=True)
    client: Mapped[Client] = relationship()
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    provider: Mapped[Provider] = relationship()
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("service_component.id"), index=True)
    component: Mapped[ServiceComponent] = relationship()
    mode: Mapped[PriceMode] = mapped_column(ChoiceType(PriceMode), default=PriceMode.INDIVIDUAL)
    delivered_on: Mapped[date]
    period_end: Mapped[date | None]
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2))
    unit_price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    # The accepted offer the price came from; empty when it came from the price list.
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offer.id"), index=True)
    offer: Mapped[Offer | None] = relationship()
    notes: Mapped[str | None] = mapped_column(sa.String(500))
    # The confirmed invoice the delivery is on, ``invoice``, is no column: it is the invoice of the
    # delivery's month that has a line of the delivery's client, provider, component, mode and
    # unit price (``models.invoices``, where the relationship is defined once both tables are).

    def __str__(self) -> str:
        return f"{self.delivered_on:%d.%m.%Y} {self.component} – {self.client}"

    @property
    def locked(self) -> bool:
        """True once the delivery is on a confirmed invoice: then it never changes."""
        return self.invoice is not None


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Quantity × unit price, rounded half up to cents."""
    return money(Decimal(quantity) * Decimal(unit_price))


def accepted_offer(provider_id: int, component_id: int, day: date) -> Offer | None:
    """The provider's accepted offer for the component that holds on ``day``, the latest first."""
    start = sa.func.coalesce(Offer.received_on, Offer.asked_on)
    query = (
        sa.select(Offer)
        .where(
            Offer.provider_id == provider_id,
            Offer.component_id == component_id,
            Offer.status == OfferStatus.ACCEPTED,
            Offer.price.is_not(None),
            start <= day,
            sa.or_(Offer.valid_until.is_(None), Offer.valid_until >= day),
        )
        .order_by(start.desc(), Offer.id.desc())
        .limit(1)
    )
    with db.session.no_autoflush:
        return db.session.scalars(query).first()


def contracted(provider_id: int, component_id: int, day: date) -> bool:
    """True when a signed procurement contract with the provider covers the component on ``day``."""
    query = (
        sa.select(Procurement.id)
        .join(procurement_components, procurement_components.c.procurement_id == Procurement.id)
        .where(
            Procurement.winner_id == provider_id,
            Procurement.status == ProcurementStatus.CONTRACTED,
            procurement_components.c.component_id == component_id,
            sa.or_(Procurement.contract_start.is_(None), Procurement.contract_start <= day),
            sa.or_(Procurement.contract_end.is_(None), Procurement.contract_end >= day),
        )
        .limit(1)
    )
    with db.session.no_autoflush:
        return db.session.execute(query).first() is not None


def price_for(provider: Provider, component: ServiceComponent, day: date, mode=PriceMode.INDIVIDUAL):
    """The unit price on ``day`` and the offer it came from: an accepted offer overrides the price
    list; a contracted provider is paid by the price list. Raises ``LookupError`` with the reason."""
    offer = accepted_offer(provider.id, component.id, day)
    if offer is not None:
        return offer.price, offer
    if not contracted(provider.id, component.id, day):
        raise LookupError(
            str(
                _l(
                    "%(provider)s has no contract or accepted offer for %(component)s on %(day)s.",
                    provider=provider.name,
                    component=component,
                    day=f"{day:%d.%m.%Y}",
                )
            )
        )
    row = component.price_on(day, mode)
    if row is None:
        raise LookupError(
            str(
                _l(
                    "The price list has no price for %(component)s (%(mode)s) on %(day)s.",
                    component=component,
                    mode=PriceMode(mode).label,
                    day=f"{day:%d.%m.%Y}",
                )
            )
        )
    return row.unit_price, None


def active_on(client: Client, day: date) -> bool:
    """True when the client takes part in the programme on ``day`` (entered, not yet exited)."""
    if client.status == ClientStatus.APPLICANT:
        return False
    if client.entry_date is not None and day < client.entry_date:
        return False
    return client.exit_date is None or day <= client.exit_date
