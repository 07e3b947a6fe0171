"""Quality of life (/admin/quality-of-life/) and its questionnaires (/admin/qol-instruments/)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import Instrument, InstrumentItem, QolAnswer, QolAnswerSet, db
from models.quality import compute_score
from tests.admin_app.helpers import (
    TUPLE_CHOICES,
    alerts,
    form_values,
    make,
    page,
    refused,
    saved,
    shown,
    signed_in,
    snapshot,
    submit,
)
from tests.conftest import count, create_client, fetch, post_form

pytestmark = [TUPLE_CHOICES, pytest.mark.usefixtures("shipped_questionnaire")]

URL = "/admin/quality-of-life/"
INSTRUMENTS = "/admin/qol-instruments/"
TODAY = date.today()


@pytest.fixture
def manager(app, client):
    return signed_in(app, client, "case_manager")


def item_ids(app, instrument_id: int = 1) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(InstrumentItem.id)
                .where(InstrumentItem.instrument_id == instrument_id)
                .order_by(InstrumentItem.position)
            )
        )


def answers(app, values, instrument_id: int = 1) -> dict:
    """The form fields for ``values``, one per item in order (None leaves an item unanswered)."""
    return {f"item_{i}": str(v) for i, v in zip(item_ids(app, instrument_id), values, strict=True) if v is not None}


def new(app, client_id: int, point: str = "entry", day: date = date(2025, 3, 1), values=(3,) * 8, **changes) -> dict:
    data = {"client": str(client_id), "point": point, "answered_on": f"{day:%d.%m.%Y}", "note": "Vastas ise."}
    if values:
        data.update(answers(app, values))
    data.update(changes)
    return data


def add_set(app, client_id: int, point: str, day: date, values=(3,) * 8, instrument_id: int = 1) -> int:
    """An answer set stored directly (as the form would), returning its id."""
    with app.app_context():
        items = db.session.scalars(
            sa.select(InstrumentItem)
            .where(InstrumentItem.instrument_id == instrument_id)
            .order_by(InstrumentItem.position)
        ).all()
        s = QolAnswerSet(client_id=client_id, instrument_id=instrument_id, point=point, answered_on=day)
        s.answers = [QolAnswer(item=i, value=v) for i, v in zip(items, values, strict=True)]
        s.score = compute_score(list(values))
        db.session.add(s)
        db.session.commit()
        set_id = s.id
        db.session.remove()
        return set_id


def own_instrument(app, texts=("Esimene", "Teine", "Kolmas"), lo: int = 1, hi: int = 5, active: bool = False) -> int:
    """A questionnaire of the test's own (the shipped one stays as it is for the other tests)."""
    with app.app_context():
        instrument = Instrument(name=f"Küsimustik {len(texts)}-{lo}-{hi}", scale_min=lo, scale_max=hi, active=active)
        instrument.items = [InstrumentItem(position=n, text=t) for n, t in enumerate(texts, 1)]
        db.session.add(instrument)
        db.session.commit()
        instrument_id = instrument.id
        db.session.remove()
        return instrument_id


def tables(app):
    return snapshot(app, QolAnswerSet, QolAnswer)


@pytest.fixture
def person(app):
    return make(app, create_client, status="active", first_name="Maie", last_name="Mägi")


# --- The answer form ---------------------------------------------------------------------------


def test_the_form_has_one_field_per_item_of_the_questionnaire_with_its_scale(app, manager, person):
    html = page(manager, f"{URL}new/?client_id={person.id}")

    with app.app_context():
        items = db.session.scalars(
            sa.select(InstrumentItem).where(InstrumentItem.instrument_id == 1).order_by(InstrumentItem.position)
        ).all()
        texts = [(i.id, i.text) for i in items]
    assert len(texts) == 8
    for item_id, text in texts:
        assert text in html
        for value in range(1, 6):
            assert f'name="item_{item_id}" type="radio" value="{value}"' in html or (
                f'name="item_{item_id}"' in html and f'id="item_{item_id}-{value - 1}"' in html
            )
    assert 'name="score"' not in html, "the score is computed, never typed"
    assert form_values(html)["client"] == [str(person.id)], "?client_id preselects the client"
    assert "Elukvaliteedi küsimustik (8 küsimust)" in html


