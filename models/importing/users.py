"""Import into the user register (kasutajad; the administrator's only), matched by e-mail. Passwords
are never imported: a new user gets none and cannot sign in until the administrator gives one in the
form. Roles are written by their label in Estonian or English or by their code, several separated by
commas. The columns are the export's (admin_app/views/users.py)."""

import uuid

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..users import Role, RoleName, User
from . import values
from .engine import Adapter, Field
from .registers import ADAPTERS, _yes_no

#: The languages a user's screens may be in, as the form offers them.
LOCALES = {"et": "et", "en": "en", "eesti keel": "et", "eesti": "et", "estonian": "et", "english": "en"}


def email(raw) -> str | None:
    """An e-mail address as the form's validator (WTForms' Email, i.e. email_validator) takes it."""
    text = values.text(raw)
    if text is None or not text.strip():
        return None
    try:
        validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise values.CellError(_l("Invalid email address.")) from None
    return text.strip().lower()


def locale(raw) -> str | None:
    text = values.text(raw)
    if text is None or not text.strip():
        return None
    found = LOCALES.get(text.strip().casefold())
    if found is None:
        raise values.CellError(_l("Not one of the choices: %(choices)s.", choices="Eesti keel, English"))
    return found


class Roles(values.SeveralChoices):
    """Roles by label (Estonian or English) or code, separated by commas or semicolons."""

    empty = None

    def __init__(self):
        self.by_text = {m.value: m.value for m in RoleName}
        for language in values.LANGUAGES:
            with force_locale(language):
                for m in RoleName:
                    self.by_text.setdefault(str(m.label).casefold(), m.value)

    def choices(self) -> str:
        return ", ".join(str(m.label) for m in RoleName)


class UserImport(Adapter):
    name = "users"
    title = _l("Users")
    model = User
    key = "email"
    collections = (User.roles,)

    def __init__(self, session, **kw):
        super().__init__(session, **kw)
        self.roles = {r.name: r for r in session.scalars(sa.select(Role))}

    def columns(self):
        return [
            Field("email", _l("E-mail"), parse=email, is_text=False, required=True),
            Field("full_name", _l("Name")),
            Field("roles", _l("Roles"), parse=Roles(), is_text=False, required=True),
            _yes_no("active", _l("Active")),
            Field("locale", _l("Language"), parse=locale, is_text=False),
        ]

    def normal_key(self, value):
        return value  # read trimmed and in lower case, as the form saves it

    def new_record(self):
        record = super().new_record()
        record.fs_uniquifier = uuid.uuid4().hex
        record.password = None  # never imported
        return record

    def get(self, record, name):
        if name == "roles":
            return frozenset(r.name for r in record.roles)
        return getattr(record, name)

    def put(self, record, name, value):
        if name == "roles":
            for n in value:  # a role not yet in the database (made at start-up, so hardly ever)
                self.roles.setdefault(n, Role(name=n))
            record.roles = [self.roles[n] for n in sorted(value)]
        else:
            setattr(record, name, value)

    def current(self, record, read):
        found = super().current(record, read)
        if "roles" in found:  # shown as the list shows them
            found["roles"] = ", ".join(str(RoleName(n).label) for n in sorted(found["roles"]))
        return found


ADAPTERS[UserImport.name] = UserImport
