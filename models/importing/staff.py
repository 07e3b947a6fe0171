"""Import of providers' staff (the provider form's *Staff who deliver services*): one row per person,
matched by the provider (registry code or exact name) and the person's name. Checked by the provider's
rules (``provider_errors``), as the form checks its staff. Staff have no version column: a fingerprint
of their values stands for it between the preview and the save."""

from flask_babel import lazy_gettext as _l

from ..providers import ProviderStaff, provider_errors
from .composite import CompositeKey
from .engine import Field
from .registers import ADAPTERS, _date, _provider


def staff_rules(person: ProviderStaff) -> dict[str, str]:
    """The provider's rules about its staff, on this row's person."""
    errors = provider_errors(person.provider) if person.provider is not None else {}
    return {"name": errors["staff"]} if "staff" in errors else {}


class StaffImport(CompositeKey):
    name = "provider_staff"
    title = _l("Staff who deliver services")
    model = ProviderStaff
    key = "provider"
    parts = (("provider", "provider_id"), ("name", "name"))
    fingerprint = ("provider_id", "name", "qualification", "certificate_number", "certificate_valid_until")
    rules = staff_rules

    def columns(self):
        return [
            Field("provider", _l("Provider"), parse=_provider(self.session), is_text=False, required=True),
            Field("name", _l("Name"), required=True),
            Field("qualification", _l("Qualification")),
            Field("certificate_number", _l("Certificate number")),
            _date("certificate_valid_until", _l("Certificate valid until")),
        ]


ADAPTERS[StaffImport.name] = StaffImport
