"""Import into the registers with a preview: export → import is "unchanged", each error is on its row
and column with nothing saved, updates change only what changed and are audited, hostile text is
stored exactly, a record changed after the preview is refused, and a case manager stays in scope."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from exports.tabular import Column, Conventions, Sheet, write_xlsx
from models import AuditEvent, Client, ComponentPrice, Procurement, Provider, ServiceComponent, db
from models.text import text_error
from tests.admin_app.helpers import shown, signed_in
from tests.conftest import (
    count,
    create_client,
    create_component,
    create_municipality,
    create_procurement,
    create_provider,
    csrf_token,
    naughty_strings,
)


def xlsx(headings, rows) -> bytes:
    """A workbook as a person would make it: one row of headings, then the rows (text stays text)."""
    buffer = io.BytesIO()
    write_xlsx(buffer, Sheet(name="Leht", columns=[Column(h) for h in headings]), rows, Conventions())
    return buffer.getvalue()


def upload(client, endpoint: str, data: bytes, name: str = "fail.xlsx"):
    url = f"/admin/{endpoint.replace('_', '-')}/import/"
    token = csrf_token(client, url)
    return client.post(
        url, data={"csrf_token": token, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def preview_page(client, response) -> tuple[str, str]:
    """(the preview's address, its HTML) after an upload."""
    body = response.get_data(as_text=True)
    assert response.status_code == 302, re.findall(r"alert[^>]*>(.*?)</div>", body, re.S)
    url = response.headers["Location"]
    return url, client.get(url).get_data(as_text=True)


def summary(app, html: str) -> str:
    return re.search(r'<p class="lead import-summary">(.*?)</p>', html, re.S).group(1).strip()


def expect(app, new=0, update=0, unchanged=0, error=0) -> str:
    return shown(
        app,
        "%(new)s new, %(update)s updated, %(unchanged)s unchanged, %(error)s errors",
        new=new,
        update=update,
        unchanged=unchanged,
        error=error,
    )


def confirm(client, preview_url: str):
    token = (
        csrf_token(client, preview_url) if "import-confirm" in client.get(preview_url).get_data(as_text=True) else ""
    )
    if not token:
        token = csrf_token(client, preview_url.rsplit("/import/", 1)[0] + "/import/")
    return client.post(preview_url + "confirm/", data={"csrf_token": token})


def label(app, text: str) -> str:
    return shown(app, text)


# --- Export → import: unchanged ----------------------------------------------------------------


@pytest.mark.parametrize("export_type", ["xlsx", "csv"])
@pytest.mark.parametrize("endpoint", ["clients", "providers", "service_components", "procurements"])
def test_an_exported_register_imports_back_unchanged(app, client, endpoint, export_type):
    with app.app_context():
        town = create_municipality(name="Rapla vald")
        base = create_provider(kinds=("base", "component"), municipality=town, contact_person="=SUM(A1)")
        winner = create_provider(name="Võitja OÜ")
        create_provider(name="Ainult komponendid OÜ", notes="märkus")
        create_component(yearly_cap=Decimal("1234.50"))
        create_component(area="housing", unit="day", price="1 234.5".replace(" ", ""))
        create_client(municipality=town, base_provider=base, main_diagnosis="F20", last_name="-Tamm")
        create_client(status="active", entry_date=date(2026, 1, 5), applied_on=date(2026, 1, 2), disability="severe")
        procurement = create_procurement(tender_deadline=date(2026, 3, 1), contract_end=date(2027, 12, 31))
        from models import Bid

        procurement.bids.append(Bid(provider=winner, price=Decimal("40000.00")))
        procurement.winner, procurement.status = winner, "awarded"
        db.session.commit()
        records = count(app, {"clients": Client, "providers": Provider}.get(endpoint, ServiceComponent))
    head = signed_in(app, client, "head")
    exported = head.get(f"/admin/{endpoint.replace('_', '-')}/export/{export_type}/")
    assert exported.status_code == 200
    _, html = preview_page(head, upload(head, endpoint, exported.get_data(), f"eksport.{export_type}"))
    total = {"service_components": 2, "procurements": 1}.get(endpoint, 3 if endpoint == "providers" else 2)
    assert summary(app, html) == expect(app, unchanged=total), html[:3000]
    assert records >= 1


def test_an_unchanged_row_is_unchanged_even_where_the_record_no_longer_passes_a_rule(app, client):
    """A row that changes nothing saves nothing, as a form sent back unchanged: the register's rules are
    not asked of it. A client whose base-support provider has since stopped giving base support is
    exported and imported back "unchanged", not as an error on a cell nobody touched."""
    with app.app_context():
        base = create_provider(kinds=("base",), name="Tugi OÜ")
        create_client(base_provider=base)
        base.is_base_support, base.is_component = False, True  # the provider's kinds changed since
        db.session.commit()
    head = signed_in(app, client, "head")
    exported = head.get("/admin/clients/export/xlsx/").get_data()
    _, html = preview_page(head, upload(head, "clients", exported, "kliendid.xlsx"))
    assert summary(app, html) == expect(app, unchanged=1), html[:2000]


def test_the_template_has_the_export_columns_first(app, client):
    head = signed_in(app, client, "head")
    response = head.get("/admin/providers/import/template.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    headings = [c.value for c in next(sheet.iter_rows())]
    exported = openpyxl.load_workbook(io.BytesIO(head.get("/admin/providers/export/xlsx/").get_data())).active
    export_headings = [c.value for c in list(exported.iter_rows(min_row=5, max_row=5))[0]]
    assert headings[: len(export_headings)] == export_headings
    assert label(app, "IBAN") in headings


def test_the_list_offers_import_next_to_export_to_those_who_may_write(app, client):
    head = signed_in(app, client, "head")
    assert 'id="import-link"' in head.get("/admin/providers/").get_data(as_text=True)
    client.get("/logout")
    accountant = signed_in(app, client, "accountant")
    assert 'id="import-link"' not in accountant.get("/admin/providers/").get_data(as_text=True)
    assert accountant.get("/admin/providers/import/").status_code == 403


# --- New rows, values people write -----------------------------------------------------------


def test_new_providers_are_saved_with_values_as_people_write_them(app, client):
    with app.app_context():
        create_municipality(name="Kehtna vald")
        from models import codes

        code = codes.make_registry_code("12", 7)
    head = signed_in(app, client, "head")
    headings = [label(app, h) for h in ("Registry code", "Name", "Municipality", "Kinds", "Active", "IBAN", "E-mail")]
    rows = [
        [
            f" {code} ",
            "Uus Teenus OÜ",
            "kehtna VALD",
            "Base support; Teenuskomponendid",
            "Jah",
            "EE38 2200 2210 2014 5685",
            "a@b.ee",
        ]
    ]
    url, html = preview_page(head, upload(head, "providers", xlsx(headings, rows)))
    assert summary(app, html) == expect(app, new=1)
    assert count(app, Provider) == 0, "the preview saves nothing"
    response = confirm(head, url)
    assert response.status_code == 302
    with app.app_context():
        provider = db.session.scalars(sa.select(Provider)).one()
        assert (provider.registry_code, provider.name, provider.municipality.name) == (
            code,
            "Uus Teenus OÜ",
            "Kehtna vald",
        )
        assert provider.is_base_support and provider.is_component and not provider.is_supplementary
        assert provider.iban == "EE382200221020145685"
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.table_name == "provider")).one()
        assert event.action == "create" and event.actor == "Head"
        assert event.url == shown(app, "imported from %(file)s", file="fail.xlsx")


