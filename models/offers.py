"""Lisatoetuste pakkumised: offers asked from supplementary-support providers."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .catalogue import ServiceComponent, Unit
from .providers import Provider


class OfferStatus(Choice):
    ASKED = "asked", _l("Asked")
    RECEIVED = "received", _l("Received")
    ACCEPTED = "accepted", _l("Accepted")
    DECLINED = "declined", _l("Declined")
    EXPIRED = "expired", _l("Expired")


# An offer still waiting for a decision expires on its own once its validity is over.
_OPEN = (OfferStatus.ASKED.value, OfferStatus.RECEIVED.value)


class Offer(Versioned, db.Model):
    """Pakkumine: a supplementary-support provider's offer for one support."""

    __tablename__ = "offer"
    __table_args__ = (
        choice_check("status", OfferStatus),
        choice_check("unit", Unit),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    provider: Mapped[Provider] = relationship()
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("service_component.id"), index=True)
    component: Mapped[ServiceComponent] = relationship()
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2), index=True)
    unit: Mapped[Unit] = mapped_column(ChoiceType(Unit), default=Unit.HOUR)
    asked_on: Mapped[date] = mapped_column(index=True)
    received_on: Mapped[date | None] = mapped_column(index=True)
    valid_until: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[OfferStatus] = mapped_column(ChoiceType(OfferStatus), default=OfferStatus.ASKED, index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return f"{self.provider} – {self.component}"

    @hybrid_property
    def current_status(self) -> OfferStatus:
        """The status as of today: an open offer past its validity counts as expired."""
        if self.status in _OPEN and self.valid_until is not None and self.valid_until < date.today():
            return OfferStatus.EXPIRED
        return OfferStatus(self.status)

    @current_status.inplace.expression
    @classmethod
    def _current_status_expression(cls):
        return sa.case(
            (
                sa.and_(cls.status.in_(_OPEN), cls.valid_until < sa.func.current_date()),
                OfferStatus.EXPIRED.value,
            ),
            else_=cls.status,
        )


def offer_errors(o: Offer) -> dict[str, str]:
    """What is wrong with an offer, by field."""
    errors: dict[str, str] = {}
    if o.provider is not None and not o.provider.is_supplementary:
        errors["provider"] = str(
            _l("%(name)s is not registered as a supplementary-support provider.", name=o.provider.name)
        )
    if o.price is not None and o.price < 0:
        errors["price"] = str(_l("The price cannot be negative."))
    if o.received_on and o.asked_on and o.received_on < o.asked_on:
        errors["received_on"] = str(_l("An offer cannot arrive before it was asked for."))
    if o.valid_until and o.received_on and o.valid_until < o.received_on:
        errors["valid_until"] = str(_l("The offer cannot expire before it arrived."))
    if o.status in (OfferStatus.RECEIVED, OfferStatus.ACCEPTED, OfferStatus.DECLINED):
        if not o.received_on:
            errors.setdefault("received_on", str(_l("Give the date the offer arrived.")))
        if o.price is None:
            errors.setdefault("price", str(_l("Give the price offered.")))
    if o.valid_until and o.asked_on and o.valid_until < o.asked_on:
        errors.setdefault("valid_until", str(_l("The offer cannot expire before it was asked for.")))
    return errors
