"""The check a receiving e-invoice operator makes: the OASIS UBL 2.1 schema, then CEN's EN 16931
business rules (the official compiled Schematron, XSLT 2.0, run by Saxon-HE from ``saxonche``).

The rule files are kept, unchanged, in ``exports/einvoice_rules/`` (see its SOURCE.md for where they
come from and their licences). The schemas and the stylesheet are compiled once per process."""

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

RULES = Path(__file__).resolve().parent / "einvoice_rules"
SCHEMAS = {
    "Invoice": RULES / "ubl-2.1-xsd" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "CreditNote": RULES / "ubl-2.1-xsd" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}
STYLESHEET = RULES / "en16931-ubl" / "EN16931-UBL-validation.xslt"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_lock = threading.Lock()


@dataclass(frozen=True)
class Failure:
    """One failed rule: its id (``BR-CO-16``, or ``UBL-schema``), where, and the rule's own words."""

    rule: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.text}"


@cache
def _schema(root: str) -> etree.XMLSchema:
    # The schemas import their common/ folder by relative path, from our own directory only.
    return etree.XMLSchema(etree.parse(str(SCHEMAS[root]), parser=_parser()))


def _parser() -> etree.XMLParser:
    """An XML parser that reads no DTD, no external entity and nothing from the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@cache
def _stylesheet():
    """Saxon and the compiled EN 16931 stylesheet: about half a second, once per process."""
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(STYLESHEET))
    return processor, executable


def schema_failures(content: bytes) -> list[Failure]:
    """What the UBL 2.1 schema says of ``content`` (an Invoice or a CreditNote); [] when valid."""
    try:
        document = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as e:
        return [Failure("XML", "", str(e))]
    root = etree.QName(document).localname
    if root not in SCHEMAS:
        return [Failure("UBL-schema", "/", f"the root element {root} is neither Invoice nor CreditNote")]
    schema = _schema(root)
    if schema.validate(document):
        return []
    return [Failure("UBL-schema", f"line {e.line}", e.message) for e in schema.error_log]


def rule_failures(content: bytes) -> list[Failure]:
    """The EN 16931 business rules that ``content`` breaks with ``flag="fatal"``: what an operator rejects."""
    processor, executable = _stylesheet()
    with _lock:  # one Saxon processor per process: its calls are made one at a time
        source = processor.parse_xml(xml_text=content.decode("utf-8"))
        report = executable.transform_to_string(xdm_node=source)
    svrl = etree.fromstring(report.encode("utf-8"), parser=_parser())
    return [
        Failure(
            node.get("id") or "?",
            node.get("location") or "",
            " ".join("".join(node.find(f"{SVRL}text").itertext()).split()),
        )
        for node in svrl.iter(f"{SVRL}failed-assert")
        if (node.get("flag") or "fatal") == "fatal"
    ]


def failures(content: bytes) -> list[Failure]:
    """The schema first; the business rules only for a file the schema takes."""
    return schema_failures(content) or rule_failures(content)