def test_a_csv_with_commas_a_bom_and_decimal_points_is_read(app, client):
    head = signed_in(app, client, "head")
    text = (
        "\ufeffCode,Name,Area,Unit,Mode,Unit price (€),Valid from\r\n"
        'K1,Nõustamine,Mental health,hour,individual,"1,234.50",01.01.2026\r\n'
    )
    url, html = preview_page(head, upload(head, "service_components", text.encode("utf-8"), "hinnad.csv"))
    assert summary(app, html) == expect(app, new=1), html[:3000]
    confirm(head, url)
    with app.app_context():
        price = db.session.scalars(sa.select(ComponentPrice)).one()
        assert (price.unit_price, price.valid_from, price.component.area) == (
            Decimal("1234.50"),
            date(2026, 1, 1),
            "mental_health",
        )


def test_a_new_price_from_a_day_ends_the_open_price_the_day_before(app, client):
    with app.app_context():
        component = create_component(price="25.00", valid_from=date(2026, 1, 1))
        code = component.code
    head = signed_in(app, client, "head")
    rows = [[code, "27,50 €", date(2027, 1, 1)]]
    url, html = preview_page(
        head,
        upload(
            head, "service_components", xlsx([label(app, h) for h in ("Code", "Unit price (€)", "Valid from")], rows)
        ),
    )
    assert summary(app, html) == expect(app, update=1), html[:3000]
    confirm(head, url)
    with app.app_context():
        prices = db.session.scalars(sa.select(ComponentPrice).order_by(ComponentPrice.valid_from)).all()
        assert [(p.unit_price, p.valid_from, p.valid_until) for p in prices] == [
            (Decimal("25.00"), date(2026, 1, 1), date(2026, 12, 31)),
            (Decimal("27.50"), date(2027, 1, 1), None),
        ]


