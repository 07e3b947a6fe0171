"""Import into the substitution register (asendamised): a row matches the substitution of the same
absent case manager, the one standing in and the first day. The columns are the export's
(admin_app/views/substitutions.py). A substitution has no version column: a fingerprint of its values
stands for it between the preview and the save."""

from flask_babel import lazy_gettext as _l

from ..access import Substitution, substitution_errors
from ..users import Role, User
from . import values
from .composite import CompositeKey
from .engine import Field
from .registers import ADAPTERS
from .related import Related


def case_managers(session) -> Related:
    """An active case manager by e-mail or name (the form lists these)."""
    return Related(
        session,
        User,
        User.email,
        User.full_name,
        where=(User.active, User.roles.any(Role.name == "case_manager")),
        message=_l("No such case manager"),
    )


class SubstitutionImport(CompositeKey):
    name = "substitutions"
    title = _l("Substitutions")
    model = Substitution
    key = "absent"
    parts = (("absent", "absent_id"), ("substitute", "substitute_id"), ("starts_on", "starts_on"))
    fingerprint = ("absent_id", "substitute_id", "starts_on", "ends_on", "note")
    rules = substitution_errors

    def columns(self):
        people = case_managers(self.session)
        return [
            Field("absent", _l("Absent case manager"), parse=people, is_text=False, required=True),
            Field("substitute", _l("Stands in"), parse=people, is_text=False, required=True),
            Field("starts_on", _l("From"), parse=values.day, is_text=False, required=True),
            Field("ends_on", _l("Until"), parse=values.day, is_text=False, required=True),
            Field("current", _l("Now"), writable=False),
            Field("note", _l("Note")),
        ]


ADAPTERS[SubstitutionImport.name] = SubstitutionImport
