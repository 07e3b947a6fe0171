"""Noortegarantii import: a round's file from STAR (xlsx or CSV) read, its columns mapped to juhtum's
fields, every row previewed, and the round saved in one transaction when the user confirms.

Nobody has published the file's exact columns, so the mapping is guessed from the headings (Estonian
first) and remembered per layout (``YouthLayout``) for the next round."""

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from . import codes
from .base import db
from .clients import Client
from .text import text_error
from .youth_file import MAX_ROWS, ImportError_, count_rows, open_table, read_table  # noqa: F401 (their home)
from .youth_guarantee import MAX_AGE, MIN_AGE, Half, Outreach, YouthLayout, YouthRound, mail_template

#: juhtum's fields a list's column can go into, with the headings that name them (Estonian first).
FIELDS: dict[str, tuple] = {
    "personal_code": (_l("Personal ID code"), ("isikukood", "ik", "personal code", "personal id code", "id code")),
    "first_name": (_l("First name"), ("eesnimi", "eesnimed", "first name", "given name")),
    "last_name": (_l("Last name"), ("perekonnanimi", "perenimi", "last name", "surname", "family name")),
    "name": (_l("Name (first and last)"), ("nimi", "ees- ja perekonnanimi", "name", "full name")),
    "email": (_l("E-mail"), ("e-post", "epost", "e-posti aadress", "e-mail", "email")),
    "phone": (_l("Phone"), ("telefon", "telefoninumber", "tel", "mobiil", "phone", "telephone")),
    "address": (_l("Address"), ("aadress", "elukoht", "address")),
    "guardian_name": (
        _l("Parent or guardian"),
        ("vanema voi eestkostja nimi", "eestkostja", "vanem", "seaduslik esindaja", "guardian", "parent"),
    ),
    "guardian_phone": (
        _l("Parent's or guardian's phone"),
        ("vanema voi eestkostja telefon", "eestkostja telefon", "vanema telefon", "guardian phone"),
    ),
    "guardian_email": (
        _l("Parent's or guardian's e-mail"),
        ("vanema voi eestkostja e-post", "eestkostja e-post", "vanema e-post", "guardian e-mail", "guardian email"),
    ),
    "education": (
        _l("Last education"),
        ("viimane haridus", "haridus", "viimane omandatud voi katkestatud haridus", "education"),
    ),
    "employment": (_l("Last employment"), ("viimane tootamine", "tootamine", "viimane tookoht", "employment")),
}
#: Rows previewed against the clients and earlier rounds at a time, and saved at a time.
BATCH = 1000


def _plain(text) -> str:
    """A heading compared without case, accents, punctuation or extra spaces: 'Töötamine' → 'tootamine'."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9@ -]+", " ", text)).strip()


def layout_key(headings: list[str]) -> str:
    """The layout a file's headings make, as a key to remember its mapping by."""
    return hashlib.sha256("\x1f".join(_plain(h) for h in headings).encode()).hexdigest()


def guess_mapping(headings: list[str]) -> dict[str, int | None]:
    """Which column (index) goes into each field: the one remembered for this layout, else the one
    whose heading names the field (an exact name first, then a heading that begins with one)."""
    remembered = db.session.scalar(sa.select(YouthLayout.mapping).where(YouthLayout.headings == layout_key(headings)))
    if remembered:
        stored = json.loads(remembered)
        return {f: stored.get(f) if isinstance(stored.get(f), int) else None for f in FIELDS}
    plain = [_plain(h) for h in headings]
    mapping: dict[str, int | None] = {}
    taken: set[int] = set()
    for exact in (True, False):
        for key, (_label, names) in FIELDS.items():
            if mapping.get(key) is not None:
                continue
            for n in names:
                found = next(
                    (
                        i
                        for i, h in enumerate(plain)
                        if i not in taken and (h == _plain(n) if exact else h.startswith(_plain(n) + " "))
                    ),
                    None,
                )
                if found is not None:
                    mapping[key] = found
                    taken.add(found)
                    break
    return {f: mapping.get(f) for f in FIELDS}


def remember_mapping(headings: list[str], mapping: dict[str, int | None]) -> None:
    """Keep ``mapping`` for the next file with these headings (saved with the round)."""
    key = layout_key(headings)
    text = json.dumps({f: i for f, i in mapping.items() if i is not None}, sort_keys=True)
    layout = db.session.scalar(sa.select(YouthLayout).where(YouthLayout.headings == key))
    if layout is None:
        db.session.add(YouthLayout(headings=key, mapping=text))
    else:
        layout.mapping = text