# --- Errors: on their row and column, nothing saved ---------------------------------------------


def _error_cells(html: str) -> list[tuple[str, str, str]]:
    """(row, heading, message) of every error the preview shows."""
    found = []
    for row, details in re.findall(
        r'<tr class="import-error">\s*<td[^>]*>(\d+)</td>.*?<td>(.*?)</td>\s*</tr>', html, re.S
    ):
        for heading, message in re.findall(r"<strong>(.*?):</strong>\s*(.*?)</div>", details, re.S):
            found.append((row, heading, message.strip()))
    return found


def test_each_error_is_on_its_row_and_column_and_nothing_is_saved(app, client):
    with app.app_context():
        from models import codes

        good = [codes.make_registry_code("14", n) for n in range(1, 8)]
        create_provider(registry_code=codes.make_registry_code("15", 1))
    head = signed_in(app, client, "head")
    headings = [
        label(app, h) for h in ("Registry code", "Name", "Municipality", "Kinds", "Active", "IBAN", "Contact person")
    ]
    rows = [
        [good[0], "Õige OÜ", None, "Teenuskomponendid", "Jah", None, None],  # row 2: fine
        ["1234567", "Vale kood OÜ", None, "Teenuskomponendid", None, None, None],  # 3: registry code
        [good[1], "Tundmatu vald OÜ", "Atlantise vald", "Teenuskomponendid", None, None, None],  # 4: municipality
        [good[2], "Liik OÜ", None, "Pagarid", None, None, None],  # 5: kind
        [good[3], "Jah-ei OÜ", None, "Teenuskomponendid", "võib-olla", None, None],  # 6: yes/no
        [good[4], "IBAN OÜ", None, "Teenuskomponendid", None, "EE00 1234", None],  # 7: IBAN (the form's rule)
        [good[5], "Kontroll OÜ", None, "Teenuskomponendid", None, None, "Mari " * 41],  # 8: longer than 200
        [good[0], "Teine kord OÜ", None, "Teenuskomponendid", None, None, None],  # 9: twice in the file
        [good[6], "   ", None, "Teenuskomponendid", None, None, None],  # 10: name of spaces only
        [good[6][:-1] + "x", "Liigita OÜ", None, None, None, None, None],  # 11: code
    ]
    url, html = preview_page(head, upload(head, "providers", xlsx(headings, rows)))
    errors = _error_cells(html)
    where = {(r, h) for r, h, _ in errors}
    expected = {
        ("3", label(app, "Registry code")),
        ("4", label(app, "Municipality")),
        ("5", label(app, "Kinds")),
        ("6", label(app, "Active")),
        ("7", label(app, "IBAN")),
        ("8", label(app, "Contact person")),
        ("9", label(app, "Registry code")),
        ("10", label(app, "Name")),
        ("11", label(app, "Registry code")),
    }
    assert where == expected, errors
    assert summary(app, html) == expect(app, new=1, error=9)
    assert 'id="import-confirm"' not in html
    # Confirming anyway (a request made by hand) saves nothing.
    confirm(head, url)
    assert count(app, Provider) == 1
    # The error rows come back as a workbook with a column of messages, to fix and import again.
    response = head.get(url + "errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0] == [*headings, shown(app, "Errors")]
    assert [line[1] for line in lines[1:]] == [row[1] for row in rows[1:]]
    assert shown(app, "At most %(n)s characters.", n=200) in lines[6][-1]


def test_a_control_character_is_refused_by_the_text_rule(app, client):
    head = signed_in(app, client, "head")
    with app.app_context():
        from models import codes

        code = codes.make_registry_code("17", 1)
    headings = [label(app, h) for h in ("Registry code", "Name", "Kinds", "Contact person")]
    text = ";".join(headings) + f"\r\n{code};Kontroll OÜ;base;Mari\x07Maasikas\r\n"
    _, html = preview_page(head, upload(head, "providers", text.encode("utf-8"), "fail.csv"))
    assert [(r, h) for r, h, _ in _error_cells(html)] == [("2", label(app, "Contact person"))]
    assert "U+0007" in html
    assert count(app, Provider) == 0


def test_rule_errors_name_their_column_date_order_and_overlapping_prices(app, client):
    head = signed_in(app, client, "head")
    headings = [
        label(app, h) for h in ("Register reference no.", "Subject", "Procedure", "Published", "Tender deadline")
    ]
    rows = [["300001", "Teenused", "Lihthange", date(2026, 3, 1), "01.02.2026"]]
    _, html = preview_page(head, upload(head, "procurements", xlsx(headings, rows)))
    assert [(r, h) for r, h, _ in _error_cells(html)] == [("2", label(app, "Tender deadline"))], html[:3000]
    assert count(app, Procurement) == 0


# --- Updates ------------------------------------------------------------------------------------


def test_an_update_changes_only_the_changed_cells_and_is_audited(app, client):
    with app.app_context():
        provider = create_provider(contact_person="Mari", phone="5555 1234", notes="vana")
        code, version = provider.registry_code, provider.version
    head = signed_in(app, client, "head")
    headings = [label(app, h) for h in ("Registry code", "Contact person", "Phone")]
    url, html = preview_page(head, upload(head, "providers", xlsx(headings, [[code, "Jüri", "5555 1234"]])))
    assert summary(app, html) == expect(app, update=1)
    assert '<del class="text-muted">Mari</del> → <mark>Jüri</mark>' in html
    confirm(head, url)
    with app.app_context():
        saved = db.session.scalars(sa.select(Provider)).one()
        assert (saved.contact_person, saved.phone, saved.notes, saved.version) == (
            "Jüri",
            "5555 1234",
            "vana",
            version + 1,
        )
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.table_name == "provider", AuditEvent.action == "update")
        ).one()
        assert set(event.changes) - {"version", "saved_at"} == {"contact_person"}
        assert event.changes["contact_person"] == ["Mari", "Jüri"]
        assert event.url == shown(app, "imported from %(file)s", file="fail.xlsx")


