"""Registration numbers of letters: a yearly sequence in a configurable format, unique under concurrency."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class LetterCounter(db.Model):
    """The last registration number given in a year; its row is locked while a number is taken."""

    __tablename__ = "letter_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


def next_number(year: int, number_format: str | None = None) -> str:
    """Take the next registration number of ``year`` (e.g. ``7-1/2026/15``) in the caller's transaction.

    The year's counter row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite lets one writer at
    a time anyway) until the transaction ends, so two registrars never get the same number; a
    transaction rolled back gives its number back."""
    if number_format is None:
        from flask import current_app

        number_format = current_app.config["LETTER_NUMBER_FORMAT"]
    session = db.session
    # A letter being registered may already be in the session: it is written once it has its number.
    with session.no_autoflush:
        # The year's first letter creates the row; when another registrar got there first, theirs is kept.
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(insert(LetterCounter).values(year=year, last=0).on_conflict_do_nothing(index_elements=["year"]))
        # Read and bumped as plain values: several letters may be numbered in one transaction.
        this_year = LetterCounter.year == year
        last = session.execute(sa.select(LetterCounter.last).where(this_year).with_for_update()).scalar_one() + 1
        session.execute(sa.update(LetterCounter).where(this_year).values(last=last))
    return number_format.format(year=year, n=last)


def check_number_format(number_format: str) -> str:
    """The format of registration numbers, refused at start-up when it lacks ``{n}`` or does not format."""
    if "{n}" not in number_format:
        raise RuntimeError("LETTER_NUMBER_FORMAT must contain {n}, e.g. 7-1/{year}/{n}")
    try:
        number_format.format(year=2026, n=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise RuntimeError(f"LETTER_NUMBER_FORMAT {number_format!r} does not format: {exc}") from None
    return number_format
