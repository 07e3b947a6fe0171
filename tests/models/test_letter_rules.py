"""Letters: deadlines by law counted over weekends, month ends, leap days and Estonian holidays;
extensions within their limits; forwarding; late answers stay late; leaving unanswered needs a ground;
registration numbers run per year and never repeat, even when registrars register at once."""

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import Letter, RuleViolation, db, save_letter
from models.files import stored_file
from models.letters import extension_limit, forwarding_deadline, letter_errors, normal_deadline, settle
from models.terms import LetterTerms, add_working_days, is_working_day
from tests.conftest import create_letter

LATER = date(2029, 1, 1)  # "today" for the rules, so the dates below are never in the future


def _letter(registered_on: date, kind: str = "memorandum", **values) -> Letter:
    values = {"subject": "Teeremont", **values}
    return Letter(registered_on=registered_on, received_on=registered_on, kind=kind, **values)


# --- Counting the terms (no database) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "due"),
    [
        (date(2026, 10, 5), date(2026, 11, 4)),  # a plain Monday: 30 days later, a Wednesday
        (date(2026, 10, 1), date(2026, 11, 2)),  # ends on Saturday 31.10. -> Monday
        (date(2026, 1, 31), date(2026, 3, 2)),  # across the end of February, ends on a Monday
        (date(2028, 1, 30), date(2028, 2, 29)),  # a leap year: ends on the leap day itself
        (date(2027, 1, 30), date(2027, 3, 1)),  # the same in a common year: 1 March
        (date(2026, 11, 24), date(2026, 12, 28)),  # ends on Christmas Eve -> past 24.-27.12. to Monday
        (date(2026, 5, 24), date(2026, 6, 25)),  # ends on Victory Day 23.6., then Midsummer Day 24.6.
        (date(2026, 12, 20), date(2027, 1, 19)),  # registered on a Sunday before Christmas
    ],
)
def test_memorandum_is_due_30_calendar_days_after_registration(registered, due):
    assert normal_deadline(_letter(registered), LetterTerms()) == due
    assert normal_deadline(_letter(registered, kind="explanation"), LetterTerms()) == due


@pytest.mark.parametrize(
    ("registered", "due"),
    [
        (date(2026, 12, 20), date(2026, 12, 29)),  # 21, 22, 23 | 24-27 off | 28, 29
        (date(2026, 6, 20), date(2026, 6, 30)),  # Saturday; 22 | 23, 24 holidays | 25, 26, 29, 30
        (date(2026, 3, 31), date(2026, 4, 8)),  # Good Friday 3.4. off, Easter Monday is a working day
        (date(2026, 10, 30), date(2026, 11, 6)),  # a Friday: the next week's Friday
    ],
)
def test_request_for_information_is_due_in_5_working_days(registered, due):
    assert normal_deadline(_letter(registered, kind="information"), LetterTerms()) == due


def test_holidays_come_from_the_holidays_package():
    for holiday in (date(2026, 2, 24), date(2026, 4, 3), date(2026, 6, 23), date(2026, 8, 20), date(2026, 12, 26)):
        assert not is_working_day(holiday)
    assert is_working_day(date(2026, 4, 6))  # Easter Monday is not a public holiday in Estonia
    assert add_working_days(date(2026, 8, 19), 1) == date(2026, 8, 21)


@pytest.mark.parametrize(
    ("registered", "kind", "limit"),
    [
        (date(2026, 10, 1), "memorandum", date(2026, 12, 1)),  # two months from registration
        (date(2026, 12, 31), "memorandum", date(2027, 3, 1)),  # 28.2.2027 is a Sunday
        (date(2027, 12, 31), "explanation", date(2028, 2, 29)),  # the leap day, a Tuesday
        (date(2026, 12, 20), "information", date(2027, 1, 13)),  # 15 working days over Christmas and New Year
    ],
)
def test_extension_limits(registered, kind, limit):
    assert extension_limit(_letter(registered, kind=kind), LetterTerms()) == limit


@pytest.mark.parametrize(
    ("registered", "by"),
    [
        (date(2026, 6, 19), date(2026, 6, 30)),
        (date(2026, 12, 18), date(2026, 12, 29)),
        (date(2026, 10, 1), date(2026, 10, 8)),
    ],
)
def test_forwarding_deadline_is_5_working_days(registered, by):
    assert forwarding_deadline(_letter(registered), LetterTerms()) == by


def test_day_counts_are_settings():
    shorter = LetterTerms(answer_days=15, information_working_days=3)
    assert normal_deadline(_letter(date(2026, 10, 1)), shorter) == date(2026, 10, 16)
    assert normal_deadline(_letter(date(2026, 10, 1), kind="information"), shorter) == date(2026, 10, 6)
    config = {"LETTER_ANSWER_DAYS": 15, "LETTER_FORWARD_WORKING_DAYS": 3}
    assert LetterTerms.from_config(config) == LetterTerms(answer_days=15, forward_working_days=3)


