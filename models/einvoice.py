"""The rules of the e-invoice (EN 16931): which settings it needs, which lines it carries, and the
exact file kept when an invoice is sent. The XML itself is written by ``exports/einvoice.py``.

The e-invoice carries no client: its lines are per service component, mode and unit price, summed
over the clients. Each line's net amount must be exactly its quantity × price to the cent; where the
rounding of each delivery to cents makes a sum inexact, the group is split into lines that are."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from . import codes
from .base import RuleViolation, db, money
from .catalogue import PriceMode, ServiceComponent, Unit
from .deliveries import ServiceDelivery
from .files import StoredFile
from .invoice_locks import line_of
from .invoices import Invoice, InvoiceKind, InvoiceLine, month_end

D, L = ServiceDelivery, InvoiceLine
#: UN/ECE Recommendation 20 unit codes for the components' units.
UNIT_CODES = {Unit.HOUR: "HUR", Unit.DAY: "DAY", Unit.MONTH: "MON", Unit.TIME: "C62", Unit.TRIP: "C62"}
#: VAT categories the municipality may choose (EN 16931 UNCL5305), with the exemption reason's default code.
VAT_CATEGORIES = {"O": "VATEX-EU-O", "E": "VATEX-EU-132-1G"}
XML_TYPE = "application/xml"

# The settings the e-invoice needs, with what each one is on the invoice.
REQUIRED = {
    "MUNICIPALITY_NAME": _l("the seller's name (BT-27)"),
    "MUNICIPALITY_REGISTRY_CODE": _l("the seller's registry code (BT-30, BT-34)"),
    "MUNICIPALITY_IBAN": _l("the account to pay into (BT-84)"),
    "MUNICIPALITY_STREET": _l("the seller's street address (BT-35)"),
    "MUNICIPALITY_CITY": _l("the seller's city (BT-37)"),
    "MUNICIPALITY_POSTCODE": _l("the seller's postcode (BT-38)"),
    "MUNICIPALITY_CONTACT_NAME": _l("the seller's contact person (BT-41)"),
    "MUNICIPALITY_CONTACT_EMAIL": _l("the seller's contact e-mail (BT-43)"),
    "SKA_NAME": _l("the buyer's name (BT-44)"),
    "SKA_REGISTRY_CODE": _l("the buyer's registry code (BT-47, BT-49)"),
    "SKA_STREET": _l("the buyer's street address (BT-50)"),
    "SKA_CITY": _l("the buyer's city (BT-52)"),
    "SKA_POSTCODE": _l("the buyer's postcode (BT-53)"),
    "EINVOICE_BUYER_REFERENCE": _l("the buyer reference (BT-10)"),
    "EINVOICE_CONTRACT_REFERENCE": _l("the contract reference (BT-12)"),
}


def _text(config, name: str) -> str:
    return str(config.get(name) or "").strip()


def settings_errors(config) -> dict[str, str]:
    """What is missing or wrong in the e-invoice's settings, by the setting's name."""
    errors: dict[str, str] = {}
    for name, what in REQUIRED.items():
        if not _text(config, name):
            errors[name] = str(_l("The setting %(name)s is empty; the e-invoice needs %(what)s.", name=name, what=what))
    checks = [("MUNICIPALITY_REGISTRY_CODE", codes.registry_code), ("SKA_REGISTRY_CODE", codes.registry_code)]
    checks.append(("MUNICIPALITY_IBAN", codes.iban))
    category = _text(config, "EINVOICE_VAT_CATEGORY") or "O"
    if category not in VAT_CATEGORIES:
        errors["EINVOICE_VAT_CATEGORY"] = str(
            _l("The setting EINVOICE_VAT_CATEGORY is %(value)s; it must be O or E.", value=category)
        )
    elif category == "E":
        if not _text(config, "MUNICIPALITY_VAT_NUMBER"):
            errors["MUNICIPALITY_VAT_NUMBER"] = str(
                _l("The setting MUNICIPALITY_VAT_NUMBER is empty; VAT category E needs the seller's VAT number.")
            )
        checks.append(("MUNICIPALITY_VAT_NUMBER", vat_number))
    for name, check in checks:
        if name not in errors and _text(config, name):
            try:
                check(_text(config, name))
            except codes.CodeError as e:
                errors[name] = str(_l("The setting %(name)s is not valid: %(reason)s", name=name, reason=str(e)))
    email = _text(config, "MUNICIPALITY_CONTACT_EMAIL")
    if email and ("@" not in email or " " in email):
        errors["MUNICIPALITY_CONTACT_EMAIL"] = str(
            _l("The setting %(name)s is not an e-mail address.", name="MUNICIPALITY_CONTACT_EMAIL")
        )
    return errors


def vat_number(value: str) -> str:
    """An Estonian VAT number (KMKR): EE and 9 digits with a valid check digit."""
    from stdnum.ee import kmkr
    from stdnum.exceptions import ValidationError

    value = value.strip().upper()
    try:
        return "EE" + kmkr.validate(value) if value.startswith("EE") else _not_vat()
    except ValidationError:
        return _not_vat()


def _not_vat():
    raise codes.CodeError(_l("Not a valid Estonian VAT number: EE and 9 digits with a valid check digit."))


def vat(config) -> tuple[str, str]:
    """The VAT category and its exemption reason code."""
    category = _text(config, "EINVOICE_VAT_CATEGORY") or "O"
    return category, _text(config, "EINVOICE_VAT_EXEMPTION_REASON") or VAT_CATEGORIES.get(category, "")


def check_settings(config) -> None:
    """Raise ``RuleViolation`` naming each setting the e-invoice cannot be made without."""
    errors = settings_errors(config)
    if errors:
        raise RuleViolation(errors)


def check_invoice(invoice: Invoice) -> None:
    """A draft has no e-invoice: it has no number yet."""
    if invoice.is_draft or not invoice.number:
        raise RuleViolation({"invoice": str(_l("A draft has no e-invoice: it has no number until it is confirmed."))})


@dataclass(frozen=True)
class Line:
    """One e-invoice line: a component at a mode and a price, its quantity and net amount (positive)."""

    code: str
    name: str
    unit: Unit
    mode: PriceMode
    unit_price: Decimal
    quantity: Decimal
    amount: Decimal

    @property
    def unit_code(self) -> str:
        return UNIT_CODES[Unit(self.unit)]


def lines(invoice: Invoice) -> list[Line]:
    """The e-invoice's lines (amounts positive for a credit note too): one per component, mode and
    price, split only where the deliveries' rounding makes quantity × price inexact."""
    c = ServiceComponent
    key = (L.component_id, c.code, c.name, c.unit, L.mode, L.unit_price)
    groups = db.session.execute(
        sa.select(*key, sa.func.sum(L.quantity), sa.func.sum(L.amount))
        .join(c, c.id == L.component_id)
        .where(L.invoice_id == invoice.id)
        .group_by(*key)
        .order_by(c.code, L.mode, L.unit_price)
    ).all()
    inexact = [g for g in groups if money(abs(g[6]) * g[5]) != abs(g[7])]
    parts = _deliveries(invoice, {g[0] for g in inexact}) if inexact else {}
    result = []
    for component_id, code, name, unit, mode, price, quantity, amount in groups:
        price, quantity, amount = Decimal(price), abs(Decimal(quantity)), abs(Decimal(amount))
        if money(quantity * price) == amount:
            buckets = [(quantity, amount)]
        else:
            buckets = _exact_buckets(price, parts.get((component_id, PriceMode(mode), money(price)), []))
        result += [Line(code, name, unit, mode, price, q, a) for q, a in buckets]
    return result


