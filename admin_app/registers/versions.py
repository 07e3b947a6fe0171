"""No lost edits: the edit form carries the version the user loaded; a save based on a version
someone else has since replaced is refused, the user's input kept on the form."""

from urllib.parse import quote

from flask import flash, g, has_request_context, make_response, request
from flask_admin.helpers import is_form_submitted
from flask_admin.model.widgets import XEditableWidget
from flask_babel import format_datetime, gettext
from markupsafe import Markup, escape
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.widgets import html_params

from models.base import Versioned, db, utcnow


def based_on(value) -> int | None:
    """The version a save says it was based on; None when missing or not a whole number."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def out_of_date() -> str:
    """Said when a save does not carry the version its form was loaded with (a form from an old
    page, or a request made by hand)."""
    return gettext("The form is out of date: reload it. Your changes are still in the form, nothing was saved.")


class VersionField(HiddenField):
    """The version the form was loaded with; compared on save, never written to the record."""

    def populate_obj(self, obj, name) -> None:
        pass


#: The attributes of a cell that differ from row to row.
ROW_ATTRIBUTES = frozenset({"data-pk", "data-value", "data-version"})
_OPEN, _QUOTE, _ESCAPED_QUOTE = Markup('="'), Markup('"'), Markup("&quot;")


def cell_params(kwargs: dict) -> Markup:
    """WTForms' ``html_params`` of an in-list editing cell: the same attributes in the same order,
    each written as ``html_params`` writes it, but those equal in every row (role, URL, type,
    choices, name, CSRF token) written once per request, and a row's own (key, value, version)
    without ``Markup.format``. Checked against Flask-Admin's cells: tests/admin_app/test_list_rendering.py."""
    known = g.setdefault("_cell_attributes", {}) if has_request_context() else {}
    parts = []
    for key, value in sorted(kwargs.items()):
        if key in ROW_ATTRIBUTES and not isinstance(value, bool):
            # What html_params writes for a plain key and a value other than True or False.
            parts.append(escape(key) + _OPEN + escape(value).replace(_QUOTE, _ESCAPED_QUOTE) + _QUOTE)
            continue
        hashable = isinstance(value, (str, int, float))
        part = known.get((key, type(value), value)) if hashable else None
        if part is None:
            part = html_params(**{key: value})
            if hashable:
                known[(key, type(value), value)] = part
        if part:
            parts.append(part)
    return Markup(" ").join(parts)


class VersionedCell(XEditableWidget):
    """Flask-Admin's in-list editing cell, carrying its row's version as ``data-version`` (posted back
    by ``static/versioned_cells.js``, so a save based on a replaced version is refused), its
    attributes written by ``cell_params``."""

    def __call__(self, field, **kwargs):
        # Flask-Admin's XEditableWidget.__call__ (flask_admin/model/widgets.py), but for html_params.
        display_value = kwargs.pop("display_value", "")
        kwargs.setdefault("data-value", display_value)
        kwargs.setdefault("data-role", "x-editable")
        kwargs.setdefault("data-url", "./ajax/update/")
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("name", field.name)
        kwargs.setdefault("href", "#")
        # x-editable writes "Empty" in an empty cell unless told otherwise: in the user's language.
        kwargs.setdefault("data-emptytext", gettext("Empty"))
        if not kwargs.get("pk"):
            raise Exception("pk required")
        kwargs["data-pk"] = str(kwargs.pop("pk"))
        kwargs["data-csrf"] = kwargs.pop("csrf", "")
        kwargs = self.get_kwargs(field, kwargs)
        return Markup("<a ") + cell_params(kwargs) + Markup(">") + escape(display_value) + Markup("</a>")

    def get_kwargs(self, field, kwargs):
        kwargs = super().get_kwargs(field, kwargs)
        if getattr(field, "row_version", None) is not None:
            kwargs["data-version"] = str(field.row_version)
        return kwargs


class RowCells:
    """A row's in-list editing cells, as Flask-Admin's list page uses its row's form (``form[column]``,
    ``form.csrf_token``): one form per page and request, filled with the row's values when its
    cells are drawn, instead of one form built per row. Saves building 49 forms of a 50-row page
    (providers: 50 forms of 6 fields, 6-8 ms a page; figures in README). Pages as Flask-Admin's own:
    tests/admin_app/test_list_rendering.py."""

    def __init__(self, view, row):
        self._view, self._row = view, row

    def _form(self):
        forms = g.setdefault("_row_cells", {})
        form, filled = forms.get(self._view.endpoint, (None, None))
        if form is None:
            form = super(VersionCheck, self._view).list_form(self._row)
        elif filled is not self._row:
            form._obj = self._row  # as Flask-Admin's BaseForm keeps it
            form.process(None, obj=self._row)
        else:
            return form
        self._view._fill_versions(form, self._row)
        forms[self._view.endpoint] = (form, self._row)
        return form

    def __getitem__(self, name):
        return self._form()[name]

    def __contains__(self, name) -> bool:
        return name in self._form()

    def __getattr__(self, name):
        return getattr(self._form(), name)


