"""What the case-work registers share: who does case work, the pick-lists, filters by client and by
case worker, rule messages on inline rows, and the base view that dates and signs a new record."""

from datetime import date

import sqlalchemy as sa
from flask import request
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext
from flask_login import current_user

from models import Client, NetworkMember, Provider, Role, RuleViolation, User
from models.base import db
from models.clients import found_by
from models.meetings import kept

from .base import RegisterView

#: The roles that do case work: they read and write every case-work register.
CASE_WORKERS = ("head", "case_manager")


# --- Pick-lists ---------------------------------------------------------------------------------


def case_workers():
    """Active users who do case work: who assesses, acts, counsels, records or owns a task."""
    return db.session.scalars(
        sa.select(User)
        .where(User.active, User.roles.any(Role.name.in_(CASE_WORKERS)))
        .order_by(User.full_name, User.email)
    )


def case_worker_options() -> list[tuple[str, str]]:
    return [(str(u.id), str(u)) for u in case_workers()]


def signed_in_user():
    """The signed-in user as a record of this request's session (for a select's default)."""
    return db.session.get(User, current_user.id) if current_user.is_authenticated else None


def signed_in_case_worker():
    """The signed-in user when they do case work (the default 'by' of a new record), else None."""
    user = signed_in_user()
    return user if user is not None and {r.name for r in user.roles} & set(CASE_WORKERS) else None


def clients():
    return db.session.scalars(sa.select(Client).order_by(Client.last_name, Client.first_name))


def network():
    return db.session.scalars(
        sa.select(NetworkMember)
        .join(NetworkMember.client)
        .order_by(Client.last_name, Client.first_name, NetworkMember.name)
    )


def network_label(member: NetworkMember) -> str:
    return f"{member.name} ({member.client}, {member.role})"


def providers():
    return db.session.scalars(sa.select(Provider).order_by(Provider.name))


# --- Sorting by a related name ------------------------------------------------------------------


def client_last_name(model):
    return sa.select(Client.last_name).where(Client.id == model.client_id).scalar_subquery()


def client_first_name(model):
    return sa.select(Client.first_name).where(Client.id == model.client_id).scalar_subquery()


def user_name(column):
    return sa.select(User.full_name).where(User.id == column).scalar_subquery()


# --- Filters ------------------------------------------------------------------------------------


class ClientNameFilter(BaseSQLAFilter):
    """Records of the clients a text finds (``models.clients.found_by``: every word in the first name,
    last name or personal ID code)."""

    def __init__(self, model, name):
        super().__init__(model.client_id, name)
        self.model = model

    def apply(self, query, value, alias=None):
        return query.filter(self.model.client_id.in_(sa.select(Client.id).where(*found_by(str(value)))))

    def operation(self):
        return gettext("contains")


class _Listed:
    """Filter options read when the list page is drawn (Flask-Admin reads them once, at start-up)."""

    def __init__(self, options):
        self.options = options

    def __bool__(self):
        return True

    def __iter__(self):
        return iter(self.options())


class UserFilter(BaseSQLAFilter):
    """Records by one case worker, chosen from a list."""

    def get_options(self, view):
        return _Listed(case_worker_options)

    def clean(self, value):
        return int(value)

    def validate(self, value):
        return str(value).isdigit()

    def apply(self, query, value, alias=None):
        return query.filter(self.column == value)

    def operation(self):
        return gettext("equals")


# --- Rules on inline rows -----------------------------------------------------------------------


class RowRules:
    """Puts a rule's message about one inline row next to that row's field, not only under the list.

    ``row_rules`` pairs a relationship with the ``models`` function judging one of its rows
    (``rule(row, parent) -> {field: message}``); the inline admin remembers each row's sub-form."""

    row_rules: tuple = ()

    def on_model_change(self, form, model, is_created):
        try:
            super().on_model_change(form, model, is_created)
        except RuleViolation:
            for name, rule in self.row_rules:
                for row in kept(getattr(model, name)):
                    subform = getattr(getattr(row, "_inline_form", None), "form", None)
                    if subform is None:
                        continue
                    for field, message in rule(row, model).items():
                        if field in subform:
                            subform[field].errors = [*subform[field].errors, message]
            raise


class RememberedInline(InlineFormAdmin):
    """An inline form that tells its row which sub-form it came from (see ``RowRules``)."""

    def on_model_change(self, form, model, is_created):
        model._inline_form = form


# --- The base of the case-work registers --------------------------------------------------------


class CaseWorkView(RegisterView):
    """A case-work register: case managers and the head read and write; new records are dated today
    and made by the signed-in case worker unless said otherwise."""

    read_roles = CASE_WORKERS
    write_roles = CASE_WORKERS
    #: The date field a new record gets today in, and the user field the signed-in user goes in.
    date_field = ""
    user_field = ""

    def create_form(self, obj=None):
        form = super().create_form(obj)  # preselects ?client_id
        if request.method == "GET":
            if self.date_field in form and form[self.date_field].data is None:
                form[self.date_field].data = date.today()
            if self.user_field in form and form[self.user_field].data is None:
                form[self.user_field].data = signed_in_case_worker()
        return form