def _deliveries(invoice: Invoice, component_ids: set[int]) -> dict:
    """The (quantity, amount) of each delivery behind the invoice's lines of ``component_ids``, by
    component, mode and price: the deliveries of its month of each line's key. A credit note's are
    those of the lines it credits."""
    billed = sa.orm.aliased(L, name="billed")
    query = sa.select(D.component_id, D.mode, D.unit_price, D.quantity, D.amount).join(
        billed, sa.and_(*line_of(D, billed))
    )
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        query = query.join(L, L.credited_line_id == billed.id)
    else:
        query = query.join(L, L.id == billed.id)
    query = query.where(
        L.invoice_id == invoice.id,
        L.component_id.in_(component_ids),
        D.delivered_on.between(invoice.month, month_end(invoice.month)),
    ).order_by(D.id)
    found: dict = {}
    for component_id, mode, price, quantity, amount in db.session.execute(query):
        found.setdefault((component_id, PriceMode(mode), money(price)), []).append((Decimal(quantity), money(amount)))
    return found


def _exact_buckets(price: Decimal, deliveries: list[tuple[Decimal, Decimal]]) -> list[tuple[Decimal, Decimal]]:
    """Deliveries put together into as few (quantity, amount) lines as keep amount = quantity × price
    to the cent: each delivery's rounding error (amount − quantity × price) lies within half a cent,
    so adding errors of alternating sign keeps a line's sum exact; a line closes when it would not be."""
    errors = [(a - q * price, q, a) for q, a in deliveries]
    ups = [e for e in errors if e[0] > 0]
    downs = [e for e in errors if e[0] < 0]
    quantity = sum((q for e, q, a in errors if e == 0), Decimal(0))
    amount = sum((a for e, q, a in errors if e == 0), Decimal(0))
    buckets, error = [], Decimal(0)
    while ups or downs:
        side = ups if (error <= 0 and ups) or not downs else downs
        e, q, a = side.pop()
        if money((quantity + q) * price) != amount + a:
            buckets.append((quantity, amount))
            quantity, amount, error = Decimal(0), Decimal(0), Decimal(0)
        quantity, amount, error = quantity + q, amount + a, error + e
    if quantity or amount or not buckets:
        buckets.append((quantity, amount))
    return [b for b in buckets if b[0] or b[1]]


def sent_file(invoice: Invoice, content: bytes, user_id: int | None) -> StoredFile:
    """The exact e-invoice sent, kept with its SHA-256 and who sent it."""
    stem = "kreeditarve" if invoice.kind == InvoiceKind.CREDIT_NOTE else "e-arve"
    return StoredFile(
        name=f"{stem}-{invoice.number}.xml",
        content_type=XML_TYPE,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        created_by_id=user_id,
    )
