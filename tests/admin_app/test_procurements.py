"""The procurement register (/admin/procurements/): components bought, bidders, the winner."""

from datetime import date
from decimal import Decimal

import pytest

from models import Bid, Procurement, procurements
from tests.admin_app.helpers import (
    NBSP,
    TUPLE_CHOICES,
    ajax_update,
    delete,
    filter_arg,
    in_order,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    sort_arg,
    submit,
)
from tests.conftest import count, create_component, create_procurement, create_provider, fetch, post_form

pytestmark = TUPLE_CHOICES

URL = "/admin/procurements/"


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


@pytest.fixture
def parties(app):
    """Two components and three providers to bid."""
    return {
        "k1": make(app, create_component, code="K-1"),
        "k2": make(app, create_component, code="K-2"),
        "alfa": make(app, create_provider, name="Alfa Hooldus OÜ"),
        "beta": make(app, create_provider, name="Beeta Tugi MTÜ"),
        "gamma": make(app, create_provider, name="Gamma Abi OÜ"),
    }


def new(parties, **changes) -> dict:
    data = {
        "reference_number": " 301234 ",
        "title": "Isikukeskse erihoolekande teenuskomponendid 2026",
        "procedure_type": "simple",
        "estimated_value": "45 000,00",
        "components": [str(parties["k1"].id), str(parties["k2"].id)],
        "published_on": "02.02.2026",
        "tender_deadline": "02.03.2026",
        "decision_on": "16.03.2026",
        "contract_on": "01.04.2026",
        "status": "contracted",
        "bids-0-provider": str(parties["alfa"].id),
        "bids-0-price": "41 500,00",
        "bids-0-received_on": "01.03.2026",
        "bids-1-provider": str(parties["beta"].id),
        "bids-1-price": "39 990,50",
        "bids-1-received_on": "02.03.2026",
        "winner": str(parties["beta"].id),
        "contract_start": "01.04.2026",
        "contract_end": "31.03.2028",
        "notes": "Raamleping kaheks aastaks.",
    }
    data.update(changes)
    return data


def tables(app):
    return snapshot(app, Procurement, Bid, procurements.procurement_components)


def test_create_with_components_bids_and_winner(app, manager, parties):
    saved(post_form(manager, URL + "new/", new(parties)))

    p = fetch(app, Procurement)
    assert (p.reference_number, p.estimated_value, p.winner_id) == ("301234", Decimal("45000.00"), parties["beta"].id)
    assert (p.published_on, p.contract_end) == (date(2026, 2, 2), date(2028, 3, 31))
    assert count(app, procurements.procurement_components) == 2
    assert fetch(app, Bid, Bid.provider_id == parties["beta"].id).price == Decimal("39990.50")
    assert count(app, Bid) == 2


def test_details_show_money_dates_and_the_winner_first(app, manager, parties):
    saved(post_form(manager, URL + "new/", new(parties)))
    p = fetch(app, Procurement)

    html = page(manager, f"{URL}details/?id={p.id}")

    assert f"45{NBSP}000,00{NBSP}€" in html
    assert f"39{NBSP}990,50{NBSP}€" in html and f"41{NBSP}500,00{NBSP}€" in html
    assert "02.02.2026" in html and "31.03.2028" in html
    assert "K-1, K-2" in html
    assert in_order(html, "Beeta Tugi MTÜ: 39", "★", "Alfa Hooldus OÜ: 41"), "cheapest bid first, the winner starred"


def test_edit_adds_a_bid_and_changes_the_winner(app, manager, parties):
    saved(post_form(manager, URL + "new/", new(parties)))
    p = fetch(app, Procurement)

    changes = {
        "bids-2-provider": str(parties["gamma"].id),
        "bids-2-price": "38 000",
        "winner": str(parties["gamma"].id),
    }
    saved(submit(manager, f"{URL}edit/?id={p.id}", changes))

    assert fetch(app, Procurement).winner_id == parties["gamma"].id
    assert count(app, Bid) == 3