def test_the_score_is_the_mean_of_the_answers(app, manager, person):
    saved(post_form(manager, URL + "new/", new(app, person.id, values=(1, 2, 3, 4, 5, 3, 4, 2))))

    s = fetch(app, QolAnswerSet)
    assert s.score == Decimal("3.00")
    assert (s.point, s.answered_on, s.instrument_id, s.note) == ("entry", date(2025, 3, 1), 1, "Vastas ise.")
    with app.app_context():
        stored = dict(db.session.execute(sa.select(QolAnswer.item_id, QolAnswer.value)).all())
    assert [stored[i] for i in item_ids(app)] == [1, 2, 3, 4, 5, 3, 4, 2]


def test_a_score_is_rounded_to_two_decimals_and_shown_so(app, manager, person):
    saved(post_form(manager, URL + "new/", new(app, person.id, values=(5, 4, 4, 4, 4, 4, 4, 4))))

    assert fetch(app, QolAnswerSet).score == Decimal("4.13")  # 33 / 8 = 4.125, half up
    assert "4,13" in page(manager, URL)


def test_a_typed_score_is_ignored(app, manager, person):
    saved(post_form(manager, URL + "new/", new(app, person.id, values=(1,) * 8, score="5.00")))

    assert fetch(app, QolAnswerSet).score == Decimal("1.00")


@pytest.mark.parametrize(
    "values, bad",
    [((3, 3, None, 3, 3, 3, 3, 3), 2), ((3, 3, 3, 3, 3, 3, 3, 6), 7), ((0, 3, 3, 3, 3, 3, 3, 3), 0)],
    ids=["missing", "above the scale", "below the scale"],
)
def test_a_missing_or_out_of_scale_answer_is_refused_and_nothing_saved(app, manager, person, values, bad):
    before = tables(app)

    response = post_form(manager, URL + "new/", new(app, person.id, values=values))

    item = item_ids(app)[bad]
    if values[bad] is None:
        refused(response, f"item_{item}", shown(app, "Choose an answer from %(lo)s to %(hi)s.", lo=1, hi=5))
    else:
        refused(response, f"item_{item}", shown(app, "Answers are from %(lo)s to %(hi)s.", lo=1, hi=5))
    assert tables(app) == before


def test_a_second_answer_set_at_the_same_point_is_refused(app, manager, person):
    add_set(app, person.id, "entry", date(2025, 3, 1))
    before = tables(app)

    response = post_form(manager, URL + "new/", new(app, person.id, day=date(2025, 3, 2)))

    refused(response, "point", shown(app, "This client already has answers at this point."))
    assert tables(app) == before


def test_another_client_may_answer_at_the_same_point(app, manager, person):
    other = make(app, create_client, status="active")
    add_set(app, other.id, "entry", date(2025, 3, 1))

    saved(post_form(manager, URL + "new/", new(app, person.id)))
    assert count(app, QolAnswerSet) == 2


@pytest.mark.parametrize(
    "point, day, stored_point, stored_day",
    [
        ("one_year", date(2025, 2, 1), "entry", date(2025, 3, 1)),
        ("entry", date(2026, 4, 1), "one_year", date(2026, 3, 1)),
        ("exit", date(2026, 2, 1), "one_year", date(2026, 3, 1)),
        ("one_year", date(2026, 6, 1), "exit", date(2026, 5, 1)),
    ],
    ids=["one year before entry", "entry after one year", "exit before one year", "one year after exit"],
)
def test_points_go_in_order_by_date(app, manager, person, point, day, stored_point, stored_day):
    add_set(app, person.id, stored_point, stored_day)
    before = tables(app)

    response = post_form(manager, URL + "new/", new(app, person.id, point=point, day=day))

    refused(response, "answered_on")
    assert f"{stored_day:%d.%m.%Y}" in " ".join(e for e in _errors(response, "answered_on"))
    assert tables(app) == before


def _errors(response, field):
    from tests.admin_app.helpers import field_errors

    return field_errors(response.get_data(as_text=True), field)


def test_points_in_order_are_saved(app, manager, person):
    add_set(app, person.id, "entry", date(2025, 3, 1))

    saved(post_form(manager, URL + "new/", new(app, person.id, point="one_year", day=date(2026, 3, 2))))
    saved(post_form(manager, URL + "new/", new(app, person.id, point="exit", day=date(2026, 5, 1))))
    assert count(app, QolAnswerSet) == 3