def mapping_errors(mapping: dict[str, int | None], width: int) -> dict[str, str]:
    errors = {}
    if mapping.get("personal_code") is None:
        errors["personal_code"] = str(_l("Choose the column of the personal ID code."))
    if mapping.get("name") is None and (mapping.get("first_name") is None or mapping.get("last_name") is None):
        errors["name"] = str(_l("Choose the columns of the first and last name, or one column of the whole name."))
    for f, i in mapping.items():
        if i is not None and not 0 <= i < width:
            errors[f] = str(_l("No such column."))
    return errors


NEW, CLIENT, EARLIER, ERROR = "new", "client", "earlier", "error"


@dataclass
class PreviewRow:
    """One row of the file as it would be saved: its values, what it is, and what is wrong with it."""

    row: int
    values: dict
    kind: str = NEW
    client_id: int | None = None
    earlier_id: int | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column heading, message)


def _cell(cells: list, i: int | None) -> str | None:
    if i is None or i >= len(cells) or cells[i] is None:
        return None
    value = cells[i]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a personal code a spreadsheet stored as a number
    text = str(value).strip()
    return text or None


def preview(
    headings: list[str], rows: list[tuple[int, list]], mapping: dict[str, int | None], queried_on: date
) -> list[PreviewRow]:
    """Every row of the file: new, already a client, on an earlier round, or an error (a personal
    code failing its checksum, an age outside 16–26 on the query date, a duplicate in the file)."""
    return list(preview_rows(headings, rows, mapping, queried_on))


def preview_rows(
    headings: list[str], rows: Iterable[tuple[int, list]], mapping: dict[str, int | None], queried_on: date
) -> Iterator[PreviewRow]:
    """``preview`` one row after another as ``rows`` are read, looked up against the clients and the
    earlier rounds ``BATCH`` rows at a time: only the personal codes seen are kept (for duplicates)."""
    first_row: dict[str, int] = {}
    batch: list[PreviewRow] = []
    for number, cells in rows:
        batch.append(_previewed(headings, number, cells, mapping, queried_on, first_row))
        if len(batch) == BATCH:
            yield from _known(batch)
            batch = []
    yield from _known(batch)


def _known(batch: list[PreviewRow]) -> list[PreviewRow]:
    _find_known(batch)
    for r in batch:
        r.kind = ERROR if r.errors else CLIENT if r.client_id else EARLIER if r.earlier_id else NEW
    return batch


def _previewed(
    headings: list[str], number: int, cells: list, mapping: dict, queried_on: date, first_row: dict[str, int]
) -> PreviewRow:
    code_heading = headings[mapping["personal_code"]] or str(_l("Personal ID code"))
    v = {f: _cell(cells, i) for f, i in mapping.items() if f in FIELDS}
    whole = v.pop("name", None)
    if whole and not (v.get("first_name") and v.get("last_name")):
        parts = whole.split()
        v["first_name"], v["last_name"] = " ".join(parts[:-1]) or parts[0], parts[-1]
    r = PreviewRow(number, v)
    try:
        v["personal_code"] = codes.personal_code(v.get("personal_code") or "")
        v["birth_date"] = codes.birth_date(v["personal_code"])
        age = codes.age_on(v["birth_date"], queried_on)
        if not MIN_AGE <= age <= MAX_AGE:
            r.errors.append(
                (
                    code_heading,
                    str(_l("Aged %(age)s on the query date, not %(a)s–%(b)s.", age=age, a=MIN_AGE, b=MAX_AGE)),
                )
            )
        if v["personal_code"] in first_row:
            r.errors.append(
                (
                    code_heading,
                    str(_l("Duplicate: the same person is on row %(row)s.", row=first_row[v["personal_code"]])),
                )
            )
        else:
            first_row[v["personal_code"]] = number
    except codes.CodeError as e:
        r.errors.append((code_heading, str(e)))
    for name in ("first_name", "last_name", *_CONTACT_FIELDS):
        message = _text_problem(name, v.get(name))
        if message:
            column = mapping.get(name) if mapping.get(name) is not None else mapping.get("name")
            r.errors.append((headings[column] if column is not None else "", message))
    if not (v.get("first_name") and v.get("last_name")):
        column = mapping.get("name") if mapping.get("name") is not None else mapping.get("last_name")
        r.errors.append((headings[column] if column is not None else "", str(_l("The name is missing."))))
    return r


