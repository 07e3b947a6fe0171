"""Import into the service-delivery register (teenuse osutamised): the export's columns, and the
columns of the older delivery sheet (models/delivery_sheet.py: "Provider's registry code",
"Component code", "Date" …) as other headings of the same columns, so both files import.

A delivery has no code of its own: a row matches the delivery of the same client (personal ID code),
provider, component, day and mode (individual when not given). Each is checked by the form's rules
(``delivery_errors``: priced from the price list or an accepted offer, the month not invoiced, the
client taking part, the yearly cap). As the sheet loader did, each delivery found good is written at
once (not committed), so the next rows' yearly-cap check counts it; a preview is rolled back whole."""

from decimal import Decimal

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..access import client_condition
from ..catalogue import PriceMode
from ..clients import Client
from ..deliveries import ServiceDelivery
from ..delivery_rules import delivery_errors
from ..delivery_sheet import COLUMNS as SHEET_COLUMNS
from . import values
from .composite import CompositeKey
from .engine import Field
from .network import ClientByCode
from .offers import component_related
from .reading import heading_key
from .registers import ADAPTERS, _choice, _provider

#: The older sheet's headings, to the fields they fill.
SHEET_FIELDS = ("client", "provider", "component", "delivered_on", "period_end", "quantity", "mode", "notes")


def quantity(raw) -> Decimal | None:
    """A number as people write it ("1,5", "2"); how many decimals is the rules' to say."""
    if values.empty(raw):
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return Decimal(str(raw))
    try:
        return values.money(raw)
    except values.CellError:
        return _decimals(str(raw))


def _decimals(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except ArithmeticError:
        raise values.CellError(_l("Give a number such as 1234,50.")) from None
    if not value.is_finite():
        raise values.CellError(_l("Give a number such as 1234,50."))
    return value


def delivery_rules(d: ServiceDelivery) -> dict[str, str]:
    """The form's rules; a delivery found good is written at once for the next rows' yearly cap."""
    from ..base import db

    errors = delivery_errors(d)
    if not errors and d.id is None:
        db.session.add(d)
        db.session.flush()
    return errors


class DeliveryImport(CompositeKey):
    name = "deliveries"
    title = _l("Service deliveries")
    model = ServiceDelivery
    key = "client"
    parts = (
        ("client", "client_id"),
        ("provider", "provider_id"),
        ("component", "component_id"),
        ("delivered_on", "delivered_on"),
        ("mode", "mode"),
    )
    rules = delivery_rules

    def columns(self):
        s = self.session
        where = () if self.scope_user_id is None else (client_condition(self.scope_user_id),)
        clients = ClientByCode(s, Client, Client.personal_code, where=where, message=_l("No such client"))
        return [
            Field("delivered_on", _l("Date"), parse=values.day, is_text=False, required=True),
            Field("period_end", _l("Period end"), parse=values.day, is_text=False),
            Field("client_name", _l("Client"), writable=False),
            Field("client", _l("Personal ID code"), parse=clients, is_text=False, required=True),
            Field("provider", _l("Provider"), parse=_provider(s), is_text=False, required=True),
            Field("component", _l("Service component"), parse=component_related(s), is_text=False, required=True),
            _choice(PriceMode, "mode", _l("Mode")),
            Field("quantity", _l("Quantity"), parse=quantity, is_text=False, required=True),
            Field("unit_price", _l("Unit price"), writable=False),
            Field("amount", _l("Amount"), writable=False),
            Field("invoice", _l("Invoice"), writable=False),
            Field("notes", _l("Notes")),
        ]

    def heading_map(self):
        found = super().heading_map()
        for language in values.LANGUAGES:
            with force_locale(language):
                for heading, name in zip(SHEET_COLUMNS, SHEET_FIELDS, strict=True):
                    found.setdefault(heading_key(str(heading)), self.by_name[name])
        return found

    def key_of(self, read):
        if read.get("mode") is None:
            read = {**read, "mode": PriceMode.INDIVIDUAL}
        return super().key_of(read)


ADAPTERS[DeliveryImport.name] = DeliveryImport
