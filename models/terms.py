"""Tähtajad: counting a term in calendar days, working days and months (TsÜS §§ 134–137).

A term counted from an event starts on the day after it; a term that would end on a weekend day
or an Estonian public holiday ends on the next working day (§ 136 lg 8). Holidays come from the
``holidays`` package (pühade ja tähtpäevade seadus), never from a list kept here.
"""

from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta


@lru_cache(maxsize=32)
def public_holidays(year: int) -> frozenset[date]:
    """Estonian public holidays (riigipühad) of ``year``."""
    return frozenset(holidays.country_holidays("EE", years=year))


def is_working_day(day: date) -> bool:
    """Tööpäev: Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in public_holidays(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_calendar_days(start: date, days: int) -> date:
    """The end of a term of ``days`` calendar days from ``start``, moved off weekends and holidays."""
    return next_working_day(start + timedelta(days=days))


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start``."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def add_months(start: date, months: int) -> date:
    """The end of a term of ``months`` months from ``start``: the same day of the last month (or that
    month's last day when it has none, e.g. 31.12. + 2 months = 28.02./29.02.), moved off holidays."""
    return next_working_day(start + relativedelta(months=months))


@dataclass(frozen=True)
class LetterTerms:
    """The day counts of the law on letters, read from the settings (the law is under review)."""

    #: Märgukiri, selgitustaotlus: answered within this many calendar days of registration.
    answer_days: int = 30
    #: ... extendable up to this many months from registration.
    extended_months: int = 2
    #: A letter for another body is forwarded within this many working days.
    forward_working_days: int = 5
    #: Teabenõue (AvTS § 18): answered within this many working days ...
    information_working_days: int = 5
    #: ... extendable to this many working days from registration.
    information_extended_working_days: int = 15
    #: A letter due within this many working days is flagged and reminded of.
    warning_working_days: int = 5

    SETTINGS = {
        "answer_days": "LETTER_ANSWER_DAYS",
        "extended_months": "LETTER_EXTENDED_MONTHS",
        "forward_working_days": "LETTER_FORWARD_WORKING_DAYS",
        "information_working_days": "INFORMATION_REQUEST_WORKING_DAYS",
        "information_extended_working_days": "INFORMATION_REQUEST_EXTENDED_WORKING_DAYS",
        "warning_working_days": "LETTER_WARNING_WORKING_DAYS",
    }

    @classmethod
    def from_config(cls, config) -> "LetterTerms":
        """The terms as the app's settings give them (the defaults above where a setting is missing)."""
        values = {f.name: int(config[cls.SETTINGS[f.name]]) for f in fields(cls) if cls.SETTINGS[f.name] in config}
        return cls(**values)


def current_terms() -> LetterTerms:
    """The terms of the running app, or the law's defaults outside one."""
    from flask import current_app, has_app_context

    return LetterTerms.from_config(current_app.config) if has_app_context() else LetterTerms()
