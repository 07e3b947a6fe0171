"""Hanked: public procurements, the components they buy and the tenders received."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .catalogue import ServiceComponent
from .providers import Provider, _taken


class ProcedureType(Choice):
    SMALL_VALUE = "small_value", _l("Small-value procurement")
    SIMPLE = "simple", _l("Simple procurement")
    OPEN = "open", _l("Open procedure")
    SOCIAL_SERVICES = "social_services", _l("Social and other special services procedure")
    NEGOTIATED = "negotiated", _l("Negotiated procedure")


class ProcurementStatus(Choice):
    PLANNED = "planned", _l("Planned")
    PUBLISHED = "published", _l("Published")
    EVALUATION = "evaluation", _l("Tenders being evaluated")
    AWARDED = "awarded", _l("Awarded")
    CONTRACTED = "contracted", _l("Contract signed")
    CANCELLED = "cancelled", _l("Cancelled")


procurement_components = sa.Table(
    "procurement_component",
    db.metadata,
    sa.Column("procurement_id", sa.ForeignKey("procurement.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("component_id", sa.ForeignKey("service_component.id"), primary_key=True, index=True),
)


class Procurement(Versioned, db.Model):
    """Hange: a public procurement, by its public procurement register reference number."""

    __tablename__ = "procurement"
    __table_args__ = (
        choice_check("procedure_type", ProcedureType),
        choice_check("status", ProcurementStatus),
        sa.CheckConstraint("estimated_value IS NULL OR estimated_value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300), index=True)
    procedure_type: Mapped[ProcedureType] = mapped_column(ChoiceType(ProcedureType), index=True)
    estimated_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2), index=True)
    published_on: Mapped[date | None]
    tender_deadline: Mapped[date | None] = mapped_column(index=True)
    decision_on: Mapped[date | None]
    contract_on: Mapped[date | None]
    status: Mapped[ProcurementStatus] = mapped_column(
        ChoiceType(ProcurementStatus), default=ProcurementStatus.PLANNED, index=True
    )
    winner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    winner: Mapped[Provider | None] = relationship(foreign_keys=[winner_id])
    contract_start: Mapped[date | None]
    contract_end: Mapped[date | None] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    components: Mapped[list[ServiceComponent]] = relationship(
        secondary=procurement_components, order_by=ServiceComponent.code
    )
    bids: Mapped[list["Bid"]] = relationship(back_populates="procurement", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"{self.reference_number} {self.title}"


class Bid(db.Model):
    """Pakkumus: a provider's tender in a procurement."""

    __tablename__ = "bid"
    __table_args__ = (
        sa.UniqueConstraint("procurement_id", "provider_id", name="uq_bid_provider"),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_id: Mapped[int] = mapped_column(sa.ForeignKey("procurement.id", ondelete="CASCADE"), index=True)
    procurement: Mapped[Procurement] = relationship(back_populates="bids")
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    provider: Mapped[Provider] = relationship()
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    received_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(sa.String(500))

    def __str__(self) -> str:
        return f"{self.provider}: {self.price} €" if self.price is not None else str(self.provider)


_DATE_ORDER = [
    ("published_on", _l("published")),
    ("tender_deadline", _l("tender deadline")),
    ("decision_on", _l("decision")),
    ("contract_on", _l("contract")),
]


def procurement_errors(p: Procurement) -> dict[str, str]:
    """What is wrong with a procurement, by field."""
    errors: dict[str, str] = {}
    if p.reference_number:
        p.reference_number = p.reference_number.strip()
        if _taken(Procurement, Procurement.reference_number, p.reference_number, p.id):
            errors["reference_number"] = str(_l("A procurement with this reference number already exists."))
    if p.estimated_value is not None and p.estimated_value < 0:
        errors["estimated_value"] = str(_l("The estimated value cannot be negative."))
    threshold = current_app.config["SIMPLE_PROCUREMENT_THRESHOLD"]
    if p.procedure_type == ProcedureType.SMALL_VALUE and (p.estimated_value or 0) >= threshold:
        errors["procedure_type"] = str(
            _l(
                "From %(limit)s € (the simple procurement threshold) a small-value procurement is not allowed.",
                limit=f"{threshold:,}".replace(",", " "),
            )
        )
    earlier = None
    for field, label in _DATE_ORDER:
        value = getattr(p, field)
        if value is None:
            continue
        if earlier and value < earlier[1]:
            errors[field] = str(_l("This date cannot be before the %(other)s date.", other=earlier[0]))
        earlier = (label, value)
    if p.contract_start and p.contract_end and p.contract_end < p.contract_start:
        errors["contract_end"] = str(_l("The contract period ends before it starts."))
    bidders = [b.provider_id or (b.provider and b.provider.id) for b in p.bids]
    if len(bidders) != len(set(bidders)):
        errors["bids"] = str(_l("A provider can tender only once in a procurement."))
    if any(b.price is not None and b.price < 0 for b in p.bids):
        errors["bids"] = str(_l("A tender price cannot be negative."))
    if p.winner is not None and p.winner.id not in bidders:
        errors["winner"] = str(_l("The winner must be one of the bidders."))
    if p.status in (ProcurementStatus.AWARDED, ProcurementStatus.CONTRACTED) and p.winner is None:
        errors["winner"] = str(_l("An awarded procurement needs a winner."))
    if p.status == ProcurementStatus.CONTRACTED and not p.contract_on:
        errors["contract_on"] = str(_l("Give the date the contract was signed."))
    return errors
