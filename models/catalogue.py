"""Teenuskomponendid: the catalogue of service components and their price list."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .providers import _taken


class Area(Choice):
    MENTAL_HEALTH = "mental_health", _l("Mental health")
    DAILY_LIVING = "daily_living", _l("Daily living")
    HOUSING = "housing", _l("Housing")
    WORK_STUDY = "work_study", _l("Work and study")
    PHYSICAL_HEALTH = "physical_health", _l("Physical health")
    OTHER = "other", _l("Other")


class Unit(Choice):
    HOUR = "hour", _l("hour")
    DAY = "day", _l("day")
    MONTH = "month", _l("month")
    TIME = "time", _l("time")
    TRIP = "trip", _l("trip")


class PriceMode(Choice):
    """Whom the work is done with: providers price these differently."""

    INDIVIDUAL = "individual", _l("With the participant")
    FAMILY = "family", _l("With a family member")
    GROUP = "group", _l("In a group")


class ServiceComponent(Versioned, db.Model):
    """Teenuskomponent: a service the pilot pays for, by unit."""

    __tablename__ = "service_component"
    __table_args__ = (
        choice_check("area", Area),
        choice_check("unit", Unit),
        sa.CheckConstraint("yearly_cap IS NULL OR yearly_cap >= 0", name="cap_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    area: Mapped[Area] = mapped_column(ChoiceType(Area), index=True)
    unit: Mapped[Unit] = mapped_column(ChoiceType(Unit), index=True)
    yearly_cap: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    provider_requirements: Mapped[str | None] = mapped_column(sa.Text)
    staff_qualification: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    prices: Mapped[list["ComponentPrice"]] = relationship(
        back_populates="component",
        cascade="all, delete-orphan",
        order_by="(ComponentPrice.mode, ComponentPrice.valid_from)",
        lazy="selectin",
    )

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def price_on(self, day: date, mode: str = PriceMode.INDIVIDUAL) -> "ComponentPrice | None":
        """The price list row valid on ``day`` for ``mode``, if there is one."""
        for row in self.prices:
            if row.mode == mode and row.covers(day):
                return row
        return None


class ComponentPrice(db.Model):
    """A row of the price list: a unit price for a mode, valid from a day, maybe until a day."""

    __tablename__ = "component_price"
    __table_args__ = (
        choice_check("mode", PriceMode),
        sa.CheckConstraint("unit_price >= 0", name="price_not_negative"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("service_component.id", ondelete="CASCADE"), index=True)
    component: Mapped[ServiceComponent] = relationship(back_populates="prices")
    mode: Mapped[PriceMode] = mapped_column(ChoiceType(PriceMode), default=PriceMode.INDIVIDUAL)
    unit_price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]

    def __str__(self) -> str:
        until = self.valid_until.strftime("%d.%m.%Y") if self.valid_until else "…"
        return f"{self.unit_price} € ({self.valid_from:%d.%m.%Y}–{until})"

    def covers(self, day: date) -> bool:
        """True when the row is valid on ``day``."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def component_errors(c: ServiceComponent) -> dict[str, str]:
    """What is wrong with a component and its price list, by field."""
    errors: dict[str, str] = {}
    if c.code:
        c.code = c.code.strip()
        if _taken(ServiceComponent, ServiceComponent.code, c.code, c.id):
            errors["code"] = str(_l("A service component with this code already exists."))
    if c.yearly_cap is not None and c.yearly_cap < 0:
        errors["yearly_cap"] = str(_l("The yearly cap cannot be negative."))
    price_problems = []
    rows = [p for p in c.prices if p.valid_from is not None]
    for p in c.prices:
        if p.unit_price is None or p.valid_from is None:
            price_problems.append(str(_l("Every price row needs a unit price and a start date.")))
        elif p.unit_price < 0:
            price_problems.append(str(_l("A unit price cannot be negative.")))
        elif p.valid_until is not None and p.valid_until < p.valid_from:
            price_problems.append(str(_l("A price row ends before it starts.")))
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a.mode == b.mode and _overlap(a, b):
                price_problems.append(str(_l("Price periods overlap: %(a)s and %(b)s.", a=_period(a), b=_period(b))))
    if price_problems:
        errors["prices"] = " ".join(dict.fromkeys(price_problems))
    return errors


def _overlap(a: ComponentPrice, b: ComponentPrice) -> bool:
    end_a = a.valid_until or date.max
    end_b = b.valid_until or date.max
    return a.valid_from <= end_b and b.valid_from <= end_a


def _period(p: ComponentPrice) -> str:
    until = p.valid_until.strftime("%d.%m.%Y") if p.valid_until else "…"
    return f"{p.valid_from:%d.%m.%Y}–{until}"