# --- Hostile text -------------------------------------------------------------------------------


def test_naughty_strings_are_stored_exactly(app, client):
    strings = [s for s in naughty_strings() if s and text_error(s) is None]
    with app.app_context():
        from models import codes

        keys = [codes.make_registry_code("16", n) for n in range(len(strings))]
    head = signed_in(app, client, "head")
    headings = [label(app, h) for h in ("Registry code", "Name", "Kinds", "Notes")]
    rows = [
        [key, f"Ettevõte {n}", "Teenuskomponendid", s] for n, (key, s) in enumerate(zip(keys, strings, strict=True))
    ]
    url, html = preview_page(head, upload(head, "providers", xlsx(headings, rows)))
    assert summary(app, html) == expect(app, new=len(strings)), _error_cells(html)[:5]
    confirm(head, url)
    with app.app_context():
        stored = dict(db.session.execute(sa.select(Provider.registry_code, Provider.notes)).all())
    assert [stored[k] for k in keys] == strings


# --- Concurrency and scope ----------------------------------------------------------------------


def test_a_record_changed_after_the_preview_is_refused_and_the_preview_rebuilt(app, client):
    with app.app_context():
        provider = create_provider(contact_person="Mari")
        code, pk = provider.registry_code, provider.id
    head = signed_in(app, client, "head")
    headings = [label(app, h) for h in ("Registry code", "Contact person")]
    url, _ = preview_page(head, upload(head, "providers", xlsx(headings, [[code, "Jüri"]])))
    with app.app_context():
        db.session.get(Provider, pk).contact_person = "Kati"  # a colleague saves meanwhile
        db.session.commit()
    response = confirm(head, url)
    assert response.status_code == 302 and response.headers["Location"].endswith(url.split("localhost")[-1])
    with app.app_context():
        assert db.session.get(Provider, pk).contact_person == "Kati"
    html = head.get(url).get_data(as_text=True)
    assert '<del class="text-muted">Kati</del> → <mark>Jüri</mark>' in html
    confirm(head, url)  # confirmed on the rebuilt preview: saved
    with app.app_context():
        assert db.session.get(Provider, pk).contact_person == "Jüri"


