"""The registers that take imports: clients, providers, service components (with their prices) and
procurements. Each column's heading is the one the register's export writes (admin_app/views/…),
so an exported file imports back as "unchanged"; the columns after those are the rest of the form."""

from datetime import timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .. import codes
from ..access import stood_in_for
from ..catalogue import Area, ComponentPrice, PriceMode, ServiceComponent, Unit, component_errors
from ..clients import Client, ClientStatus, Disability, ExitReason, TargetGroup, client_errors
from ..procurements import ProcedureType, Procurement, ProcurementStatus, procurement_errors
from ..providers import Municipality, Provider, provider_errors
from ..users import Role, User
from . import values
from .engine import Adapter, Field
from .related import Related

#: Shown by the lists of archivable registers (admin_app/registers/archive.py); archiving is an action.
ARCHIVED = Field("archived_on", _l("Archived"), writable=False)


def _choice(choice_cls, name, label, **kw) -> Field:
    return Field(name, label, parse=values.Choices(choice_cls), is_text=False, **kw)


def _date(name, label) -> Field:
    return Field(name, label, parse=values.day, is_text=False)


def _money(name, label) -> Field:
    return Field(name, label, parse=values.money, is_text=False)


def _yes_no(name, label) -> Field:
    return Field(name, label, parse=values.yes_no, is_text=False)


def _email(raw):
    text = values.text(raw)
    if text and ("@" not in text or text != text.strip() or " " in text):
        raise values.CellError(_l("Invalid email address."))
    return text


def _municipality(session):
    return Related(session, Municipality, Municipality.name, message=_l("No such municipality"))


def _provider(session, *where):
    return Related(
        session, Provider, Provider.registry_code, Provider.name, where=where, message=_l("No such provider")
    )


class ClientImport(Adapter):
    name = "clients"
    title = _l("Clients")
    model = Client
    key = "personal_code"
    rules = client_errors
    collections = (Client.network,)

    def columns(self):
        s = self.session
        case_managers = Related(
            s,
            User,
            User.email,
            User.full_name,
            where=(User.roles.any(Role.name == "case_manager"),),
            message=_l("No such case manager"),
        )
        return [
            Field("personal_code", _l("Personal ID code"), parse=values.code, required=True),
            Field("last_name", _l("Last name"), required=True),
            Field("first_name", _l("First name"), required=True),
            Field("birth_date", _l("Born"), writable=False),
            Field("municipality", _l("Municipality of residence"), parse=_municipality(s), is_text=False),
            _choice(TargetGroup, "target_group", _l("Target group"), required=True),
            Field("case_manager", _l("Case manager"), parse=case_managers, is_text=False),
            _choice(ClientStatus, "status", _l("Status")),
            Field("eligibility", _l("Pilot eligibility"), writable=False),
            Field("phone", _l("Phone")),
            ARCHIVED,
            Field("email", _l("E-mail"), parse=_email),
            Field("address", _l("Address")),
            _date("applied_on", _l("Application received")),
            _date("entry_date", _l("Entry date")),
            _date("exit_date", _l("Exit date")),
            _choice(ExitReason, "exit_reason", _l("Reason for leaving")),
            _yes_no("consent_given", _l("Consent to data processing")),
            _date("consent_date", _l("Consent date")),
            Field(
                "base_provider",
                _l("Base-support provider"),
                parse=_provider(s, Provider.is_base_support),
                is_text=False,
            ),
            _choice(Disability, "disability", _l("Degree of disability")),
            Field("main_diagnosis", _l("Main diagnosis (ICD-10)"), parse=values.code),
            _yes_no("on_state_services", _l("Receives state special-welfare or rehabilitation services")),
            _yes_no("in_other_project", _l("Receives similar services from another funded project")),
            Field("notes", _l("Notes")),
        ]

    def normal_key(self, value):
        return codes.personal_code(value)

    def out_of_scope(self, record, existed):
        """A case manager imports only their clients: their own, those of a colleague they stand in
        for today, and those nobody is assigned to (models/access.py), and assigns none elsewhere."""
        if self.scope_user_id is None:
            return {}
        if not hasattr(self, "_allowed"):
            self._allowed = {None, self.scope_user_id, *self.session.scalars(stood_in_for(self.scope_user_id))}
        if existed and record.case_manager_id not in self._allowed:
            return {"personal_code": str(_l("This client is not among your clients: you may not change them."))}
        manager = record.case_manager
        if (manager.id if manager is not None else None) not in self._allowed:
            return {
                "case_manager": str(_l("You may assign a client only to yourself or to a colleague you stand in for."))
            }
        return {}


KIND_FLAGS = (
    ("is_base_support", _l("Base support"), "base"),
    ("is_component", _l("Service components"), "component"),
    ("is_supplementary", _l("Supplementary support"), "supplementary"),
)


class Kinds(values.SeveralChoices):
    """A provider's kinds as the list shows them: "Base support, Service components"."""

    def __init__(self):
        self.by_text = {}
        for language in values.LANGUAGES:
            with force_locale(language):
                for flag, label, code in KIND_FLAGS:
                    self.by_text[str(label).casefold()] = flag
                    self.by_text[code] = flag

    def choices(self) -> str:
        return ", ".join(str(k[1]) for k in KIND_FLAGS)


