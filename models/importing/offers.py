"""Import into the offer register (lisatoetuste pakkumised). An offer has no code of its own: the
register tells offers apart by the provider, the support asked for and the day it was asked, so a
row matches the offer with those three. The columns are the export's (admin_app/views/offers.py)."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..catalogue import ServiceComponent, Unit
from ..offers import Offer, OfferStatus, offer_errors
from . import values
from .engine import Adapter, Field
from .registers import ADAPTERS, _choice, _date, _money, _provider
from .related import Related


def component_related(session) -> Related:
    """A service component by its code, its name, or both as the lists show it ("K001 Nõustamine")."""
    return Related(
        session,
        ServiceComponent,
        ServiceComponent.code,
        ServiceComponent.name,
        ServiceComponent.code + " " + ServiceComponent.name,
        message=_l("No such service component"),
    )


class OfferImport(Adapter):
    name = "offers"
    title = _l("Offers")
    model = Offer
    key = "provider"
    rules = offer_errors

    def columns(self):
        s = self.session
        return [
            Field("provider", _l("Provider"), parse=_provider(s), is_text=False, required=True),
            Field("component", _l("Support asked for"), parse=component_related(s), is_text=False, required=True),
            _money("price", _l("Price")),
            _choice(Unit, "unit", _l("Unit")),
            Field("asked_on", _l("Asked"), parse=values.day, is_text=False, required=True),
            _date("received_on", _l("Received")),
            _date("valid_until", _l("Valid until")),
            _choice(OfferStatus, "status", _l("Status")),
            Field("notes", _l("Notes")),
        ]

    def __init__(self, session, **kw):
        super().__init__(session, **kw)
        self._parts: dict[str, tuple] = {}
        self._twice: set[int] = set()

    def key_of(self, read):
        """Provider / support / day asked: a row missing the support or the day is a new offer, and
        the required cells say what is missing."""
        provider, component, asked_on = read.get("provider"), read.get("component"), read.get("asked_on")
        if provider is None:
            return None
        key = " / ".join(
            (
                provider.registry_code or provider.name,
                component.code if component is not None else "",
                f"{asked_on:%d.%m.%Y}" if asked_on is not None else "",
            )
        )
        self._parts[key] = (provider.id, component.id if component else None, asked_on)
        return key

    def load(self, keys):
        parts = [self._parts[k] for k in keys]
        self._parts.clear()  # the batch's keys only: memory stays flat
        wanted = {p: k for p, k in zip(parts, keys, strict=True) if None not in p}
        if not wanted:
            return {}
        query = sa.select(Offer).where(
            Offer.provider_id.in_({p[0] for p in wanted}),
            Offer.component_id.in_({p[1] for p in wanted}),
            Offer.asked_on.in_({p[2] for p in wanted}),
        )
        found = {}
        for offer in self.session.scalars(query.order_by(Offer.id)):
            key = wanted.get((offer.provider_id, offer.component_id, offer.asked_on))
            if key is None:
                continue
            if key in found:  # two offers alike: which one the row means cannot be told
                self._twice.add(found[key].id)
            else:
                found[key] = offer
        return found

    def finish(self, record, read):
        if record.id is not None and record.id in self._twice:
            return {
                "provider": str(
                    _l("More than one offer has this provider, support and day asked: change them in the form.")
                )
            }
        return {}


ADAPTERS[OfferImport.name] = OfferImport
