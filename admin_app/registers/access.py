"""Least access in the registers: one hook for every list, count, record, export, select box, save
and action.

``ClientScopeMixin`` (mixed into ``RegisterView``) keeps a case manager to the clients in their scope
(``models.access``): lists, searches, exports and counts leave the rest out, a record outside it
answers 404 on details, edit, delete and actions (as if it did not exist), and the client select boxes
of forms offer only clients in it. A save keeps the links its editor could not see: a meeting keeps a
colleague's clients, a letter the client the editor may not see, unless they choose another."""

import re

import sqlalchemy as sa
from flask import abort, flash, redirect, request
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.helpers import flash_errors, get_redirect_target
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import Client, NetworkMember, db
from models.access import client_condition, client_scope, scope_condition, sees_all_clients


def limited_user_id() -> int | None:
    """The signed-in user's id when they see only their own clients' records, else None."""
    if not current_user.is_authenticated:
        return None
    return None if sees_all_clients(r.name for r in current_user.roles) else current_user.id


def visible_client(client_id: int | None, *options) -> Client | None:
    """The client ``client_id`` when the signed-in user may see them, else None."""
    if not client_id:
        return None
    query = sa.select(Client).where(Client.id == client_id).options(*options)
    user_id = limited_user_id()
    if user_id is not None:
        query = query.where(client_condition(user_id))
    return db.session.scalar(query)


def scoped(query, model):
    """``query`` (a select or ORM query on ``model``) kept to the signed-in user's scope."""
    user_id = limited_user_id()
    condition = scope_condition(model, user_id) if user_id is not None else None
    return query if condition is None else query.filter(condition)


class ClientScopeMixin:
    """Keeps a register's records to the signed-in case manager's clients (see the module)."""

    #: None: decided by the model (clients, records with ``client_id``, meetings); False: not limited.
    scope_by_client: bool | None = None

    def scope_condition(self):
        """The condition on this register's records for the signed-in user, or None for all of them."""
        if self.scope_by_client is False:
            return None
        user_id = limited_user_id()
        return None if user_id is None else scope_condition(self.model, user_id)

    def client_scope_condition(self):
        """The condition on ``Client`` for the signed-in user (e.g. to look clients up by code), or None."""
        user_id = limited_user_id()
        return None if user_id is None else client_condition(user_id)

    def get_query(self):
        query = super().get_query()
        condition = self.scope_condition()
        return query if condition is None else query.filter(condition)

    def get_count_query(self):
        query = super().get_count_query()
        condition = self.scope_condition()
        return query if condition is None else query.filter(condition)

    def get_one(self, id):
        record = super().get_one(id)
        condition = self.scope_condition()
        if condition is None:
            return record
        # Out of scope or not there at all: the same 404, so the answer never tells which.
        if record is None:
            abort(404)
        key = sa.inspect(self.model).primary_key[0]
        pk = sa.inspect(record).identity[0]
        if not db.session.scalar(sa.select(sa.literal(True)).select_from(self.model).where(key == pk, condition)):
            abort(404)
        return record

    # --- select boxes ---

    def validate_form(self, form):
        self.scope_selects(form)
        return super().validate_form(form)

    def render(self, template, **kwargs):
        if kwargs.get("form") is not None:
            self.scope_selects(kwargs["form"])
        return super().render(template, **kwargs)

    def _on_model_change(self, form, model, is_created):
        keep_unseen_links(form, model)
        super()._on_model_change(form, model, is_created)

    # --- actions ---

    def handle_action(self, return_view=None):
        """An action acts only on rows the user's list would show (``get_query``, scope and all): any
        other id is refused as a details page refuses it (404), and an id that is no key at all gets a
        message; either way nothing is done. Flask-Admin then runs the action on the ids."""
        if self.validate_form(self.action_form()):
            keys = self._action_keys(request.form.getlist("rowid"))
            if keys is None:
                flash(gettext("The chosen rows could not be read. Nothing was done."), "error")
                return redirect(get_redirect_target() or self.get_url(".index_view"))
            if keys and self._listed(keys) != keys:
                abort(404)
            return super().handle_action(return_view)
        flash_errors(self.action_form(), message="Failed to perform action. %(error)s")
        return redirect(get_redirect_target() or self.get_url(".index_view"))

    def _action_keys(self, ids: list[str]) -> set | None:
        """The chosen rows' keys, or None when one of them cannot be a key of this register."""
        key = sa.inspect(self.model).primary_key[0]
        if key.type.python_type is not int:
            return set(ids)
        if not all(_NUMBER.fullmatch(i) for i in ids):
            return None
        return {int(i) for i in ids}

    def _listed(self, keys: set) -> set:
        """Those of ``keys`` the user's list would show."""
        mapper = sa.inspect(self.model)
        rows = self.get_query().filter(mapper.primary_key[0].in_(keys)).all()
        return {mapper.identity_key_from_instance(r)[1][0] for r in rows}

    def scope_selects(self, form) -> None:
        """Clients (and their network members) a select offers: only those in the user's scope; a
        preselected one outside it is dropped from the choices, but stays linked on save (its field
        remembers it as ``unseen``; see ``keep_unseen_links``). Done once per form."""
        user_id = limited_user_id()
        if user_id is None or getattr(form, "_client_scoped", False):
            return
        form._client_scoped = True
        allowed: set[int] = set()
        for field in form:
            if not isinstance(field, QuerySelectField | QuerySelectMultipleField):
                continue
            choices = list(field.query if field.query is not None else field.query_factory())
            if not any(isinstance(c, Client | NetworkMember) for c in choices):
                continue
            if not allowed:
                allowed = set(db.session.scalars(client_scope(user_id))) or {0}
            kept = [c for c in choices if _fits(c, allowed)]
            # Flask-Admin's field falls back to its factory when ``query`` is empty, and caches the list.
            field.query, field.query_factory, field._object_list = kept, (lambda kept=kept: kept), None
            # What the record links to now (Flask-Admin builds an edit form, also a sent one, on it).
            current = field.object_data
            if isinstance(field, QuerySelectMultipleField):
                field.unseen = [c for c in current or () if not _fits(c, allowed)]
                if field.unseen:
                    field.description = _l("Also linked to records you may not see; saving keeps those links.")
                if field.data:
                    field.data = [c for c in field.data if _fits(c, allowed)]
            else:
                if current is not None and not _fits(current, allowed):
                    # The empty choice stands for the unseen link and keeps it; another choice replaces it.
                    field.unseen, field.allow_blank = current, True
                    field.blank_text = _l("Kept as it is: a link you may not see")
                if field.data is not None and not _fits(field.data, allowed):
                    field.data = None


_NUMBER = re.compile(r"[0-9]{1,18}")


def keep_unseen_links(form, model) -> None:
    """Put back on ``model`` the links of ``form``'s selects that its editor could not see (see
    ``ClientScopeMixin.scope_selects``): many-to-many, the chosen ones and the unseen ones; many-to-one,
    the unseen one unless another was chosen."""
    for field in form:
        unseen = getattr(field, "unseen", None)
        if not unseen:
            continue
        if isinstance(field, QuerySelectMultipleField):
            chosen = list(getattr(model, field.name) or ())
            setattr(model, field.name, [*chosen, *(u for u in unseen if u not in chosen)])
        elif getattr(model, field.name) is None:
            setattr(model, field.name, unseen)


def _fits(obj, allowed: set[int]) -> bool:
    """Whether a select's option is in scope: a client in ``allowed``, a network member of one."""
    if isinstance(obj, Client):
        return obj.id in allowed
    if isinstance(obj, NetworkMember):
        return obj.client_id in allowed
    return True
