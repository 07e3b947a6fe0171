"""The koondarve or its credit note as an e-invoice: UBL 2.1 under Peppol BIS Billing 3.0, the CIUS
of EN 16931 used in Estonia. ``build`` writes it and checks it (``exports.einvoice_check``) before
anyone sees it: a file that breaks the schema or a fatal EN 16931 rule is never returned.

No client is named: the lines are per service component, mode and price (``models.einvoice.lines``);
the per-client specification is the workbook, embedded (BG-24) only when
EINVOICE_ATTACH_SPECIFICATION is on."""

import base64
import io
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from lxml import etree

from models import Invoice, InvoiceKind, RuleViolation, db
from models import einvoice as rules

from . import einvoice_check
from . import invoice as workbook

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOTS = {
    InvoiceKind.INVOICE: ("Invoice", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "380"),
    InvoiceKind.CREDIT_NOTE: ("CreditNote", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "381"),
}
#: ISO 6523 scheme of the Estonian registry code (registrikood).
REGISTRY_SCHEME = "0191"
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What in juhtum's data a failed rule points to, for the rules its data can break.
HINTS = {
    "BR-CO-10": _l("The lines do not add up to the invoice's total: the invoice's lines need checking."),
    "BR-CO-13": _l("The lines do not add up to the invoice's total: the invoice's lines need checking."),
    "BR-CO-15": _l("The invoice's total and the lines' sum differ."),
    "BR-CO-16": _l("The amount due differs from the invoice's total."),
    "BR-CO-25": _l("The invoice has no due date."),
    "BR-16": _l("The invoice has no lines."),
    "BR-CL-23": _l("A service component's unit has no UN/ECE unit code."),
    "BR-CL-22": _l("The setting EINVOICE_VAT_EXEMPTION_REASON is not an exemption reason code (VATEX)."),
}


def filename(invoice: Invoice) -> str:
    stem = "kreeditarve" if invoice.kind == InvoiceKind.CREDIT_NOTE else "e-arve"
    return f"{stem}-{invoice.number}.xml"


def build(invoice: Invoice) -> bytes:
    """The e-invoice of a confirmed invoice or credit note, checked. Raises ``RuleViolation`` naming
    the setting that is missing or the rule the file would break."""
    rules.check_invoice(invoice)
    config = current_app.config
    rules.check_settings(config)
    lines = rules.lines(invoice)
    total = abs(Decimal(invoice.total))
    if sum((line.amount for line in lines), Decimal(0)) != total:
        raise RuleViolation(
            {"invoice": str(_l("The e-invoice's lines do not add up to the invoice's total; nothing was made."))}
        )
    with force_locale("et"):
        content = _xml(invoice, config, lines, total)
    problems = einvoice_check.failures(content)
    if problems:
        raise RuleViolation({f"rule {n}": _explain(p) for n, p in enumerate(problems)})
    return content


def _explain(failure) -> str:
    hint = HINTS.get(failure.rule)
    text = _l("The e-invoice fails %(rule)s: %(text)s", rule=failure.rule, text=failure.text)
    return f"{text} {hint}" if hint else str(text)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value:.2f}"


class _Writer:
    """Appends UBL elements in the order the schema asks for."""

    def __init__(self, root):
        self.root = root

    def add(self, parent, tag: str, text=None, **attributes):
        prefix, local = tag.split(":")
        element = etree.SubElement(parent, f"{{{CBC if prefix == 'cbc' else CAC}}}{local}", attributes)
        if text is not None:
            element.text = str(text)
        return element