def test_a_future_date_is_refused(app, manager, person):
    response = post_form(manager, URL + "new/", new(app, person.id, day=TODAY + timedelta(days=1)))

    refused(response, "answered_on", shown(app, "This date is in the future."))
    assert count(app, QolAnswerSet) == 0


def test_edit_shows_the_answers_and_recomputes_the_score(app, manager, person):
    set_id = add_set(app, person.id, "entry", date(2025, 3, 1), values=(1, 2, 3, 4, 5, 3, 4, 2))
    first = item_ids(app)[0]
    html = page(manager, f"{URL}edit/?id={set_id}")
    assert form_values(html)[f"item_{first}"] == ["1"], "the stored answer is checked"

    saved(submit(manager, f"{URL}edit/?id={set_id}", {f"item_{first}": "5"}))

    s = fetch(app, QolAnswerSet)
    assert s.score == Decimal("3.50")
    assert count(app, QolAnswer) == 8


def test_edit_with_an_out_of_scale_answer_changes_nothing(app, manager, person):
    set_id = add_set(app, person.id, "entry", date(2025, 3, 1))
    before = tables(app)

    response = submit(manager, f"{URL}edit/?id={set_id}", {f"item_{item_ids(app)[3]}": "9"})

    refused(response, f"item_{item_ids(app)[3]}")
    assert tables(app) == before


def test_the_list_and_details_show_the_answers(app, manager, person):
    set_id = add_set(app, person.id, "entry", date(2025, 3, 1), values=(1, 2, 3, 4, 5, 3, 4, 2))

    html = page(manager, URL)
    assert "Maie Mägi" in html and "01.03.2025" in html and "3,00" in html
    assert f"{URL}client/?client_id={person.id}" in html, "the list links to the side-by-side page"

    html = page(manager, f"{URL}details/?id={set_id}")
    assert "Kas Teil on oma vajaduste rahuldamiseks piisavalt raha?" in html
    assert f"{URL}client/?client_id={person.id}" in html, "details link to the side-by-side page"


def test_the_list_filters_by_point(app, manager, person):
    from tests.admin_app.helpers import filter_arg

    add_set(app, person.id, "entry", date(2025, 3, 1))
    other = make(app, create_client, status="active", last_name="Kask")
    add_set(app, other.id, "entry", date(2024, 3, 1))
    add_set(app, other.id, "one_year", date(2025, 3, 20))

    html = page(manager, f"{URL}?{filter_arg(app, 'quality_of_life', 'Point', 'FilterEqual')}=one_year")
    assert "20.03.2025" in html and "01.03.2025" not in html


# --- Side by side ------------------------------------------------------------------------------


def _cells(html: str, row_class: str) -> list[list[str]]:
    """The text of each cell of the rows with ``row_class`` on the side-by-side page."""
    import re

    rows = re.findall(rf'<tr class="{row_class}[^"]*">(.*?)</tr>', html, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows
    ]


def test_side_by_side_shows_the_three_points_and_the_change(app, manager, person):
    add_set(app, person.id, "entry", date(2024, 3, 1), values=(1, 2, 3, 4, 5, 3, 4, 2))
    add_set(app, person.id, "one_year", date(2025, 3, 1), values=(2, 2, 3, 4, 5, 3, 4, 2))
    add_set(app, person.id, "exit", date(2025, 9, 1), values=(4, 2, 3, 3, 5, 3, 4, 5))

    html = page(manager, f"{URL}client/?client_id={person.id}")

    items = _cells(html, "item")
    assert len(items) == 8
    assert items[0][1:] == ["1", "2", "4", "+3"]
    assert items[1][1:] == ["2", "2", "2", "0"]
    assert items[3][1:] == ["4", "4", "3", "−1"]
    assert "Kuidas hindate oma elukvaliteeti üldiselt?" in items[0][0]
    assert _cells(html, "score")[0][1:] == ["3,00", "3,13", "3,63", "+0,63"]
    assert "01.03.2024" in html and "01.09.2025" in html