class VersionCheck:
    """Mixed into every register: refuses a stale save (checked against the form's version, and by
    SQLAlchemy's ``version_id_col`` for a save racing another) with one message."""

    #: Kept by the database, never typed nor shown as a column of their own.
    hidden_columns = ("version", "saved_at")

    def __init__(self, model, session, **kwargs):
        if issubclass(model, Versioned):
            for name in ("form_excluded_columns", "column_exclude_list", "column_details_exclude_list"):
                setattr(self, name, (*(getattr(self, name, None) or ()), *self.hidden_columns))
        super().__init__(model, session, **kwargs)

    def _versioned(self) -> bool:
        return issubclass(self.model, Versioned)

    def _refresh_cache(self) -> None:
        super()._refresh_cache()
        # Added after Flask-Admin has checked the form against the view's form rules (a hidden field
        # is in no rule, and would be taken out again).
        if self._versioned():
            form_class = self._edit_form_class
            self._edit_form_class = type(form_class.__name__, (form_class,), {"version": VersionField()})
            if self.column_editable_list:  # in-list editing posts the row's version too
                form_class = self._list_form_class
                self._list_form_class = type(form_class.__name__, (form_class,), {"version": VersionField()})

    def scaffold_list_form(self, widget=None, validators=None):
        return super().scaffold_list_form(widget=widget or VersionedCell(), validators=validators)

    def list_form(self, obj=None):
        if obj is not None and not is_form_submitted():
            return RowCells(self, obj)  # a list page drawing a row's cells: one form for the page
        form = super().list_form(obj)
        if obj is not None:
            self._fill_versions(form, obj)
        return form

    def _fill_versions(self, form, obj) -> None:
        if self._versioned():
            for field in form:  # each editable cell carries its row's version (``VersionedCell``)
                field.row_version = obj.version

    def ajax_update(self):
        """In-list editing: a save based on a replaced version (or none) is refused with 409, the
        message as the body (x-editable shows it on the cell), the stored value and version in the
        headers (``static/versioned_cells.js`` puts the cell back); a save answers the new version."""
        answer = super().ajax_update()
        pk = request.form.get("list_form_pk", "")
        if answer is None or not self._versioned() or not pk.isdigit():
            return answer
        record = self.get_one(pk)  # the view's own (scoped) lookup: none for a record out of reach
        if record is None:
            return answer
        response = make_response(answer)
        response.headers["X-Version"] = str(record.version)
        if g.pop("_refused_as_stale", False):
            response.status_code = 409
            column = next((c for c in self.column_editable_list or () if c in request.form), None)
            if column is not None:
                response.headers["X-Stored-Value"] = quote(self._cell_value(record, column), safe="")
        return response

    def _cell_value(self, record, column: str) -> str:
        """What the list's cell of ``column`` holds for ``record``, as x-editable reads ``data-value``."""
        value = getattr(record, column, None)
        if isinstance(value, bool):
            return "1" if value else ""
        shown = self.get_list_value(None, record, column)
        return shown.striptags() if isinstance(shown, Markup) else str(shown if shown is not None else "")

    def _get_ruleset_missing_fields(self, ruleset, form):
        return [name for name in super()._get_ruleset_missing_fields(ruleset, form) if name != "version"]

    def update_model(self, form, model) -> bool:
        if self._versioned():
            # What the request sent, not ``data``: a field left out of the request keeps the value
            # the form was filled with from the record, i.e. the newest version.
            sent = form.version.raw_data if "version" in form else None
            loaded = based_on(sent[0] if sent else None)
            if loaded is None:
                # Without the version it was based on, a save could overwrite a newer one unseen.
                flash(out_of_date(), "error")
                g._refused_as_stale = True
                return False
            if loaded != model.version:
                self._say_stale(model)
                return False
        return super().update_model(form, model)

    def _on_model_change(self, form, model, is_created) -> None:
        super()._on_model_change(form, model, is_created)
        # A save that changes something raises the version, also when only inline rows (a provider's
        # staff) changed: the parent's row is written (its ``saved_at``), so its version goes up.
        if not is_created and self._versioned() and self._changed(model):
            model.saved_at = utcnow()

    @staticmethod
    def _changed(model) -> bool:
        session = db.session
        return bool(session.new or session.deleted) or any(session.is_modified(o) for o in session.dirty)

    def handle_view_exception(self, exc) -> bool:
        if isinstance(exc, StaleDataError) and self._versioned():
            db.session.rollback()
            pk = request.args.get("id")
            current = db.session.get(self.model, int(pk)) if str(pk or "").isdigit() else None
            if current is not None:
                db.session.refresh(current)
            self._say_stale(current)
            return True
        return super().handle_view_exception(exc)

    def _say_stale(self, current) -> None:
        g._refused_as_stale = True
        saved_at = getattr(current, "saved_at", None)
        if saved_at is None:
            message = gettext(
                "Someone else saved this record meanwhile — your changes are still in the form; reload to see theirs."
            )
        else:
            message = gettext(
                "Someone else saved this record at %(time)s — your changes are still in the form; "
                "reload to see theirs.",
                time=format_datetime(saved_at, "dd.MM.yyyy HH:mm"),
            )
        flash(message, "error")
