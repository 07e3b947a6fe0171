"""The e-invoice (UBL 2.1, Peppol BIS Billing 3.0, EN 16931) checked as an operator checks it: the
UBL schema and CEN's own EN 16931 rules (the official compiled Schematron, run by saxonche). The
validator itself is tested on CEN's examples; then the demo's invoices, invoices hypothesis makes
and their credit notes pass it, carry the database's totals and name no client."""

import base64
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from admin_app.auth import new_user
from exports import einvoice, einvoice_check
from exports.invoice import written
from models import (
    Client,
    ComponentPrice,
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    RuleViolation,
    ServiceDelivery,
    confirm_invoice,
    create_credit_note,
    db,
    generate_invoice,
    money,
)
from models.invoices import last_month
from models.seed import demo
from tests.conftest import create_component
from tests.deliveries import MONTH, active_client, contracted_provider, create_delivery

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "einvoice" / "examples"
NS = {"cac": einvoice.CAC, "cbc": einvoice.CBC}


def _xpath(content: bytes, path: str) -> list:
    return etree.fromstring(content).xpath(path, namespaces=NS)


def _one(content: bytes, path: str) -> str:
    (found,) = _xpath(content, path)
    return found if isinstance(found, str) else found.text


# --- the validator ------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.xml")))
def test_cen_s_examples_pass(example):
    assert einvoice_check.failures((EXAMPLES / example).read_bytes()) == []


def test_a_changed_payable_amount_fails_br_co_16():
    content = (EXAMPLES / "ubl-tc434-example1.xml").read_bytes()
    changed = re.sub(rb'(<cbc:PayableAmount currencyID="EUR">)[^<]*', rb"\g<1>1.00", content)
    assert changed != content
    assert "BR-CO-16" in {f.rule for f in einvoice_check.failures(changed)}


def test_a_file_the_schema_refuses_is_said_so():
    content = (EXAMPLES / "ubl-tc434-example1.xml").read_bytes().replace(b"IssueDate>", b"IssuedOn>", 2)
    assert {f.rule for f in einvoice_check.failures(content)} == {"UBL-schema"}


# --- juhtum's invoices ---------------------------------------------------------------------------


def _check(invoice: Invoice) -> bytes:
    """The e-invoice built (which validates it), validated again, its lines exact and its totals the database's."""
    content = einvoice.build(invoice)
    assert einvoice_check.failures(content) == []
    total = abs(Decimal(invoice.total))
    for name in ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount"):
        assert Decimal(_one(content, f"//cac:LegalMonetaryTotal/cbc:{name}")) == total, name
    line = "InvoiceLine" if invoice.kind == InvoiceKind.INVOICE else "CreditNoteLine"
    amounts = []
    for element in _xpath(content, f"//cac:{line}"):
        quantity = Decimal(element.xpath("cbc:InvoicedQuantity|cbc:CreditedQuantity", namespaces=NS)[0].text)
        price = Decimal(element.xpath("cac:Price/cbc:PriceAmount", namespaces=NS)[0].text)
        amount = Decimal(element.xpath("cbc:LineExtensionAmount", namespaces=NS)[0].text)
        assert money(quantity * price) == amount, (quantity, price, amount)  # to the cent, half up
        assert amount >= 0 and quantity > 0
        amounts.append(amount)
    assert sum(amounts) == total
    return content


def _no_client_in(content: bytes) -> None:
    text = content.decode("utf-8")
    for first, last, code in db.session.execute(sa.select(Client.first_name, Client.last_name, Client.personal_code)):
        assert code not in text
        assert f"{first} {last}" not in text and f"{last}, {first}" not in text and last not in text


@pytest.fixture
def demo_data(ctx, tmp_path):
    demo.load(tmp_path, new_user)
    db.session.remove()