def test_side_by_side_compares_one_year_with_entry_before_exit_and_dashes_what_is_missing(app, manager, person):
    add_set(app, person.id, "entry", date(2024, 3, 1), values=(3,) * 8)
    add_set(app, person.id, "one_year", date(2025, 3, 1), values=(2,) * 8)

    html = page(manager, f"{URL}client/?client_id={person.id}")

    assert _cells(html, "item")[0][1:] == ["3", "2", "—", "−1"]
    assert _cells(html, "score")[0][1:] == ["3,00", "2,00", "—", "−1,00"]


def test_side_by_side_with_only_entry_has_no_change(app, manager, person):
    add_set(app, person.id, "entry", date(2024, 3, 1), values=(3,) * 8)

    html = page(manager, f"{URL}client/?client_id={person.id}")

    assert _cells(html, "item")[0][1:] == ["3", "—", "—", "—"]
    assert _cells(html, "score")[0][1:] == ["3,00", "—", "—", "—"]
    assert f"client_id={person.id}&amp;point=one_year" in html, "a link adds the missing point"


def test_side_by_side_shows_only_that_client(app, manager, person):
    other = make(app, create_client, status="active")
    add_set(app, other.id, "entry", date(2024, 3, 1), values=(5,) * 8)

    html = page(manager, f"{URL}client/?client_id={person.id}")

    assert _cells(html, "score")[0][1:] == ["—", "—", "—", "—"]
    assert manager.get(f"{URL}client/?client_id=999999").status_code == 404


def test_the_add_link_preselects_client_and_point(app, manager, person):
    add_set(app, person.id, "entry", date(2024, 3, 1))

    html = page(manager, f"{URL}new/?client_id={person.id}&point=one_year")

    values = form_values(html)
    assert values["client"] == [str(person.id)] and values["point"] == ["one_year"]


# --- Questionnaires ----------------------------------------------------------------------------


def instrument_data(**changes) -> dict:
    data = {
        "name": "Lühike küsimustik",
        "scale_min": "0",
        "scale_max": "3",
        "scale_note": "0 – üldse mitte … 3 – väga",
        "active": "y",
        "items-0-position": "1",
        "items-0-text": "Kuidas läheb?",
        "items-1-position": "2",
        "items-1-text": "Kas magate hästi?",
    }
    data.update(changes)
    return data


def test_a_new_questionnaire_gives_the_form_its_items_and_scale(app, client, person):
    head = signed_in(app, client, "head")
    saved(post_form(head, INSTRUMENTS + "new/", instrument_data()))
    instrument = fetch(app, Instrument, Instrument.name == "Lühike küsimustik")
    ids = item_ids(app, instrument.id)
    assert len(ids) == 2

    html = page(head, f"{URL}new/?client_id={person.id}&instrument_id={instrument.id}")
    assert "Kas magate hästi?" in html and f'id="item_{ids[0]}-3"' in html and f'id="item_{ids[0]}-4"' not in html

    data = new(app, person.id)
    data = {k: v for k, v in data.items() if not k.startswith("item_")}
    data.update({f"item_{ids[0]}": "0", f"item_{ids[1]}": "3"})
    saved(post_form(head, f"{URL}new/?instrument_id={instrument.id}", data))
    s = fetch(app, QolAnswerSet)
    assert (s.instrument_id, s.score) == (instrument.id, Decimal("1.50"))


def test_the_client_keeps_the_questionnaire_of_the_first_point(app, manager, person):
    other_id = own_instrument(app, texts=("Ainus küsimus",))
    add_set(app, person.id, "entry", date(2024, 3, 1), values=(4,), instrument_id=other_id)
    (only,) = item_ids(app, other_id)

    html = page(manager, f"{URL}new/?client_id={person.id}&point=one_year")
    assert "Ainus küsimus" in html and "Kui rahul olete oma elukohaga?" not in html

    # Answers to the active questionnaire come back as the client's questionnaire, nothing saved.
    response = post_form(manager, URL + "new/", new(app, person.id, point="one_year", day=date(2025, 3, 1)))
    refused(response, f"item_{only}")
    assert "Ainus küsimus" in response.get_data(as_text=True)
    # Asked for explicitly, another questionnaire is refused: the points would not compare.
    url = f"{URL}new/?instrument_id=1"
    response = post_form(manager, url, new(app, person.id, point="one_year", day=date(2025, 3, 1)))
    refused(response, "client")
    assert count(app, QolAnswerSet) == 1

    saved(post_form(manager, URL + "new/", {**new(app, person.id, point="exit", values=()), f"item_{only}": "5"}))
    assert count(app, QolAnswerSet) == 2


