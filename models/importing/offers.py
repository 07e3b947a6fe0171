"""Import into the offer register (lisatoetuste pakkumised). An offer has no code of its own: the
register tells offers apart by the provider, the support asked for and the day it was asked, so a
row matches the offer with those three. The columns are the export's (admin_app/views/offers.py)."""

from flask_babel import lazy_gettext as _l

from ..catalogue import ServiceComponent, Unit
from ..offers import Offer, OfferStatus, offer_errors
from . import values
from .composite import CompositeKey
from .engine import Field
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


class OfferImport(CompositeKey):
    name = "offers"
    title = _l("Offers")
    model = Offer
    key = "provider"
    parts = (("provider", "provider_id"), ("component", "component_id"), ("asked_on", "asked_on"))
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


ADAPTERS[OfferImport.name] = OfferImport