def test_every_demo_invoice_and_a_credit_note_pass_and_name_no_client(demo_data):
    # The head invoices last month, the one the demo leaves, and credits two of its lines.
    invoice = confirm_invoice(generate_invoice(last_month()))
    chosen = [line.id for line in invoice.lines[:2]]
    confirm_invoice(create_credit_note(invoice, chosen))
    invoices = db.session.scalars(sa.select(Invoice).order_by(Invoice.id)).all()
    assert {i.kind for i in invoices} == {InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE} and len(invoices) == 4
    for invoice in invoices:
        content = _check(invoice)
        _no_client_in(content)
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            assert etree.fromstring(content).tag.endswith("CreditNote")
            assert _one(content, "//cbc:CreditNoteTypeCode") == "381"
            assert (
                _one(content, "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
                == invoice.credited_invoice.number
            )
        else:
            assert _one(content, "//cbc:InvoiceTypeCode") == "380"
        assert _one(content, "//cac:AccountingCustomerParty//cbc:EndpointID") == "70001975"
        assert _one(content, "//cac:AccountingSupplierParty//cbc:EndpointID/@schemeID") == "0191"
        assert _one(content, "//cac:PaymentMeans/cbc:PaymentID") == invoice.reference_number
        if invoice.status in (InvoiceStatus.SENT, InvoiceStatus.PAID):  # the demo's two earlier months
            assert invoice.einvoice.content == content


# --- totals: the XML, the database and the workbook --------------------------------------------


def _workbook_total(invoice: Invoice) -> Decimal:
    with force_locale("en"):
        with written(invoice) as file:
            book = openpyxl.load_workbook(io.BytesIO(file.read()), data_only=True)
    sheet = book["Invoice"]
    total_row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Total")
    return Decimal(str(sheet.cell(total_row, 6).value)).quantize(Decimal("0.01"))


def test_the_xml_totals_equal_the_database_and_the_workbook_also_after_a_credit_note(ctx):
    psych = create_component(price="58.00")
    trip = create_component(price="0.67", unit="trip")
    provider = contracted_provider(psych, trip)
    clients = [active_client() for _ in range(3)]
    for client in clients:
        create_delivery(provider=provider, component=psych, client=client, quantity="1.25")
        # 0.5 × 0.67 = 0.335, rounded per delivery to 0.34: three of them are 1.02, but 1.5 × 0.67 = 1.005.
        create_delivery(provider=provider, component=trip, client=client, quantity="0.5")
    invoice = confirm_invoice(generate_invoice(MONTH), today=date(2026, 10, 5))
    content = _check(invoice)
    assert Decimal(_one(content, "//cbc:PayableAmount")) == invoice.total == _workbook_total(invoice)
    assert len(_xpath(content, "//cac:InvoiceLine")) >= 3  # the trips split so that each line is exact
    note = confirm_invoice(create_credit_note(invoice, [invoice.lines[0].id]), today=date(2026, 10, 6))
    credit = _check(note)
    assert -Decimal(_one(credit, "//cbc:PayableAmount")) == note.total == _workbook_total(note)


# --- invoices hypothesis makes ------------------------------------------------------------------

UNITS = ("hour", "day", "month", "time", "trip")
MODES = ("individual", "family", "group")
prices = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250"), places=2),
    st.sampled_from([Decimal("0.33"), Decimal("0.67"), Decimal("0.01"), Decimal("33.33"), Decimal("0.335")]),
)
quantities = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40"), places=2),
    st.sampled_from([Decimal("0.5"), Decimal("0.25"), Decimal("1.5"), Decimal("0.33")]),
)
deliveries = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 2), st.sampled_from(MODES), quantities),
    min_size=1,
    max_size=10,
)