def _xml(invoice: Invoice, config, lines: list, total: Decimal) -> bytes:
    root_name, namespace, type_code = ROOTS[invoice.kind]
    root = etree.Element(f"{{{namespace}}}{root_name}", nsmap={None: namespace, "cac": CAC, "cbc": CBC})
    w = _Writer(root)
    credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    w.add(root, "cbc:CustomizationID", CUSTOMIZATION)
    w.add(root, "cbc:ProfileID", PROFILE)
    w.add(root, "cbc:ID", invoice.number)
    w.add(root, "cbc:IssueDate", invoice.issued_on.isoformat())
    if not credit:
        w.add(root, "cbc:DueDate", invoice.due_on.isoformat())
    w.add(root, f"cbc:{root_name}TypeCode", type_code)
    w.add(root, "cbc:Note", f"Koondarve {invoice.month:%m.%Y}" if not credit else f"Kreeditarve {invoice.month:%m.%Y}")
    w.add(root, "cbc:DocumentCurrencyCode", "EUR")
    w.add(root, "cbc:BuyerReference", config["EINVOICE_BUYER_REFERENCE"].strip())
    period = w.add(root, "cac:InvoicePeriod")
    w.add(period, "cbc:StartDate", invoice.month.isoformat())
    w.add(period, "cbc:EndDate", invoice.period_end.isoformat())
    if credit:
        credited = db.session.get(Invoice, invoice.credited_invoice_id)
        reference = w.add(w.add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        w.add(reference, "cbc:ID", credited.number)
        w.add(reference, "cbc:IssueDate", credited.issued_on.isoformat())
    contract = w.add(root, "cac:ContractDocumentReference")
    w.add(contract, "cbc:ID", config["EINVOICE_CONTRACT_REFERENCE"].strip())
    if config.get("EINVOICE_ATTACH_SPECIFICATION"):
        _attach_specification(w, root, invoice)
    category, reason = rules.vat(config)
    _party(w, w.add(root, "cac:AccountingSupplierParty"), config, "MUNICIPALITY", category == "E")
    _party(w, w.add(root, "cac:AccountingCustomerParty"), config, "SKA", False)
    means = w.add(root, "cac:PaymentMeans")
    w.add(means, "cbc:PaymentMeansCode", "30", name="Credit transfer")
    if credit:
        w.add(means, "cbc:PaymentDueDate", invoice.due_on.isoformat())
    w.add(means, "cbc:PaymentID", invoice.reference_number)
    account = w.add(means, "cac:PayeeFinancialAccount")
    w.add(account, "cbc:ID", rules.codes.iban(config["MUNICIPALITY_IBAN"]))
    w.add(account, "cbc:Name", config["MUNICIPALITY_NAME"].strip())
    tax = w.add(root, "cac:TaxTotal")
    w.add(tax, "cbc:TaxAmount", "0.00", currencyID="EUR")
    subtotal = w.add(tax, "cac:TaxSubtotal")
    w.add(subtotal, "cbc:TaxableAmount", _money(total), currencyID="EUR")
    w.add(subtotal, "cbc:TaxAmount", "0.00", currencyID="EUR")
    _category(w, w.add(subtotal, "cac:TaxCategory"), category, reason)
    sums = w.add(root, "cac:LegalMonetaryTotal")
    for name in ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount"):
        w.add(sums, f"cbc:{name}", _money(total), currencyID="EUR")
    for n, line in enumerate(lines, 1):
        _line(w, root, root_name, n, line, category)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _party(w: _Writer, role, config, prefix: str, with_vat: bool) -> None:
    party = w.add(role, "cac:Party")
    code = rules.codes.registry_code(config[f"{prefix}_REGISTRY_CODE"])
    w.add(party, "cbc:EndpointID", code, schemeID=REGISTRY_SCHEME)
    w.add(w.add(party, "cac:PartyName"), "cbc:Name", config[f"{prefix}_NAME"].strip())
    address = w.add(party, "cac:PostalAddress")
    w.add(address, "cbc:StreetName", config[f"{prefix}_STREET"].strip())
    w.add(address, "cbc:CityName", config[f"{prefix}_CITY"].strip())
    w.add(address, "cbc:PostalZone", config[f"{prefix}_POSTCODE"].strip())
    w.add(w.add(address, "cac:Country"), "cbc:IdentificationCode", "EE")
    if with_vat:
        scheme = w.add(party, "cac:PartyTaxScheme")
        w.add(scheme, "cbc:CompanyID", rules.vat_number(config["MUNICIPALITY_VAT_NUMBER"]))
        w.add(w.add(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = w.add(party, "cac:PartyLegalEntity")
    w.add(legal, "cbc:RegistrationName", config[f"{prefix}_NAME"].strip())
    w.add(legal, "cbc:CompanyID", code, schemeID=REGISTRY_SCHEME)
    if prefix == "MUNICIPALITY":
        contact = w.add(party, "cac:Contact")
        w.add(contact, "cbc:Name", config["MUNICIPALITY_CONTACT_NAME"].strip())
        if str(config.get("MUNICIPALITY_CONTACT_PHONE") or "").strip():
            w.add(contact, "cbc:Telephone", config["MUNICIPALITY_CONTACT_PHONE"].strip())
        w.add(contact, "cbc:ElectronicMail", config["MUNICIPALITY_CONTACT_EMAIL"].strip())


def _category(w: _Writer, element, category: str, reason: str, line: bool = False) -> None:
    w.add(element, "cbc:ID", category)
    if category != "O":
        w.add(element, "cbc:Percent", "0")
    if not line and reason:
        w.add(element, "cbc:TaxExemptionReasonCode", reason)
    w.add(w.add(element, "cac:TaxScheme"), "cbc:ID", "VAT")


def _line(w: _Writer, root, root_name: str, n: int, line, category: str) -> None:
    element = w.add(root, f"cac:{root_name}Line")
    w.add(element, "cbc:ID", n)
    quantity = "InvoicedQuantity" if root_name == "Invoice" else "CreditedQuantity"
    w.add(element, f"cbc:{quantity}", _quantity(line.quantity), unitCode=line.unit_code)
    w.add(element, "cbc:LineExtensionAmount", _money(line.amount), currencyID="EUR")
    item = w.add(element, "cac:Item")
    w.add(item, "cbc:Description", str(line.mode.label))
    w.add(item, "cbc:Name", line.name)
    w.add(w.add(item, "cac:SellersItemIdentification"), "cbc:ID", line.code)
    _category(w, w.add(item, "cac:ClassifiedTaxCategory"), category, "", line=True)
    w.add(w.add(element, "cac:Price"), "cbc:PriceAmount", _money(line.unit_price), currencyID="EUR")


def _attach_specification(w: _Writer, root, invoice: Invoice) -> None:
    """BG-24: the workbook, with every client's name and personal code, embedded."""
    buffer = io.BytesIO()
    workbook.write(invoice, buffer)
    reference = w.add(root, "cac:AdditionalDocumentReference")
    w.add(reference, "cbc:ID", workbook.filename(invoice))
    w.add(reference, "cbc:DocumentDescription", "Koondarve spetsifikatsioon")
    attachment = w.add(reference, "cac:Attachment")
    w.add(
        attachment,
        "cbc:EmbeddedDocumentBinaryObject",
        base64.b64encode(buffer.getvalue()).decode("ascii"),
        mimeCode=SPREADSHEET,
        filename=workbook.filename(invoice),
    )
