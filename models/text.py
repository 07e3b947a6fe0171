"""What any text typed into the registers may hold: the one rule every text field follows.

A text is stored exactly as typed — spaces, line breaks, markup, emoji, right-to-left marks and all —
with two exceptions, refused with a message rather than changed:

* the characters an XML file — and so a spreadsheet export — cannot hold: control characters other
  than tab, line feed and carriage return (U+0000–U+001F), and the non-characters U+FFFE, U+FFFF (and
  lone surrogates). Nobody types them, and PostgreSQL cannot hold NUL either;
* a required text that holds nothing but white space: a name of three spaces is no name.

The length limit is each column's own (``String(n)``)."""

import math
import re

from flask_babel import lazy_gettext as _l

#: What XML 1.0 cannot hold: C0 control characters other than tab (U+0009), line feed (U+000A) and
#: carriage return (U+000D), surrogates, U+FFFE and U+FFFF.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def control_character(text: str | None) -> str | None:
    """The first control character ``text`` may not hold, written as U+XXXX; None when there is none."""
    if not isinstance(text, str):
        return None
    found = CONTROL_CHARACTERS.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def blank(text: str | None) -> bool:
    """True when ``text`` holds nothing but white space (or nothing)."""
    return not (text or "").strip()


def text_error(text: str | None, *, required: bool = False) -> str | None:
    """Why ``text`` cannot be stored in a text field, or None when it can (as typed)."""
    character = control_character(text)
    if character is not None:
        return str(_l("The text contains a control character (%(character)s); remove it.", character=character))
    if required and blank(text):
        return str(_l("Fill in this field; white space alone is not enough."))
    return None


#: The escape character of ``contains_pattern``'s LIKE patterns.
LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern finding ``text`` anywhere, its ``%`` and ``_`` meaning themselves (use with
    ``escape=LIKE_ESCAPE``)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


# --- What a list may be asked for -----------------------------------------------------------------

#: The longest search (or text filter) a list takes, and the most words in it: a person types a name, a
#: code or a few words; thousands of words make a query of thousands of conditions, more than SQLite's
#: parser takes (an expression tree 1,000 deep) and seconds of work for PostgreSQL.
SEARCH_LENGTH = 200
SEARCH_WORDS = 10
#: The range of a whole number the databases compare with a column (a 64-bit integer).
LARGEST_NUMBER = 2**63 - 1


def search_error(text: str) -> str | None:
    """Why a list cannot search for ``text`` (or filter by it), or None when it can."""
    character = control_character(text)
    if character is not None:
        return str(_l("The search contains a control character (%(character)s); remove it.", character=character))
    if len(text) > SEARCH_LENGTH or len(text.split()) > SEARCH_WORDS:
        return str(
            _l(
                "Search for at most %(words)s words and %(length)s characters.",
                words=SEARCH_WORDS,
                length=SEARCH_LENGTH,
            )
        )
    return None


def query_value_error(value) -> str | None:
    """Why ``value`` (a filter's value as the list reads it: text, number, date, or a list of them)
    cannot be compared with a column, or None when it can."""
    if isinstance(value, list | tuple):
        return next((e for e in map(query_value_error, value) if e is not None), None)
    if isinstance(value, str):
        return search_error(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST_NUMBER:
        return str(_l("The number is too large."))
    if isinstance(value, float) and not math.isfinite(value):
        return str(_l("Not a number."))
    return None
