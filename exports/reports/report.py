"""What a report is made of: tables of typed columns, each with an optional chart, and the list of
reports (``REPORTS``) that each report module adds itself to with ``register``."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from exports.tabular import Column


@dataclass(frozen=True)
class Chart:
    """A chart of a table: categories from one column, one series per value column."""

    kind: str = "column"  # "column" (vertical bars) or "bar" (horizontal)
    category: int = 0
    values: tuple[int, ...] = (1,)
    stacked: bool = False


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list]
    chart: Chart | None = None
    note: str = ""
    #: Per row and column, a colour class for the screen and the workbook (e.g. "danger"), or None.
    shades: list[list[str | None]] | None = None

    def column(self, label: str) -> list:
        """The values of the column headed ``label``."""
        at = [c.label for c in self.columns].index(label)
        return [row[at] for row in self.rows]

    def row(self, first: str) -> list:
        """The row whose first cell is ``first``."""
        return next(r for r in self.rows if str(r[0]) == first)


@dataclass
class Report:
    key: str
    title: str
    start: date
    end: date
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: object  # a lazy string
    description: object
    build: Callable[[date, date], Report]


REPORTS: dict[str, ReportKind] = {}


def register(key: str, title, description):
    """Decorator: list a report builder under ``key``."""

    def wrap(build):
        REPORTS[key] = ReportKind(key, title, description, build)
        return build

    return wrap


def mean(total, count, places: str = "0.01") -> Decimal | None:
    """``total / count`` to two decimals, half up, in Decimal arithmetic.

    The database gives the sum of two-decimal figures (a Decimal on PostgreSQL, a float with binary
    noise on SQLite): it is put back to cents before dividing, so both give the same mean, exactly."""
    if not count or total is None:
        return None
    exact = Decimal(str(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return (exact / count).quantize(Decimal(places), rounding=ROUND_HALF_UP)
