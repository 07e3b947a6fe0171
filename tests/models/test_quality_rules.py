"""Quality-of-life rules: the score, an answer set's checks, the questionnaire lock and the one-year due list."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from models import Instrument, InstrumentItem, QolAnswer, QolAnswerSet, answer_set_errors, one_year_due
from models.quality import compute_score, instrument_delete_errors, instrument_errors
from tests.conftest import create_client

TODAY = date.today()
pytestmark = pytest.mark.usefixtures("shipped_questionnaire")


def default_instrument(db) -> Instrument:
    return db.session.get(Instrument, 1)


def answer_set(db, client, point="entry", day=date(2025, 3, 1), values=(3,) * 8, instrument=None, commit=True):
    instrument = instrument or default_instrument(db)
    s = QolAnswerSet(client=client, instrument=instrument, point=point, answered_on=day)
    s.answers = [QolAnswer(item=i, value=v) for i, v in zip(instrument.items, values, strict=False)]
    if commit:
        assert answer_set_errors(s) == {}
        db.session.add(s)
        db.session.commit()
    return s


# --- The score -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, score",
    [
        ([1, 2, 3, 4, 5, 3, 4, 2], "3.00"),
        ([5, 4, 4, 4, 4, 4, 4, 4], "4.13"),  # 4.125 rounds half up
        ([1, 1, 1, 1, 1, 1, 1, 2], "1.13"),
        ([5] * 8, "5.00"),
        ([2, 3], "2.50"),
        ([1, 2, 2], "1.67"),
    ],
)
def test_the_score_is_the_mean_of_the_answers(values, score):
    assert compute_score(values) == Decimal(score)


def test_answer_set_errors_computes_the_score_in_place(ctx):
    db = ctx
    s = answer_set(db, create_client(status="active"), values=(1, 2, 3, 4, 5, 3, 4, 2), commit=False)
    s.score = Decimal("5.00")

    assert answer_set_errors(s) == {}
    assert s.score == Decimal("3.00")


# --- An answer set's checks ----------------------------------------------------------------------


def test_every_item_is_answered(ctx):
    db = ctx
    s = answer_set(db, create_client(status="active"), values=(3,) * 6, commit=False)

    errors = answer_set_errors(s)

    assert "answers" in errors and "2" in errors["answers"]
    assert s.score is None


@pytest.mark.parametrize("bad", [0, 6, -1, 50])
def test_answers_stay_on_the_scale(ctx, bad):
    db = ctx
    s = answer_set(db, create_client(status="active"), values=(3,) * 7 + (bad,), commit=False)

    assert "1" in answer_set_errors(s)["answers"] and "5" in answer_set_errors(s)["answers"]


def test_answers_to_another_questionnaire_are_refused(ctx):
    db = ctx
    other = Instrument(name="Muu", scale_min=1, scale_max=5)
    other.items = [InstrumentItem(position=1, text="Muu küsimus")]
    db.session.add(other)
    db.session.flush()
    s = answer_set(db, create_client(status="active"), commit=False)
    s.answers.append(QolAnswer(item=other.items[0], value=3))

    assert "answers" in answer_set_errors(s)


def test_one_answer_set_per_client_per_point(ctx):
    db = ctx
    person = create_client(status="active")
    answer_set(db, person, "entry", date(2025, 3, 1))

    again = answer_set(db, person, "entry", date(2025, 3, 2), commit=False)
    assert "point" in answer_set_errors(again)

    other = answer_set(db, create_client(status="active"), "entry", date(2025, 3, 2), commit=False)
    assert answer_set_errors(other) == {}


def test_the_database_refuses_a_duplicate_point_too(ctx):
    db = ctx
    person = create_client(status="active")
    answer_set(db, person, "entry", date(2025, 3, 1))
    db.session.add(answer_set(db, person, "entry", date(2025, 3, 2), commit=False))

    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_editing_an_answer_set_does_not_clash_with_itself(ctx):
    db = ctx
    s = answer_set(db, create_client(status="active"), "entry", date(2025, 3, 1))
    s.answered_on = date(2025, 3, 5)
    s.answers[0].value = 5

    assert answer_set_errors(s) == {}
    assert s.score == Decimal("3.25")


@pytest.mark.parametrize(
    "stored, new, ok",
    [
        (("entry", date(2025, 3, 1)), ("one_year", date(2026, 3, 1)), True),
        (("entry", date(2025, 3, 1)), ("one_year", date(2025, 3, 1)), True),  # same day is not out of order
        (("entry", date(2025, 3, 1)), ("one_year", date(2025, 2, 28)), False),
        (("entry", date(2025, 3, 1)), ("exit", date(2025, 2, 1)), False),
        (("one_year", date(2026, 3, 1)), ("entry", date(2026, 3, 2)), False),
        (("one_year", date(2026, 3, 1)), ("exit", date(2026, 2, 1)), False),
        (("exit", date(2026, 3, 1)), ("one_year", date(2026, 4, 1)), False),
        (("exit", date(2026, 3, 1)), ("entry", date(2025, 4, 1)), True),
    ],
)
def test_points_go_in_order_by_date(ctx, stored, new, ok):
    db = ctx
    person = create_client(status="active")
    answer_set(db, person, *stored)

    errors = answer_set_errors(answer_set(db, person, *new, commit=False))

    assert (errors == {}) is ok
    if not ok:
        assert f"{stored[1]:%d.%m.%Y}" in errors["answered_on"]


def test_a_future_date_is_refused(ctx):
    db = ctx
    s = answer_set(db, create_client(status="active"), day=date.today() + timedelta(days=1), commit=False)

    assert "answered_on" in answer_set_errors(s)


def test_all_points_of_a_client_use_one_questionnaire(ctx):
    db = ctx
    other = Instrument(name="Teine", scale_min=1, scale_max=5)
    other.items = [InstrumentItem(position=1, text="Ainus")]
    db.session.add(other)
    person = create_client(status="active")
    answer_set(db, person, "entry", date(2025, 3, 1))

    s = answer_set(db, person, "one_year", date(2026, 3, 1), values=(4,), instrument=other, commit=False)

    assert "client" in answer_set_errors(s)


def test_no_client_or_no_point(ctx):
    db = ctx
    s = answer_set(db, None, commit=False)
    assert "client" in answer_set_errors(s)

    s = answer_set(db, create_client(status="active"), point=None, commit=False)
    assert "point" in answer_set_errors(s)


# --- The questionnaire ---------------------------------------------------------------------------


def own_instrument(db, n=3, lo=1, hi=5) -> Instrument:
    instrument = Instrument(name=f"Küsimustik {n}", scale_min=lo, scale_max=hi)
    instrument.items = [InstrumentItem(position=p, text=f"Küsimus {p}") for p in range(1, n + 1)]
    db.session.add(instrument)
    db.session.commit()
    return instrument


def test_an_unused_questionnaire_may_change(ctx):
    db = ctx
    instrument = own_instrument(db)
    instrument.scale_max = 7
    db.session.delete(instrument.items[2])
    instrument.items.append(InstrumentItem(position=9, text="Uus"))

    assert instrument_errors(instrument) == {}
    assert instrument_delete_errors(instrument) == {}


def test_a_used_questionnaire_keeps_its_scale_and_items(ctx):
    db = ctx
    instrument = own_instrument(db)
    answer_set(db, create_client(status="active"), values=(1, 2, 3), instrument=instrument)

    instrument.items[0].text = "Parandatud tekst"
    instrument.name = "Uus nimi"
    assert instrument_errors(instrument) == {}, "texts and the name may be corrected"

    instrument.scale_max = 7
    assert set(instrument_errors(instrument)) == {"scale_min", "scale_max"}
    instrument.scale_max = 5

    db.session.delete(instrument.items[2])
    assert "items" in instrument_errors(instrument)
    db.session.rollback()

    instrument.items.append(InstrumentItem(position=4, text="Uus"))
    assert "items" in instrument_errors(instrument)
    db.session.rollback()

    assert "items" in instrument_delete_errors(instrument)


def test_a_scale_rises_and_has_at_most_eleven_steps(ctx):
    db = ctx
    assert "scale_max" in instrument_errors(Instrument(name="a", scale_min=3, scale_max=3, items=[]))
    assert "scale_max" in instrument_errors(Instrument(name="b", scale_min=5, scale_max=1, items=[]))
    assert "scale_max" in instrument_errors(Instrument(name="c", scale_min=0, scale_max=11, items=[]))
    ten = Instrument(name="d", scale_min=0, scale_max=10, items=[InstrumentItem(position=1, text="x")])
    assert instrument_errors(ten) == {}
    db.session.expunge_all()


def test_a_questionnaire_has_items_on_distinct_positions(ctx):
    db = ctx
    assert "items" in instrument_errors(Instrument(name="a", scale_min=1, scale_max=5, items=[]))
    twice = [InstrumentItem(position=1, text="x"), InstrumentItem(position=1, text="y")]
    assert "items" in instrument_errors(Instrument(name="b", scale_min=1, scale_max=5, items=twice))
    db.session.expunge_all()


def test_the_shipped_questionnaire_has_eight_items_on_a_one_to_five_scale(ctx):
    db = ctx
    instrument = default_instrument(db)
    assert (instrument.scale_min, instrument.scale_max, instrument.active) == (1, 5, True)
    assert [i.position for i in instrument.items] == list(range(1, 9))


# --- The one-year due list -----------------------------------------------------------------------


def due_names(within_days=30, today=TODAY):
    return [(c.last_name, day) for c, day in one_year_due(within_days, today=today)]


def entered(db, name, day, status="active", **more):
    extra = {}
    if status == "exited":
        extra = {"exit_date": TODAY, "exit_reason": "goals_met"}
    person = create_client(status=status, last_name=name, **extra)
    answer_set(db, person, "entry", day)
    for point, when in more.items():
        answer_set(db, person, point, when)
    return person


def test_entry_eleven_months_and_five_days_ago_is_due_within_thirty_days(ctx):
    db = ctx
    day = TODAY - relativedelta(months=11, days=5)
    entered(db, "Soon", day)

    ((name, due),) = due_names()
    assert name == "Soon" and due == day + relativedelta(years=1)
    assert TODAY < due <= TODAY + timedelta(days=30)


def test_entry_thirteen_months_ago_is_overdue(ctx):
    db = ctx
    day = TODAY - relativedelta(months=13)
    entered(db, "Late", day)

    ((name, due),) = due_names()
    assert name == "Late" and due == day + relativedelta(years=1) and due < TODAY


def test_entry_recently_is_not_due_yet(ctx):
    db = ctx
    entered(db, "Recent", TODAY - relativedelta(months=6))
    entered(db, "TenMonths", TODAY - relativedelta(months=10))

    assert due_names() == []


def test_a_client_with_the_one_year_point_is_not_listed(ctx):
    db = ctx
    entered(db, "Done", TODAY - relativedelta(months=13), one_year=TODAY - timedelta(days=10))

    assert due_names() == []


def test_a_client_with_the_exit_point_is_not_listed(ctx):
    db = ctx
    entered(db, "Leaving", TODAY - relativedelta(months=13), exit=TODAY - timedelta(days=10))

    assert due_names() == []


def test_an_exited_client_is_not_listed(ctx):
    db = ctx
    entered(db, "Gone", TODAY - relativedelta(months=13), status="exited")

    assert due_names() == []


def test_a_paused_client_is_listed_and_an_applicant_is_not(ctx):
    db = ctx
    entered(db, "Paused", TODAY - relativedelta(months=13), status="paused")
    entered(db, "Applicant", TODAY - relativedelta(months=13), status="applicant")

    assert [name for name, _ in due_names()] == ["Paused"]


def test_a_client_without_entry_answers_is_not_listed(ctx):
    create_client(status="active", last_name="NoAnswers")

    assert due_names() == []


def test_the_window_ends_on_its_last_day(ctx):
    db = ctx
    entered(db, "Edge", TODAY + timedelta(days=30) - relativedelta(years=1))
    entered(db, "Beyond", TODAY + timedelta(days=31) - relativedelta(years=1))

    assert [name for name, _ in due_names()] == ["Edge"]
    assert [name for name, _ in due_names(within_days=31)] == ["Edge", "Beyond"]
    assert due_names(within_days=0) == []


def test_the_list_runs_from_the_most_overdue(ctx):
    db = ctx
    entered(db, "Soon", TODAY - relativedelta(months=11, days=5))
    entered(db, "VeryLate", TODAY - relativedelta(months=20))
    entered(db, "Late", TODAY - relativedelta(months=13))

    assert [name for name, _ in due_names()] == ["VeryLate", "Late", "Soon"]


def test_today_defaults_to_the_real_date(ctx):
    db = ctx
    entered(db, "Late", date.today() - relativedelta(months=13))

    assert [c.last_name for c, _ in one_year_due()] == ["Late"]
