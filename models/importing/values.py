"""What a spreadsheet cell means: a date, a euro amount, yes or no, a choice, a text — read the way
people write them (dd.mm.yyyy or an Excel date, "1 234,50 €", "Jah", a choice's Estonian or English
label or its code). A cell that is none of what its column takes raises ``CellError`` with the
message the person will see on that cell."""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..base import CENT, EARLIEST_DAY, LATEST_DAY, YES_NO, Choice, day_in_range

#: What a spreadsheet may start a formula with: the export writes such a text with a leading
#: apostrophe in CSV (exports/tabular.py ``neutralise``); the apostrophe is taken off again here.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Day 0 of Excel's date numbers (1900 system, with its leap-year quirk already counted in).
EXCEL_EPOCH = date(1899, 12, 30)
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y")
YES = frozenset({"jah", "yes", "true", "1", "x", "tõene"})
NO = frozenset({"ei", "no", "false", "0", "väär"})
LANGUAGES = ("et", "en")


class CellError(ValueError):
    """A cell that cannot be read as what its column holds; the message is for the person."""


def empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and raw == "")


def text(raw, *, from_csv: bool = False) -> str | None:
    """A text cell exactly as written (no trimming: the text rule of models/text.py decides)."""
    if empty(raw):
        return None
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a code typed into Excel as a number: 10137025.0 is "10137025"
    if isinstance(raw, datetime | date):
        return f"{raw:%d.%m.%Y}"
    value = str(raw)
    if from_csv and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def code(raw) -> str | None:
    """A code (personal, registry, reference number): a text with the spaces around it dropped."""
    value = text(raw)
    return value.strip() if value is not None else None


def day(raw) -> date | None:
    """A date as dd.mm.yyyy (or ISO), or a date (number) as Excel keeps it."""
    if empty(raw):
        return None
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        if not 1 <= raw < 2958466:
            raise CellError(_l("Give a date as dd.mm.yyyy, e.g. 24.02.2026."))
        value = EXCEL_EPOCH + timedelta(days=int(raw))
    else:
        value = _parse_date(str(raw).strip())
    if not day_in_range(value):
        raise CellError(
            _l(
                "Give a date between %(first)s and %(last)s.",
                first=f"{EARLIEST_DAY:%d.%m.%Y}",
                last=f"{LATEST_DAY:%d.%m.%Y}",
            )
        )
    return value


def _parse_date(value: str) -> date | None:
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise CellError(_l("Give a date as dd.mm.yyyy, e.g. 24.02.2026."))


def money(raw) -> Decimal | None:
    """A euro amount: a number, or text such as "1 234,50 €", "1234.50" or "1,234.50"."""
    if empty(raw):
        return None
    if isinstance(raw, bool):
        raise CellError(_l("Give a number such as 1234,50."))
    if isinstance(raw, int | float | Decimal):
        # str() first: a float read from a workbook (12.1) becomes the Decimal it shows, not 12.0999…
        value = Decimal(str(raw))
    else:
        value = _parse_amount(str(raw))
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise CellError(_l("Give a number such as 1234,50."))
    rounded = value.quantize(CENT)
    if rounded != value:
        raise CellError(_l("Give at most two decimal places (cents)."))
    return rounded


def _parse_amount(value: str) -> Decimal | None:
    for mark in ("\u00a0", "\u202f", " ", "€", "EUR", "eur"):
        value = value.replace(mark, "")
    if not value:
        return None
    if "," in value and "." in value:
        # Both marks: the last one is the decimal mark, the other groups thousands.
        thousands = "." if value.rfind(",") > value.rfind(".") else ","
        value = value.replace(thousands, "")
    value = value.replace(",", ".")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CellError(_l("Give a number such as 1234,50.")) from None


def yes_no(raw) -> bool | None:
    """Yes or no: Jah/Ei, Yes/No, 1/0, true/false (an Excel TRUE/FALSE too)."""
    if empty(raw):
        return None
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().casefold()
    if isinstance(raw, int | float):
        value = "1" if raw == 1 else "0" if raw == 0 else value
    if value in YES:
        return True
    if value in NO:
        return False
    raise CellError(_l("Write Jah or Ei (Yes or No)."))


class Choices:
    """A closed list of choices, found by its code or its label in Estonian or English (any case)."""

    def __init__(self, choice_cls):
        self.choice_cls = choice_cls
        self.by_text: dict[str, object] = {}
        for member in choice_cls:
            self.by_text[member.value.casefold()] = member
        for language in LANGUAGES:
            with force_locale(language):
                for member in choice_cls:
                    self.by_text.setdefault(str(member.label).strip().casefold(), member)

    def __call__(self, raw):
        if empty(raw):
            return None
        member = self.by_text.get(str(raw).strip().casefold())
        if member is None:
            raise CellError(
                _l("Not one of the choices: %(choices)s.", choices=", ".join(str(m.label) for m in self.choice_cls))
            )
        return member


def same(old, new) -> bool:
    """True when a stored value and an imported one are the same (an empty text is no text)."""
    if old == "":
        old = None
    if new == "":
        new = None
    return old == new


def shown_cell(raw):
    """A cell of an error row as it is kept for the errors workbook (JSON): numbers stay numbers."""
    if raw is None or isinstance(raw, bool | int | float | str):
        return raw
    if isinstance(raw, datetime | date):
        return f"{raw:%d.%m.%Y}"
    return str(raw)


def shown(value) -> str:
    """A value as the preview shows it, old and new alike."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(YES_NO[value])
    if isinstance(value, Choice):
        return str(value.label)
    if hasattr(value, "strftime"):
        return f"{value:%d.%m.%Y}"
    if hasattr(value, "quantize"):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


class SeveralChoices:
    """Several choices in one cell, separated by commas or semicolons, each by its label in either
    language or by its code (a provider's kinds, a user's roles). Subclasses fill ``by_text``
    ({text casefolded: value}) and ``choices`` (the labels a message lists)."""

    by_text: dict
    empty = frozenset()

    def choices(self) -> str:
        raise NotImplementedError

    def __call__(self, raw):
        written = text(raw)
        if written is None or not written.strip():
            return self.empty
        found = set()
        for part in written.replace(";", ",").split(","):
            if part.strip():
                value = self.by_text.get(part.strip().casefold())
                if value is None:
                    raise CellError(_l("Not one of the choices: %(choices)s.", choices=self.choices()))
                found.add(value)
        return frozenset(found)