def test_search_filter_sort_and_list_edit(app, manager):
    a = make(
        app, create_procurement, reference_number="100001", title="Transporditeenus", estimated_value=Decimal("9000")
    )
    make(app, create_procurement, reference_number="100002", title="Eluasemeteenus", status="published")
    make(app, create_procurement, reference_number="100003", title="Tööalane tugi", estimated_value=Decimal("70000"))

    html = page(manager, URL + "?search=transpordi")
    assert "Transporditeenus" in html and "Eluasemeteenus" not in html
    html = page(manager, URL + "?search=100002")
    assert "Eluasemeteenus" in html and "Transporditeenus" not in html
    html = page(manager, URL + "?" + filter_arg(app, "procurements", "Status", "FilterEqual") + "=published")
    assert "Eluasemeteenus" in html and "Transporditeenus" not in html and "Tööalane tugi" not in html
    html = page(manager, URL + "?" + sort_arg(app, "procurements", "estimated_value", desc=True))
    assert in_order(html, "Tööalane tugi", "Eluasemeteenus", "Transporditeenus")

    assert ajax_update(manager, URL, a.id, "status", "cancelled").status_code == 200
    assert fetch(app, Procurement, Procurement.id == a.id).status == "cancelled"


def test_list_edit_to_awarded_without_winner_is_refused(app, manager):
    p = make(app, create_procurement, status="evaluation")

    response = ajax_update(manager, URL, p.id, "status", "awarded")

    assert response.status_code == 400, "a refusal with its reason, not a server error"
    assert shown(app, "An awarded procurement needs a winner.") in response.get_data(as_text=True)
    assert fetch(app, Procurement).status == "evaluation"


def test_delete_removes_the_procurement_and_its_bids(app, manager, parties):
    saved(post_form(manager, URL + "new/", new(parties)))

    delete(manager, URL, fetch(app, Procurement).id)

    assert count(app, Procurement) == 0 and count(app, Bid) == 0
    assert count(app, procurements.procurement_components) == 0


LIMIT = "From %(limit)s € (the simple procurement threshold) a small-value procurement is not allowed."
BAD = [
    (
        "small value at the threshold",
        {"procedure_type": "small_value", "estimated_value": "30 000"},
        "procedure_type",
        LIMIT,
    ),
    ("small value above it", {"procedure_type": "small_value"}, "procedure_type", LIMIT),
    ("negative value", {"estimated_value": "-1,00"}, "estimated_value", "The estimated value cannot be negative."),
    (
        "deadline before publication",
        {"tender_deadline": "01.02.2026"},
        "tender_deadline",
        ("This date cannot be before the %(other)s date.", {"other": "published"}),
    ),
    (
        "contract before decision",
        {"contract_on": "15.03.2026"},
        "contract_on",
        ("This date cannot be before the %(other)s date.", {"other": "decision"}),
    ),
    (
        "contract ends before it starts",
        {"contract_end": "31.03.2026"},
        "contract_end",
        "The contract period ends before it starts.",
    ),
    ("winner did not bid", {"winner": "gamma"}, "winner", "The winner must be one of the bidders."),
    ("awarded without a winner", {"winner": "__None"}, "winner", "An awarded procurement needs a winner."),
    ("contracted without contract date", {"contract_on": ""}, "contract_on", "Give the date the contract was signed."),
    (
        "same bidder twice",
        {"bids-1-provider": "alfa", "winner": "alfa"},
        "bids",
        "A provider can tender only once in a procurement.",
    ),
    ("negative tender", {"bids-0-price": "-5"}, "bids", "A tender price cannot be negative."),
    ("bad date", {"decision_on": "32.03.2026"}, "decision_on", "Give a date as dd.mm.yyyy, e.g. 24.02.2026."),
]


@pytest.mark.parametrize("changes, field, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_procurement_is_refused_and_nothing_saved(app, manager, parties, changes, field, message):
    changes = {k: str(parties[v].id) if v in parties else v for k, v in changes.items()}
    make(app, create_procurement, reference_number="999999")
    before = tables(app)

    response = post_form(manager, URL + "new/", new(parties, **changes))

    if message is LIMIT:
        message = shown(app, LIMIT, limit="30 000")
    elif isinstance(message, tuple):
        text, params = message
        message = shown(app, text, **{k: shown(app, v) for k, v in params.items()})
    else:
        message = shown(app, message)
    refused(response, field, message)
    assert tables(app) == before


def test_same_reference_number_twice_is_refused(app, manager, parties):
    make(app, create_procurement, reference_number="301234")
    before = tables(app)

    refused(post_form(manager, URL + "new/", new(parties)), "reference_number")

    assert tables(app) == before


def test_winner_not_among_bidders_on_edit_changes_nothing(app, manager, parties):
    saved(post_form(manager, URL + "new/", new(parties)))
    p = fetch(app, Procurement)
    before = tables(app)

    changes = {"winner": str(parties["gamma"].id), "title": "Muudetud", "del-bids-0": "y"}
    response = submit(manager, f"{URL}edit/?id={p.id}", changes)

    refused(response, "winner", shown(app, "The winner must be one of the bidders."))
    assert tables(app) == before