# --- Extensions --------------------------------------------------------------------------------


def _errors(letter: Letter) -> dict[str, str]:
    settle(letter, LATER, LetterTerms())
    return letter_errors(letter, LATER, LetterTerms())


def test_extension_up_to_two_months_with_reason_and_date_sender_told():
    told = {"extension_reason": "Vajab ekspertiisi", "sender_told_of_extension_on": date(2026, 10, 20)}
    assert _errors(_letter(date(2026, 10, 1), extended_until=date(2026, 12, 1), **told)) == {}
    too_far = _errors(_letter(date(2026, 10, 1), extended_until=date(2026, 12, 2), **told))
    assert "01.12.2026" in too_far["extended_until"]
    too_soon = _errors(_letter(date(2026, 10, 1), extended_until=date(2026, 11, 2), **told))
    assert "02.11.2026" in too_soon["extended_until"]
    bare = _errors(_letter(date(2026, 10, 1), extended_until=date(2026, 11, 20)))
    assert set(bare) == {"extension_reason", "sender_told_of_extension_on"}


def test_extension_with_only_a_reason_runs_to_the_legal_limit():
    letter = _letter(
        date(2026, 12, 20),
        kind="information",
        extension_reason="Palju dokumente",
        sender_told_of_extension_on=date(2026, 12, 22),
    )
    assert _errors(letter) == {}
    assert letter.extended_until == letter.due_on == date(2027, 1, 13)


def test_request_for_information_extends_to_15_working_days_only():
    told = {"extension_reason": "Palju dokumente", "sender_told_of_extension_on": date(2026, 12, 22)}
    assert "extended_until" in _errors(
        _letter(date(2026, 12, 20), "information", extended_until=date(2027, 1, 14), **told)
    )
    assert _errors(_letter(date(2026, 12, 20), "information", extended_until=date(2027, 1, 13), **told)) == {}


# --- Answers, forwarding, leaving unanswered ---------------------------------------------------


def test_answer_needs_date_number_and_text_or_file():
    letter = _letter(date(2026, 10, 1), status="answered")
    assert set(_errors(letter)) == {"answered_on", "outgoing_number", "answer_text"}
    letter = _letter(
        date(2026, 10, 1), status="answered", answered_on=date(2026, 10, 2), outgoing_number="7-1/2026/3-2"
    )
    assert set(_errors(letter)) == {"answer_text"}
    letter.answer_document = stored_file(b"%PDF-1.4 vastus", "vastus.pdf")
    assert _errors(letter) == {}


def test_answer_before_registration_is_refused():
    letter = _letter(
        date(2026, 10, 5), status="answered", answered_on=date(2026, 10, 2), outgoing_number="1", answer_text="Vastus"
    )
    assert "answered_on" in _errors(letter)


def test_late_answer_is_recorded_as_late_for_good(ctx):
    on_time = create_letter(registered_on=date(2026, 10, 1), today=LATER)
    late = create_letter(registered_on=date(2026, 10, 1), today=LATER)
    answer = {"status": "answered", "outgoing_number": "7-1/2026/1-2", "answer_text": "Vastame ..."}
    for letter, day in ((on_time, date(2026, 11, 2)), (late, date(2026, 11, 3))):
        for name, value in {**answer, "answered_on": day}.items():
            setattr(letter, name, value)
        save_letter(letter, LATER)
    db.session.commit()
    assert (on_time.due_on, on_time.late, late.late) == (date(2026, 11, 2), False, True)
    # Putting the date right afterwards, or extending the deadline, does not wash the lateness away.
    late.answered_on = date(2026, 11, 2)
    save_letter(late, LATER)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Letter, late.id).late is True


def test_forwarding_needs_body_date_and_sender_told_and_late_forwarding_is_recorded(ctx):
    letter = create_letter(registered_on=date(2026, 10, 1), today=LATER)
    letter.status = "forwarded"
    with pytest.raises(RuleViolation) as refused:
        save_letter(letter, LATER)
    assert set(refused.value.errors) == {"forwarded_to", "forwarded_on", "sender_told_of_forwarding_on"}
    letter.forwarded_to = "Sotsiaalkindlustusamet"
    letter.forwarded_on = letter.sender_told_of_forwarding_on = date(2026, 10, 8)
    save_letter(letter, LATER)
    assert letter.late is False
    other = create_letter(registered_on=date(2026, 10, 1), today=LATER)
    other.status, other.forwarded_to = "forwarded", "Maksu- ja Tolliamet"
    other.forwarded_on = other.sender_told_of_forwarding_on = date(2026, 10, 9)
    save_letter(other, LATER)
    assert other.late is True


