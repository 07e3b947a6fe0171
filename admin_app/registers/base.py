"""The base every register inherits: access by role, domain rules on save, shared formatting."""

from datetime import date
from decimal import Decimal
from enum import Enum

from flask import abort, flash, g, has_request_context, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.contrib.sqla.filters import FilterEqual, FilterNotEqual
from flask_admin.model import typefmt
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from models import Choice, RuleViolation
from models.base import ChoiceType

from ..access_rules import SHOWS_NO_PERSON
from ..i18n import format_date, format_money
from .access import ClientScopeMixin
from .all_matching import AllMatchingMixin
from .archive import hide_archived_choices
from .export import ExportMixin
from .fields import ModelConverter
from .list_args import ListArgsMixin
from .paging import FastListMixin
from .seen import SeenMixin
from .versions import VersionCheck

ALL_STAFF = ("admin", "head", "case_manager", "accountant")
MANAGERS = ("admin", "head", "case_manager")


def label(choice: Choice) -> str:
    """A choice's translated label, translated once per request (a list of 50 rows shows the same
    few labels hundreds of times, and each translation looks up the request's language anew)."""
    if not has_request_context():
        return str(choice.label)
    labels = g.setdefault("_choice_labels", {})
    key = (type(choice), choice.value)
    text = labels.get(key)
    if text is None:
        text = labels[key] = str(choice.label)
    return text


def _enum(view, value, name=None):
    return label(value) if isinstance(value, Choice) else str(value)


def _bool(view, value, name=None):
    return gettext("Yes") if value else gettext("No")


TYPE_FORMATTERS = dict(typefmt.BASE_FORMATTERS)
TYPE_FORMATTERS.update(
    {
        date: lambda view, value, name=None: format_date(value),
        Decimal: lambda view, value, name=None: format_money(value),
        bool: _bool,
        # A stored choice reads as its translated label, never as the code behind it.
        Enum: _enum,
    }
)


def signed_in_roles() -> frozenset[str]:
    """The role names of the signed-in user (empty when nobody is signed in), read once per request
    for that user: a list of 50 providers asks ``may_write`` for each of its 150 editable cells (saves
    1-3 ms a page; each ask went through the ``current_user`` proxy and the user's roles anew)."""
    user = current_user._get_current_object()
    known = g.get("_signed_in_roles") if has_request_context() else None
    if known is not None and known[0] is user:
        return known[1]
    roles = frozenset(r.name for r in user.roles) if user.is_authenticated else frozenset()
    if has_request_context():
        g._signed_in_roles = (user, roles)
    return roles


class SecuredMixin:
    """Who may open a view: ``read_roles`` see it, ``write_roles`` change it; admin may do all."""

    read_roles: tuple[str, ...] = ()
    write_roles: tuple[str, ...] = ()

    def may_read(self) -> bool:
        return bool(signed_in_roles() & {"admin", *self.read_roles, *self.write_roles})

    def may_write(self) -> bool:
        return bool(signed_in_roles() & {"admin", *self.write_roles})

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_active and self.may_read()

    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("security.login", next=request.full_path))
        abort(403)