def test_a_used_questionnaire_keeps_its_scale_and_items(app, client, person):
    head = signed_in(app, client, "head")
    used = own_instrument(app)
    add_set(app, person.id, "entry", date(2024, 3, 1), values=(1, 2, 3), instrument_id=used)
    before = snapshot(app, Instrument, InstrumentItem)
    edit = f"{INSTRUMENTS}edit/?id={used}"
    locked = "Answers were given with this questionnaire, so its scale and items cannot change"

    response = submit(head, edit, {"scale_max": "7"})
    refused(
        response,
        "scale_max",
        shown(app, locked + " (the item texts may be corrected). Make a new questionnaire instead."),
    )
    refused(submit(head, edit, {"scale_min": "0"}), "scale_min")
    refused(submit(head, edit, {"del-items-2": "y"}), "items")
    refused(submit(head, edit, {"items-3-position": "4", "items-3-text": "Uus küsimus"}), "items")
    assert snapshot(app, Instrument, InstrumentItem) == before

    # A text may still be corrected.
    saved(submit(head, edit, {"items-0-text": "Esimene küsimus"}))
    assert fetch(app, InstrumentItem, InstrumentItem.position == 1, InstrumentItem.instrument_id == used).text == (
        "Esimene küsimus"
    )


def test_a_used_questionnaire_cannot_be_deleted(app, client, person):
    from tests.admin_app.helpers import delete

    head = signed_in(app, client, "head")
    used = own_instrument(app)
    add_set(app, person.id, "entry", date(2024, 3, 1), values=(1, 2, 3), instrument_id=used)

    html = delete(head, INSTRUMENTS, used).get_data(as_text=True)

    message = shown(app, "Answers were given with this questionnaire, so it cannot be deleted.")
    assert any(message in a for a in alerts(html))
    assert count(app, Instrument, Instrument.id == used) == 1
    assert count(app, InstrumentItem, InstrumentItem.instrument_id == used) == 3


def test_an_unused_questionnaire_may_change_or_go(app, client):
    from tests.admin_app.helpers import delete

    head = signed_in(app, client, "head")
    unused = own_instrument(app)

    saved(submit(head, f"{INSTRUMENTS}edit/?id={unused}", {"scale_max": "7", "del-items-2": "y"}))

    instrument = fetch(app, Instrument, Instrument.id == unused)
    assert instrument.scale_max == 7 and len(item_ids(app, unused)) == 2
    delete(head, INSTRUMENTS, unused)
    assert count(app, Instrument, Instrument.id == unused) == 0


def test_a_scale_must_rise(app, client):
    head = signed_in(app, client, "head")

    refused(post_form(head, INSTRUMENTS + "new/", instrument_data(scale_min="3", scale_max="3")), "scale_max")
    assert count(app, Instrument) == 1


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["head", "case_manager"])
def test_case_workers_read_and_write_the_answers(app, client, person, role):
    user = signed_in(app, client, role)
    set_id = add_set(app, person.id, "entry", date(2024, 3, 1))

    for url in (URL, f"{URL}details/?id={set_id}", f"{URL}client/?client_id={person.id}", f"{URL}new/"):
        page(user, url)
    saved(post_form(user, URL + "new/", new(app, person.id, point="exit", day=date(2025, 1, 1))))


@pytest.mark.parametrize("role", ["accountant", "registrar"])
def test_accountant_and_registrar_see_none_of_it(app, client, person, role):
    user = signed_in(app, client, role)
    set_id = add_set(app, person.id, "entry", date(2024, 3, 1))

    for url in (
        URL,
        f"{URL}details/?id={set_id}",
        f"{URL}client/?client_id={person.id}",
        f"{URL}new/",
        f"{URL}edit/?id={set_id}",
        INSTRUMENTS,
    ):
        assert user.get(url).status_code == 403, url


def test_case_managers_read_the_questionnaires_but_do_not_change_them(app, manager):
    html = page(manager, INSTRUMENTS)
    assert "Elukvaliteedi küsimustik (8 küsimust)" in html
    page(manager, f"{INSTRUMENTS}details/?id=1")
    assert manager.get(f"{INSTRUMENTS}edit/?id=1").status_code == 403
    assert manager.get(f"{INSTRUMENTS}new/").status_code == 403