def _clear_invoicing() -> None:
    """Each example starts with no invoice and no delivery (the rules refuse deleting a confirmed
    invoice through the ORM; a test clears the rows directly)."""
    db.session.rollback()
    for model in (InvoiceLine, InvoiceEvent, ServiceDelivery):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(Invoice).where(Invoice.kind == InvoiceKind.CREDIT_NOTE))
    db.session.execute(sa.delete(Invoice))
    db.session.commit()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    units=st.lists(st.sampled_from(UNITS), min_size=3, max_size=3),
    price_list=st.lists(prices, min_size=3, max_size=3),
    made=deliveries,
    credited=st.sets(st.integers(0, 20), min_size=1, max_size=4),
)
def test_invoices_hypothesis_makes_pass_with_their_credit_notes(ctx, units, price_list, made, credited):
    _clear_invoicing()
    components = []
    for unit, price in zip(units, price_list, strict=True):
        component = create_component(price=str(price), unit=unit)
        component.prices += [ComponentPrice(unit_price=price, mode=m, valid_from=date(2026, 1, 1)) for m in MODES[1:]]
        components.append(component)
    db.session.commit()
    providers = [contracted_provider(*components) for _ in range(2)]
    clients = [active_client() for _ in range(3)]
    for n, (c, p, k, mode, quantity) in enumerate(made):
        day = date(2026, 9, 1 + n % 28)
        create_delivery(
            provider=providers[p],
            component=components[c],
            client=clients[k],
            quantity=str(quantity),
            mode=mode,
            day=day,
        )
    invoice = confirm_invoice(generate_invoice(MONTH), today=date(2026, 10, 5))
    content = _check(invoice)
    _no_client_in(content)
    lines = sorted(line.id for line in invoice.lines)
    chosen = [lines[i % len(lines)] for i in credited]
    note = confirm_invoice(create_credit_note(invoice, chosen), today=date(2026, 10, 6))
    _check(note)


# --- refusals -----------------------------------------------------------------------------------


def test_a_missing_setting_is_named_and_no_file_is_made(ctx, app, monkeypatch):
    psych = create_component()
    provider, client = contracted_provider(psych), active_client()
    create_delivery(provider=provider, component=psych, client=client)
    invoice = confirm_invoice(generate_invoice(MONTH), today=date(2026, 10, 5))
    monkeypatch.setitem(app.config, "MUNICIPALITY_STREET", "")
    monkeypatch.setitem(app.config, "MUNICIPALITY_IBAN", "EE00 1234")
    with pytest.raises(RuleViolation) as refused:
        einvoice.build(invoice)
    assert set(refused.value.errors) == {"MUNICIPALITY_STREET", "MUNICIPALITY_IBAN"}
    assert "MUNICIPALITY_STREET" in refused.value.errors["MUNICIPALITY_STREET"]
    monkeypatch.setitem(app.config, "MUNICIPALITY_STREET", "Viljandi mnt 13")
    monkeypatch.setitem(app.config, "MUNICIPALITY_IBAN", "EE382200221020145685")
    monkeypatch.setitem(app.config, "EINVOICE_VAT_CATEGORY", "E")
    with pytest.raises(RuleViolation, match="MUNICIPALITY_VAT_NUMBER"):
        einvoice.build(invoice)
    monkeypatch.setitem(app.config, "MUNICIPALITY_VAT_NUMBER", "EE100931558")
    content = _check(invoice)
    assert _one(content, "//cac:TaxCategory/cbc:TaxExemptionReasonCode") == "VATEX-EU-132-1G"
    assert _one(content, "//cac:PartyTaxScheme/cbc:CompanyID") == "EE100931558"


def test_a_draft_has_no_e_invoice(ctx):
    psych, client = create_component(), active_client()
    provider = contracted_provider(psych)
    create_delivery(provider=provider, component=psych, client=client)
    with force_locale("en"), pytest.raises(RuleViolation, match="draft has no e-invoice"):
        einvoice.build(generate_invoice(MONTH))


def test_the_specification_is_embedded_only_when_the_setting_says_so(ctx, app, monkeypatch):
    psych = create_component()
    create_delivery(provider=contracted_provider(psych), component=psych, client=active_client())
    invoice = confirm_invoice(generate_invoice(MONTH), today=date(2026, 10, 5))
    assert not _xpath(_check(invoice), "//cac:AdditionalDocumentReference")
    monkeypatch.setitem(app.config, "EINVOICE_ATTACH_SPECIFICATION", True)
    content = _check(invoice)
    (attached,) = _xpath(content, "//cac:AdditionalDocumentReference//cbc:EmbeddedDocumentBinaryObject")
    assert attached.get("mimeCode") == einvoice.SPREADSHEET
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attached.text)), data_only=True)
    assert len(book.sheetnames) == 3  # the workbook, with every client: what the setting warns of