def _find_known(rows: list[PreviewRow]) -> None:
    """Mark the rows whose person is already a client, or on an earlier round (its latest record)."""
    by_code = {r.values["personal_code"]: r for r in rows if not r.errors}
    found_codes = list(by_code)
    # Asked in chunks: one IN list per 1,000 codes instead of one query per row.
    for start in range(0, len(found_codes), 1000):
        chunk = found_codes[start : start + 1000]
        for code, client_id in db.session.execute(
            sa.select(Client.personal_code, Client.id).where(Client.personal_code.in_(chunk))
        ):
            by_code[code].client_id = client_id
        for code, outreach_id in db.session.execute(
            sa.select(Outreach.personal_code, sa.func.max(Outreach.id))
            .where(Outreach.personal_code.in_(chunk))
            .group_by(Outreach.personal_code)
        ):
            by_code[code].earlier_id = outreach_id


def round_errors(year: int | None, half: str | None, queried_on: date | None, received_on: date | None) -> dict:
    errors: dict[str, str] = {}
    if not year or not 2000 <= year <= 2199:
        errors["year"] = str(_l("Give the year of the round."))
    if half not in {h.value for h in Half}:
        errors["half"] = str(_l("Choose spring or autumn."))
    if queried_on is None:
        errors["queried_on"] = str(_l("Give the date the register was queried."))
    if received_on is None:
        errors["received_on"] = str(_l("Give the date the list was received."))
    elif received_on > date.today():
        errors["received_on"] = str(_l("This date is in the future."))
    elif queried_on and received_on < queried_on:
        errors["received_on"] = str(_l("A list cannot arrive before the register was queried."))
    if not errors and db.session.scalar(
        sa.select(sa.func.count()).select_from(YouthRound).where(YouthRound.year == year, YouthRound.half == half)
    ):
        errors["half"] = str(_l("This round is already imported."))
    return errors


def save_round(
    round_: YouthRound,
    headings: list[str],
    mapping: dict,
    rows: Iterable[PreviewRow],
    report: Callable[[int], None] | None = None,
) -> tuple[YouthRound, int]:
    """Save the round, its mapping and one outreach record per row without an error, all in one
    transaction: if anything fails, nothing is saved. ``rows`` may be a stream (``preview_rows``): the
    records are written ``BATCH`` at a time, ``report(rows read)`` after each. Returns the round and
    how many records."""
    saved = read = 0
    try:
        db.session.add(round_)
        mail_template()  # the first-contact e-mail is there to edit before anyone sends it
        remember_mapping(headings, mapping)
        batch: list[Outreach] = []
        for r in rows:
            read += 1
            if not r.errors:
                batch.append(_record(round_, r))
            if read % BATCH == 0:
                saved += _flushed(batch, report, read)
                batch = []
        saved += _flushed(batch, report, read)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return round_, saved


def _record(round_: YouthRound, r: PreviewRow) -> Outreach:
    return Outreach(
        round=round_,
        earlier_id=r.earlier_id,
        client_id=r.client_id,
        personal_code=r.values["personal_code"],
        first_name=r.values.get("first_name"),
        last_name=r.values.get("last_name"),
        birth_date=r.values.get("birth_date"),
        **{f: r.values.get(f) or None for f in _CONTACT_FIELDS},
    )


def _flushed(batch: list[Outreach], report, read: int) -> int:
    db.session.add_all(batch)
    db.session.flush()
    for record in batch:  # written: the session need not hold thousands of records until the commit
        db.session.expunge(record)
    if report:
        report(read)
    return len(batch)


_CONTACT_FIELDS = (
    "email",
    "phone",
    "address",
    "guardian_name",
    "guardian_phone",
    "guardian_email",
    "education",
    "employment",
)


def _text_problem(name: str, value: str | None) -> str | None:
    """The form's text rule and the column's length, as the register's import checks them: a cell is
    refused with a message, never cut or stored with a control character."""
    if not value:
        return None
    length = Outreach.__table__.c[name].type.length
    if length and len(value) > length:
        return str(_l("At most %(n)s characters.", n=length))
    return text_error(value)
