"""Related records named the way a person writes them: a provider by registry code or exact name,
a case manager by e-mail or name, a municipality by name."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from . import values

AMBIGUOUS = -1


class Related:
    """Finds a record of ``model`` by any of ``columns`` (exact text, any case). The texts are read
    once per import (one query), not once per row; a text that names two records is refused."""

    def __init__(self, session, model, *columns, where=(), message=None):
        self.session, self.model = session, model
        self.message = message or _l("No such record: write it as the register names it.")
        self.by_text: dict[str, int] = {}
        for row in session.execute(sa.select(model.id, *columns).where(*where)):
            for text in row[1:]:
                if text:
                    key = str(text).strip().casefold()
                    found = self.by_text.get(key)
                    self.by_text[key] = row[0] if found in (None, row[0]) else AMBIGUOUS

    def __call__(self, raw):
        text = values.text(raw)
        if text is None or not text.strip():
            return None
        found = self.by_text.get(text.strip().casefold())
        if found is None and text[1:].startswith(values.FORMULA_TRIGGERS) and text[0] == "'":
            # A name the CSV export wrote with an apostrophe before its "=", "-" …: read back without it.
            text = text[1:]
            found = self.by_text.get(text.strip().casefold())
        if found is None:
            raise values.CellError(_l("%(message)s (%(text)s)", message=self.message, text=text.strip()))
        if found == AMBIGUOUS:
            raise values.CellError(_l("More than one record is called %(text)s: write its code.", text=text.strip()))
        return self.session.get(self.model, found)
