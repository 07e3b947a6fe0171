"""Asendamised: who stands in for whom, and when; while they do, the substitute sees the absent
colleague's clients. The head and the administrator keep the register; a case manager reads their own."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import validators

from models import Role, Substitution, User, substitution_errors
from models.base import db

from ..registers.access import limited_user_id
from ..registers.base import RegisterView, badge
from ..registers.importing import ImportMixin


def _case_managers():
    return db.session.scalars(
        sa.select(User).where(User.active, User.roles.any(Role.name == "case_manager")).order_by(User.full_name)
    )


def _current(view, context, model, name):
    today = date.today()
    if model.starts_on <= today <= model.ends_on:
        return badge(_l("in force"), "success")
    if model.starts_on > today:
        return badge(_l("coming"), "info")
    return Markup("")


class SubstitutionView(ImportMixin, RegisterView):
    """Substitutions: the head writes; case managers read those they stand in or are stood in for."""

    import_register = "substitutions"
    read_roles = ("head", "case_manager")
    write_roles = ("head",)
    rules = substitution_errors

    column_list = ("absent", "substitute", "starts_on", "ends_on", "current", "note")
    column_details_list = column_list
    column_labels = {
        "absent": _l("Absent case manager"),
        "absent.full_name": _l("Absent case manager"),
        "substitute": _l("Stands in"),
        "substitute.full_name": _l("Stands in"),
        "starts_on": _l("From"),
        "ends_on": _l("Until"),
        "current": _l("Now"),
        "note": _l("Note"),
    }
    column_formatters = {"current": _current}
    column_formatters_detail = {"current": _current}
    column_filters = ("absent.full_name", "substitute.full_name", "starts_on", "ends_on")
    column_sortable_list = (
        ("absent", "absent.full_name"),
        ("substitute", "substitute.full_name"),
        "starts_on",
        "ends_on",
    )
    column_default_sort = [("starts_on", True)]
    form_columns = ("absent", "substitute", "starts_on", "ends_on", "note")
    form_args = {
        "absent": {"query_factory": _case_managers, "validators": [validators.InputRequired()]},
        "substitute": {"query_factory": _case_managers, "validators": [validators.InputRequired()]},
        "starts_on": {"validators": [validators.InputRequired()]},
        "ends_on": {"validators": [validators.InputRequired()], "description": _l("The last day, included.")},
    }

    def scope_condition(self):
        user_id = limited_user_id()
        if user_id is None:
            return None
        return sa.or_(Substitution.substitute_id == user_id, Substitution.absent_id == user_id)


def register(admin) -> None:
    admin.add_view(
        SubstitutionView(
            Substitution,
            db,
            name=_l("Substitutions"),
            endpoint="substitutions",
            url="substitutions",
            category=_l("Registers"),
        )
    )
