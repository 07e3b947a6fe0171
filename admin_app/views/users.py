"""Kasutajad: users and their roles, kept by the administrator."""

import uuid

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import hash_password
from wtforms import PasswordField, validators

from models import Role, RoleName, RuleViolation, User
from models.base import db
from models.providers import _taken
from models.users import end_sessions

from ..registers.base import RegisterView
from ..registers.importing import ImportMixin


class RoleFilter(FilterEqual):
    """Users holding a role."""

    def apply(self, query, value, alias=None):
        return query.filter(User.roles.any(Role.name == value))


def _roles(view, context, model, name):
    return ", ".join(str(r) for r in model.roles)


class UserView(ImportMixin, RegisterView):
    """Users: only the administrator sees and changes them; passwords are never shown (nor imported)."""

    import_register = "users"
    read_roles = ()
    write_roles = ()

    column_list = ("email", "full_name", "roles", "active", "locale")
    column_details_list = column_list
    column_labels = {
        "email": _l("E-mail"),
        "full_name": _l("Name"),
        "roles": _l("Roles"),
        "active": _l("Active"),
        "locale": _l("Language"),
        "new_password": _l("New password"),
    }
    column_formatters = {"roles": _roles}
    column_formatters_detail = {"roles": _roles}
    column_searchable_list = ("email", "full_name")
    column_filters = ("active", RoleFilter(User.id, _l("Role"), options=RoleName.choices()))
    column_default_sort = "email"
    column_editable_list = ("full_name", "active")

    form_columns = ("email", "full_name", "roles", "active", "locale", "new_password")
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"),
            validators=[validators.Optional(), validators.Length(min=12)],
            description=_l("At least 12 characters. Leave empty to keep the current password."),
        )
    }
    form_choices = {"locale": [("et", "Eesti keel"), ("en", "English")]}
    form_args = {
        "email": {"validators": [validators.InputRequired(), validators.Email()]},
        "roles": {"validators": [validators.InputRequired()]},
    }

    def on_model_change(self, form, model, is_created):
        model.email = (model.email or "").strip().lower()
        if not model.fs_uniquifier:
            model.fs_uniquifier = uuid.uuid4().hex
        password = form.new_password.data if "new_password" in form else None
        if password:
            model.password = hash_password(password)
        elif is_created:
            form.new_password.errors = [str(_l("A new user needs a password."))]
            raise RuleViolation({"new_password": form.new_password.errors[0]})
        if _taken(User, User.email, model.email, model.id):
            form.email.errors = [str(_l("A user with this e-mail already exists."))]
            raise RuleViolation({"email": form.email.errors[0]})

    #: "All N matching" (admin_app/registers/all_matching.py): everyone the search and filters find.
    all_matching_actions = ("sign_out_everywhere",)

    @action(
        "sign_out_everywhere",
        _l("Sign out everywhere"),
        _l("Sign the selected users out on every computer and browser? They can sign in again at once."),
    )
    def action_sign_out_everywhere(self, ids):
        # The ids are keys of listed users: ``ClientScopeMixin.handle_action`` refused anything else.
        done = end_sessions([int(i) for i in ids])
        flash(ngettext("%(num)s user signed out everywhere.", "%(num)s users signed out everywhere.", done), "success")


def register(admin) -> None:
    admin.add_view(UserView(User, db, name=_l("Users"), endpoint="users", url="users", category=_l("Administration")))
