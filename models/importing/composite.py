"""Registers whose records have no code of their own: a row matches the record with the same values in
a few columns (an offer: provider, support asked for, day asked; a substitution: who is absent, who
stands in, from when). Two stored records alike in those columns cannot be told apart: such a row is
refused with a message to change them in the form."""

import hashlib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .engine import Adapter


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return f"{value:%d.%m.%Y}"
    for name in ("registry_code", "personal_code", "code"):
        if getattr(value, name, None):
            return str(getattr(value, name))
    return str(value)


def _stored(value):
    """A part as the record's column holds it: a related record by its id."""
    return getattr(value, "id", value)


class CompositeKey(Adapter):
    #: (field of the file, column of the model) of each part of the key; the first is ``key``.
    parts: tuple[tuple[str, str], ...] = ()
    #: The fields compared for the version of a record that has none (``version_of``).
    fingerprint: tuple[str, ...] = ()

    def __init__(self, session, **kw):
        super().__init__(session, **kw)
        self._parts: dict[str, tuple] = {}
        self._twice: set[int] = set()

    def key_of(self, read):
        """The parts joined ("10137025 / K001 / 01.10.2026"); None without the first. A row missing a
        later part is a new record, and the required cells say what is missing."""
        found = [read.get(name) for name, _ in self.parts]
        if found[0] is None:
            return None
        key = " / ".join(_text(v) for v in found)
        self._parts[key] = tuple(_stored(v) for v in found)
        return key

    def load(self, keys):
        wanted = {self._parts[k]: k for k in keys}
        self._parts.clear()  # the batch's keys only: memory stays flat
        wanted = {p: k for p, k in wanted.items() if None not in p}
        if not wanted:
            return {}
        columns = [getattr(self.model, column) for _, column in self.parts]
        query = sa.select(self.model).where(*(c.in_({p[i] for p in wanted}) for i, c in enumerate(columns)))
        found = {}
        for record in self.session.scalars(query.order_by(self.model.id)):
            key = wanted.get(tuple(getattr(record, column) for _, column in self.parts))
            if key is None:
                continue
            if key in found:
                self._twice.add(found[key].id)
            else:
                found[key] = record
        return found

    def finish(self, record, read):
        if record.id is not None and record.id in self._twice:
            return {self.key: str(_l("More than one record has these values: change them in the form."))}
        return {}

    def version_of(self, record):
        """A record without a version column: a fingerprint of its values stands for it."""
        version = getattr(record, "version", None)
        if version is not None or not self.fingerprint:
            return version
        values = "\x1f".join(repr(getattr(record, name)) for name in self.fingerprint)
        return hashlib.sha256(values.encode()).hexdigest()[:16]