class RegisterView(
    AllMatchingMixin,
    SeenMixin,
    ClientScopeMixin,
    ExportMixin,
    SecuredMixin,
    VersionCheck,
    ListArgsMixin,
    FastListMixin,
    ModelView,
):
    """A register screen: list, search, filters, details, forms checked by the domain's rules.
    Least access (a case manager sees their own clients' records only) is ``ClientScopeMixin``'s;
    who opened or exported a client's data is logged by ``SeenMixin``; a save over someone else's
    newer one is refused by ``VersionCheck``; a large list's total and deep pages stay fast by
    ``FastListMixin``; no query string reaches the database unchecked by ``ListArgsMixin``."""

    read_roles = ALL_STAFF
    write_roles = MANAGERS
    #: The list, lookups and forms of Flask-Admin show no client's record (a list or a lookup shows
    #: names, as the list does) or write and redirect; details, the edit form and export log (SeenMixin).
    access_rules = dict.fromkeys(
        ("index_view", "create_view", "delete_view", "action_view", "ajax_update", "ajax_lookup"), SHOWS_NO_PERSON
    )
    #: ``models`` function returning {field: message} for a record about to be saved.
    rules = None

    can_view_details = True
    can_set_page_size = True
    page_size = 50
    create_modal = False
    edit_modal = False
    column_display_pk = False
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    model_form_converter = ModelConverter
    #: List columns shown only from 1600 px wide (CSS in juhtum_base.html): at 1366 px the list keeps
    #: the columns that matter most; these stay on the details page and in the export.
    column_wide_only: tuple[str, ...] = ()
    details_template = "admin/register_details.html"
    edit_template = "admin/register_edit.html"

    def __init__(self, model, session, **kwargs):
        self.form_choices = {**self._choice_fields(model), **(self.form_choices or {})}
        super().__init__(model, session, **kwargs)

    @staticmethod
    def _choice_fields(model) -> dict:
        return {c.key: c.type.choice_cls.choices() for c in model.__table__.columns if isinstance(c.type, ChoiceType)}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        # "Add … for this client" links from the case file arrive with ?client_id=N: preselect it.
        client_id = request.args.get("client_id", type=int)
        if client_id and "client" in form and request.method == "GET" and form.client.data is None:
            from models import Client, db

            form.client.data = db.session.get(Client, client_id)
        hide_archived_choices(form)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        # A select lists only what may be chosen now (e.g. base-support providers); keep the
        # record's current choice in the list so saving never drops it without a word. If it no
        # longer fits, the domain's rule says so next to the field.
        for field in form:
            if isinstance(field, QuerySelectField) and not isinstance(field, QuerySelectMultipleField):
                current = getattr(obj, field.name, None)
                if current is not None:
                    choices = list(field.query if field.query is not None else field.query_factory())
                    if current not in choices:
                        field.query = [*choices, current]
        hide_archived_choices(form)
        return form

    # Permissions are asked per request, so each user sees only the buttons they may use.
    @property
    def can_create(self) -> bool:
        return self.may_write()

    @property
    def can_edit(self) -> bool:
        return self.may_write()

    @property
    def can_delete(self) -> bool:
        return self.may_write()

    #: Methods that change data: refused with 403 (not a silent redirect) to those who may only read.
    write_methods = frozenset({"create_view", "edit_view", "delete_view", "ajax_update"})

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name in self.write_methods and not self.may_write():
            abort(403)
        return refused

    @action(
        "delete", admin_lazy_gettext("Delete"), admin_lazy_gettext("Are you sure you want to delete selected records?")
    )
    def action_delete(self, ids):
        # Flask-Admin hands the chosen ids over as text; PostgreSQL will not compare text with an
        # integer key, so "delete selected" needs them as numbers.
        return super().action_delete([int(i) for i in ids if str(i).isdigit()])

    # Re-exposed: overriding a Flask-Admin view method without ``expose`` drops its route.
    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        if not self.may_write():
            abort(403)
        # Flask-Admin answers every refused in-list edit with 500: a value its field refused, a rule
        # of the domain, a record that is not there. It is the input that was refused, not the server
        # that failed: 400 (404 for a record not found), the message kept for the cell.
        response = make_response(super().ajax_update())
        if response.status_code == 500:
            missing = request.form.get("list_form_pk") and self.get_one(request.form["list_form_pk"]) is None
            response.status_code = 404 if missing else 400
        return response

    def scaffold_auto_joins(self):
        """Flask-Admin joins in every related record the list shows, collections (many-to-many, e.g. a
        user's roles) too: a join that multiplies rows, which the export, reading in chunks, refused
        with a server error. Many-to-one relations are still joined; collections load by selectin."""
        joins = super().scaffold_auto_joins()
        self._collection_loads = [j for j in joins if j.property.uselist]
        return [j for j in joins if not j.property.uselist]

    def get_query(self):
        query = super().get_query()
        for relation in getattr(self, "_collection_loads", ()):
            query = query.options(selectinload(relation))
        return query

    def scaffold_filters(self, name):
        column = getattr(self.model, name, None) if isinstance(name, str) else None
        prop = getattr(column, "property", None)
        columns = getattr(prop, "columns", None)
        if columns and isinstance(columns[0].type, ChoiceType):
            label = self.get_column_name(name)
            options = columns[0].type.choice_cls.choices()
            return [FilterEqual(column, label, options=options), FilterNotEqual(column, label, options=options)]
        return super().scaffold_filters(name)

    def on_model_change(self, form, model, is_created):
        if self.rules is None:
            return
        errors = type(self).rules(model)
        if errors:
            for field, message in errors.items():
                target = form[field] if field in form else None
                if target is not None:
                    target.errors = [*target.errors, message] if isinstance(target.errors, list) else [message]
            raise RuleViolation(errors)

    def handle_view_exception(self, exc) -> bool:
        if isinstance(exc, OperationalError):
            # The database went away mid-save (a restart): the 503 page (errors.py), not the form
            # again with "Failed to update record" and the statement, the person's data in it.
            raise exc
        if isinstance(exc, RuleViolation):
            # A refused delete (e.g. a provider on an invoice) says so, not "not saved".
            deleting = (request.endpoint or "").endswith((".delete_view", ".action_view"))
            errors = " ".join(exc.errors.values())
            if deleting:
                flash(gettext("Not deleted: %(errors)s", errors=errors), "error")
            else:
                flash(gettext("Not saved: %(errors)s", errors=errors), "error")
            return True
        if isinstance(exc, IntegrityError):
            flash(
                gettext(
                    "Not saved: the record conflicts with one already saved (a duplicate code or a "
                    "link to a record still in use). Nothing was changed."
                ),
                "error",
            )
            return True
        return super().handle_view_exception(exc)


def badge(text, kind: str = "secondary") -> Markup:
    """A small coloured label for a list or details cell."""
    # Markup + text escapes the text: the same as Markup.format, which takes ten times as long.
    return Markup('<span class="badge badge-') + kind + Markup('">') + text + Markup("</span>")


def choice_label(view, context, model, name) -> str:
    """Show a stored choice by its translated label."""
    value = getattr(model, name)
    return label(value) if isinstance(value, Choice) else (value or "")


__all__ = ["ALL_STAFF", "MANAGERS", "RegisterView", "SecuredMixin", "badge", "choice_label", "label", "_l"]