def test_a_case_manager_cannot_import_outside_their_scope(app, client):
    from tests.conftest import create_user  # noqa: F401  (users come from signed_in)

    manager = signed_in(app, client, "case_manager", "mari@test.ee")
    with app.app_context():
        from admin_app.auth import create_user as make_user

        other = make_user("juri@test.ee", "x" * 16, ["case_manager"], full_name="Jüri Juhtumikorraldaja")
        mine_user = db.session.scalars(sa.select(type(other)).where(type(other).email == "mari@test.ee")).one()
        theirs = create_client(case_manager=other, phone="1")
        mine = create_client(case_manager=mine_user, phone="1")
        codes_ = (theirs.personal_code, mine.personal_code)
        from models import codes

        new_code = codes.make_personal_code(date(1990, 1, 1), "M", 991)
    headings = [
        label(app, h) for h in ("Personal ID code", "First name", "Last name", "Target group", "Case manager", "Phone")
    ]
    rows = [
        [codes_[0], "Teise", "Klient", "Noor", None, "2"],  # another manager's client
        [codes_[1], "Minu", "Klient", "Noor", None, "2"],  # mine: fine
        [new_code, "Uus", "Klient", "Noor", "juri@test.ee", "2"],  # a new client given to another manager
    ]
    url, html = preview_page(manager, upload(manager, "clients", xlsx(headings, rows)))
    assert [(r, h) for r, h, _ in _error_cells(html)] == [
        ("2", label(app, "Personal ID code")),
        ("4", label(app, "Case manager")),
    ]
    confirm(manager, url)
    with app.app_context():
        assert db.session.scalar(sa.select(Client.phone).where(Client.personal_code == codes_[0])) == "1"
        assert db.session.scalar(sa.select(Client.phone).where(Client.personal_code == codes_[1])) == "1"
        assert db.session.scalar(sa.select(sa.func.count()).where(Client.personal_code == new_code)) == 0
