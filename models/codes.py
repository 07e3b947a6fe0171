"""Identifiers of the field: isikukood, registrikood, IBAN, checked with python-stdnum."""

from datetime import date
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from stdnum import iban as stdnum_iban
from stdnum.ee import ik, registrikood
from stdnum.exceptions import ValidationError as StdnumError


class CodeError(ValueError):
    """A code that is not valid; the message is meant for the person who typed it."""


@lru_cache(maxsize=4096)
def _valid_personal_code(value: str) -> str:
    # Remembered for the last few thousand codes: an import checks each code twice (as the row's
    # match key, then in the form's rule), and python-stdnum's check costs ~0.1 ms (10 s in 100,000
    # rows). A code that is not valid raises, and a raise is not remembered.
    return ik.validate(value)


def personal_code(value: str) -> str:
    """Isikukood: 11 digits with a valid birth date and check digit; returns it compacted."""
    value = (value or "").strip()
    try:
        return _valid_personal_code(value)
    except StdnumError:
        raise CodeError(
            _l("Not a valid Estonian personal ID code (isikukood): 11 digits with a valid birth date and check digit.")
        ) from None


def birth_date(code: str) -> date:
    """The birth date an isikukood encodes."""
    return ik.get_birth_date(code)


def sex(code: str) -> str:
    """'M' or 'F', as the isikukood encodes it."""
    return ik.get_gender(code)


def registry_code(value: str) -> str:
    """Registrikood: 8 digits with a valid check digit; returns it compacted."""
    value = (value or "").strip()
    try:
        return registrikood.validate(value)
    except StdnumError:
        raise CodeError(
            _l("Not a valid Estonian registry code (registrikood): 8 digits with a valid check digit.")
        ) from None


def iban(value: str) -> str:
    """IBAN with a valid country format and checksum; returns it compacted, upper case."""
    value = (value or "").strip()
    try:
        return stdnum_iban.validate(value)
    except StdnumError:
        raise CodeError(_l("Not a valid IBAN (check the country code, length and check digits).")) from None


def format_iban(value: str | None) -> str:
    """An IBAN in groups of four, as it is printed on invoices."""
    return stdnum_iban.format(value) if value else ""


# Riikliku pensionikindlustuse seadus § 7: pension age by year of birth, (years, months).
_PENSION_AGE = {1960: (64, 0), 1961: (64, 3), 1962: (64, 6), 1963: (64, 9)}


def pension_age_date(born: date) -> date:
    """The day a person born on ``born`` reaches the old-age pension age."""
    if born.year <= 1960:
        years, months = _PENSION_AGE[1960]
    else:
        years, months = _PENSION_AGE.get(born.year, (65, 0))
    total = born.month - 1 + months
    year, month = born.year + years + total // 12, total % 12 + 1
    day = min(born.day, [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def age_on(born: date, on: date) -> int:
    """Full years of age on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def make_personal_code(born: date, sex: str, serial: int) -> str:
    """A valid isikukood for a birth date, sex ('M'/'F') and serial 0-999 (demo and test data)."""
    century = (born.year - 1800) // 100
    first = 1 + 2 * century + (1 if sex == "F" else 0)
    body = f"{first}{born:%y%m%d}{serial % 1000:03d}"
    return body + ik.calc_check_digit(body + "0")


def make_registry_code(prefix: str, serial: int) -> str:
    """A valid registrikood with a two-digit prefix (e.g. '10', '80', '90') and a serial."""
    body = f"{prefix}{serial % 100000:05d}"
    return body + registrikood.calc_check_digit(body + "0")


def make_iban(bank: str, account: int) -> str:
    """A valid Estonian IBAN for a two-digit bank code and an account number."""
    bban = f"{bank}{account:014d}"
    return "EE" + stdnum_iban.calc_check_digits("EE00" + bban) + bban