def test_leaving_unanswered_needs_a_legal_ground(ctx):
    letter = create_letter(registered_on=date(2026, 10, 1), today=LATER)
    letter.status = "unanswered"
    with pytest.raises(RuleViolation) as refused:
        save_letter(letter, LATER)
    assert list(refused.value.errors) == ["unanswered_ground"]
    db.session.rollback()
    letter = db.session.get(Letter, letter.id)
    assert letter.status == "registered"
    letter.status, letter.unanswered_ground = "unanswered", "no_contact"
    save_letter(letter, LATER)
    db.session.commit()
    # The database itself refuses a letter left unanswered without a ground.
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Letter).where(Letter.id == letter.id).values(unanswered_ground=None))
        db.session.flush()
    db.session.rollback()


def test_assigning_puts_the_letter_in_progress(ctx):
    from admin_app.auth import create_user
    from tests.conftest import PASSWORD

    manager = create_user("jk@test.ee", PASSWORD, ["case_manager"], "Juhan Kask")
    letter = create_letter(registered_on=date(2026, 10, 1), today=LATER)
    assert letter.status == "registered"
    letter.answerer = manager
    save_letter(letter, LATER)
    assert letter.status == "in_progress"


# --- Access restriction --------------------------------------------------------------------------


def test_private_life_letter_is_restricted_by_default(ctx):
    letter = create_letter(registered_on=date(2026, 10, 1), private_life=True, today=LATER)
    assert (letter.restricted, letter.restriction_basis, letter.restricted_until) == (
        True,
        "AvTS § 35 lg 1 p 12",
        date(2101, 10, 1),
    )
    errors = _errors(_letter(date(2026, 10, 1), restricted=True))
    assert set(errors) == {"restriction_basis", "restricted_until"}


# --- Registration numbers ------------------------------------------------------------------------


def test_numbers_run_per_year_in_the_configured_format(app, ctx):
    first = create_letter(registered_on=date(2026, 10, 1), today=LATER)
    second = create_letter(registered_on=date(2026, 10, 2), today=LATER)
    next_year = create_letter(registered_on=date(2027, 1, 4), today=LATER)
    assert (first.number, second.number, next_year.number) == ("7-1/2026/1", "7-1/2026/2", "7-1/2027/1")
    app.config["LETTER_NUMBER_FORMAT"] = "{n}-K/{year}"
    try:
        assert create_letter(registered_on=date(2026, 10, 3), today=LATER).number == "3-K/2026"
    finally:
        app.config["LETTER_NUMBER_FORMAT"] = "7-1/{year}/{n}"


def test_a_refused_letter_takes_no_number(ctx):
    with pytest.raises(RuleViolation):
        save_letter(_letter(date(2026, 10, 1), subject=" "), LATER)
    db.session.rollback()
    assert create_letter(registered_on=date(2026, 10, 1), today=LATER).number == "7-1/2026/1"


def test_registrars_at_the_same_time_get_different_numbers(app):
    """Eight registrars register at once, each in their own session and transaction."""
    barrier = threading.Barrier(8)
    numbers, problems = [], []

    def register(n):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                letter = _letter(date(2026, 10, 1), subject=f"Kiri {n}")
                save_letter(letter, LATER)
                db.session.commit()
                numbers.append(letter.number)
            except Exception as exc:  # noqa: BLE001 - reported below
                problems.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert problems == []
    assert sorted(numbers, key=lambda s: int(s.rsplit("/", 1)[1])) == [f"7-1/2026/{n}" for n in range(1, 9)]


def test_several_letters_registered_in_one_transaction_get_consecutive_numbers(ctx):
    letters = [_letter(date(2026, 10, 1), subject=f"Kiri {n}") for n in range(3)]
    for letter in letters:
        save_letter(letter, LATER)
    db.session.commit()
    assert [x.number for x in letters] == ["7-1/2026/1", "7-1/2026/2", "7-1/2026/3"]


def test_the_apps_settings_give_the_deadlines(app, ctx):
    app.config["LETTER_ANSWER_DAYS"] = 15
    try:
        letter = create_letter(registered_on=date(2026, 10, 1), today=LATER)
    finally:
        app.config["LETTER_ANSWER_DAYS"] = 30
    assert letter.due_on == date(2026, 10, 16)


@pytest.mark.parametrize("number_format", ["7-1/{year}", "7-1/{year}/{n}/{x}", "{n"])
def test_a_number_format_without_the_sequence_is_refused_at_start_up(number_format):
    from admin_app import create_app

    with pytest.raises(RuntimeError, match="LETTER_NUMBER_FORMAT"):
        create_app("test", LETTER_NUMBER_FORMAT=number_format, SQLALCHEMY_DATABASE_URI="sqlite://")