class ProviderImport(Adapter):
    name = "providers"
    title = _l("Providers")
    model = Provider
    key = "registry_code"
    rules = provider_errors
    collections = (Provider.staff,)

    def columns(self):
        return [
            Field("registry_code", _l("Registry code"), parse=values.code, required=True),
            Field("name", _l("Name"), required=True),
            Field("municipality", _l("Municipality"), parse=_municipality(self.session), is_text=False),
            Field("kinds", _l("Kinds"), parse=Kinds(), is_text=False),
            Field("staff", _l("Staff"), writable=False),
            Field("contact_person", _l("Contact person")),
            Field("phone", _l("Phone")),
            _yes_no("active", _l("Active")),
            ARCHIVED,
            Field("email", _l("E-mail"), parse=_email),
            Field("iban", _l("IBAN"), parse=values.code),
            Field("notes", _l("Notes")),
        ]

    def normal_key(self, value):
        return codes.registry_code(value)

    def get(self, record, name):
        if name == "kinds":
            return frozenset(flag for flag, _, _ in KIND_FLAGS if getattr(record, flag))
        return getattr(record, name)

    def put(self, record, name, value):
        if name == "kinds":
            for flag, _, _ in KIND_FLAGS:
                setattr(record, flag, flag in value)
        else:
            setattr(record, name, value)

    def current(self, record, read):
        found = super().current(record, read)
        if "kinds" in found:  # shown as the list shows them
            found["kinds"] = ", ".join(str(label) for flag, label, _ in KIND_FLAGS if flag in found["kinds"])
        return found


PRICE_FIELDS = ("mode", "unit_price", "valid_from", "valid_until")


class ComponentImport(Adapter):
    """Service components; a row may also carry one price-list row (mode, unit price, valid from,
    valid until): the row of that mode and start date is updated, or a new one added."""

    name = "components"
    title = _l("Service components")
    model = ServiceComponent
    key = "code"
    rules = component_errors

    def columns(self):
        return [
            Field("code", _l("Code"), parse=values.code, required=True),
            Field("name", _l("Name"), required=True),
            _choice(Area, "area", _l("Area"), required=True),
            _choice(Unit, "unit", _l("Unit"), required=True),
            Field("current_price", _l("Price today"), writable=False),
            _money("yearly_cap", _l("Yearly cap per participant")),
            _yes_no("active", _l("Active")),
            Field("provider_requirements", _l("Requirements for the provider")),
            Field("staff_qualification", _l("Qualification of the person delivering")),
            _choice(PriceMode, "mode", _l("Mode")),
            _money("unit_price", _l("Unit price (€)")),
            _date("valid_from", _l("Valid from")),
            _date("valid_until", _l("Valid until")),
        ]

    def normal_key(self, value):
        return value.strip()

    def put(self, record, name, value):
        if name not in PRICE_FIELDS:
            setattr(record, name, value)

    @staticmethod
    def _price_row(record, read):
        mode = read.get("mode") or PriceMode.INDIVIDUAL
        return next((p for p in record.prices if p.mode == mode and p.valid_from == read.get("valid_from")), None)

    def current(self, record, read):
        found = {name: getattr(record, name) for name in read if name not in PRICE_FIELDS}
        if read.get("unit_price") is not None:
            row = self._price_row(record, read)
            for name in PRICE_FIELDS:
                if name in read:
                    found[name] = getattr(row, name) if row is not None else None
        return found

    def finish(self, record, read):
        if read.get("unit_price") is None:
            return {}
        if read.get("valid_from") is None:
            return {"valid_from": str(_l("Give the day the price is valid from."))}
        row = self._price_row(record, read)
        if row is None:
            mode = read.get("mode") or PriceMode.INDIVIDUAL
            # A price-list annex gives a new price from a day: an open price before it ends the day before.
            for earlier in record.prices:
                if earlier.mode == mode and earlier.valid_until is None and earlier.valid_from < read["valid_from"]:
                    earlier.valid_until = read["valid_from"] - timedelta(days=1)
            row = ComponentPrice(mode=mode, valid_from=read["valid_from"])
            record.prices.append(row)
        row.unit_price = read["unit_price"]
        if "valid_until" in read:
            row.valid_until = read["valid_until"]
        return {}


class ProcurementImport(Adapter):
    name = "procurements"
    title = _l("Procurements")
    model = Procurement
    key = "reference_number"
    rules = procurement_errors
    collections = (Procurement.bids, Procurement.components)

    def columns(self):
        return [
            Field("reference_number", _l("Register reference no."), parse=values.code, required=True),
            Field("title", _l("Subject"), required=True),
            _choice(ProcedureType, "procedure_type", _l("Procedure"), required=True),
            _money("estimated_value", _l("Estimated value")),
            _date("tender_deadline", _l("Tender deadline")),
            _choice(ProcurementStatus, "status", _l("Status")),
            Field("winner", _l("Winner"), parse=_provider(self.session), is_text=False),
            _date("contract_end", _l("Contract until")),
            _date("published_on", _l("Published")),
            _date("decision_on", _l("Decision date")),
            _date("contract_on", _l("Contract signed")),
            _date("contract_start", _l("Contract from")),
            Field("notes", _l("Notes")),
        ]

    def normal_key(self, value):
        return value.strip()


ADAPTERS = {a.name: a for a in (ClientImport, ProviderImport, ComponentImport, ProcurementImport)}

__all__ = ["ADAPTERS", "ClientImport", "ComponentImport", "ProcurementImport", "ProviderImport"]
