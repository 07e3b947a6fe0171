"""Teenuseosutajad: service providers, their staff, and the municipalities they work in."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import codes
from .archive import Archivable
from .base import Versioned, db, trigram_index

#: The columns the provider list searches in (admin_app/views/providers.py).
SEARCHED = ("name", "registry_code", "contact_person", "email")


class Municipality(Versioned, db.Model):
    """Omavalitsus: a municipality (reference data)."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    county: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    registry_code: Mapped[str | None] = mapped_column(sa.String(8), unique=True)

    def __str__(self) -> str:
        return self.name


class Provider(Archivable, Versioned, db.Model):
    """Teenuseosutaja: a service provider the municipality buys from."""

    __tablename__ = "provider"
    __table_args__ = (
        sa.CheckConstraint("is_base_support OR is_component OR is_supplementary", name="has_kind"),
        *(trigram_index("provider", c) for c in SEARCHED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipality.id"), index=True)
    municipality: Mapped[Municipality | None] = relationship()
    contact_person: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    iban: Mapped[str | None] = mapped_column(sa.String(34))
    is_base_support: Mapped[bool] = mapped_column(default=False)
    is_component: Mapped[bool] = mapped_column(default=False)
    is_supplementary: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    staff: Mapped[list["ProviderStaff"]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="ProviderStaff.name"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def kinds(self) -> list[str]:
        """The kinds of service the provider is registered for, as labels."""
        labels = [
            (self.is_base_support, _l("Base support")),
            (self.is_component, _l("Service components")),
            (self.is_supplementary, _l("Supplementary support")),
        ]
        return [str(label) for on, label in labels if on]


class ProviderStaff(db.Model):
    """A person who delivers services for a provider, with the certificate that allows it."""

    __tablename__ = "provider_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    provider: Mapped[Provider] = relationship(back_populates="staff")
    name: Mapped[str] = mapped_column(sa.String(200))
    qualification: Mapped[str | None] = mapped_column(sa.String(200))
    certificate_number: Mapped[str | None] = mapped_column(sa.String(60))
    certificate_valid_until: Mapped[date | None] = mapped_column(index=True)

    def __str__(self) -> str:
        return self.name

    def certificate_state(self, today: date | None = None) -> str:
        """'expired', 'expiring' (within the warning period), 'valid' or 'none'."""
        if self.certificate_valid_until is None:
            return "none"
        today = today or date.today()
        if self.certificate_valid_until < today:
            return "expired"
        warn = timedelta(days=current_app.config["CERTIFICATE_WARNING_DAYS"])
        return "expiring" if self.certificate_valid_until <= today + warn else "valid"


def municipality_errors(m: Municipality) -> dict[str, str]:
    """What is wrong with a municipality record, by field."""
    errors: dict[str, str] = {}
    if m.registry_code:
        try:
            m.registry_code = codes.registry_code(m.registry_code)
        except codes.CodeError as e:
            errors["registry_code"] = str(e)
    if m.name and _taken(Municipality, Municipality.name, m.name.strip(), m.id):
        errors["name"] = str(_l("A municipality with this name is already registered."))
    return errors


def provider_errors(p: Provider) -> dict[str, str]:
    """What is wrong with a provider record, by field; normalises codes in place."""
    errors: dict[str, str] = {}
    try:
        p.registry_code = codes.registry_code(p.registry_code)
        if _taken(Provider, Provider.registry_code, p.registry_code, p.id):
            errors["registry_code"] = str(_l("A provider with this registry code is already registered."))
    except codes.CodeError as e:
        errors["registry_code"] = str(e)
    if p.iban:
        try:
            p.iban = codes.iban(p.iban)
        except codes.CodeError as e:
            errors["iban"] = str(e)
    if not (p.is_base_support or p.is_component or p.is_supplementary):
        errors["is_base_support"] = str(
            _l("Choose at least one kind: base support, service components or supplementary support.")
        )
    for person in p.staff:
        if not (person.name or "").strip():
            errors["staff"] = str(_l("Every staff member needs a name."))
    return errors


#: Who holds each natural key of the rows being checked, when that was just read: an import loads a
#: batch's records by their keys in one query (models/importing/engine.py), so it knows, for every key
#: of the batch, the id of the record that has it (None: no record has it). ``_taken`` answers from it
#: instead of one query per row: saves 100,000 round trips on an import of 100,000 rows.
_KNOWN_OWNERS: ContextVar[tuple | None] = ContextVar("known_owners", default=None)


@contextmanager
def known_owners(column, owners: dict):
    """Inside the block ``_taken(…, column, value, …)`` for a ``value`` among ``owners`` ({value: id
    or None}, read in this transaction) answers from ``owners``; any other value is looked up."""
    token = _KNOWN_OWNERS.set((column, owners))
    try:
        yield
    finally:
        _KNOWN_OWNERS.reset(token)


def _taken(model, column, value, own_id) -> bool:
    """True when another row of ``model`` already has ``value`` in ``column``."""
    known = _KNOWN_OWNERS.get()
    if known is not None and known[0] is column and value in known[1]:
        owner = known[1][value]
        return owner is not None and owner != own_id
    query = sa.select(model.id).where(column == value)
    if own_id is not None:
        query = query.where(model.id != own_id)
    with db.session.no_autoflush:
        return db.session.execute(query.limit(1)).first() is not None
