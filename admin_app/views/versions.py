"""No lost edits: the edit form carries the version the user loaded; a save based on a version
someone else has since replaced is refused, the user's input kept on the form."""

from flask import flash, request
from flask_babel import format_datetime, gettext
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from models.base import Versioned, db, utcnow


class VersionField(HiddenField):
    """The version the form was loaded with; compared on save, never written to the record."""

    def populate_obj(self, obj, name) -> None:
        pass


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

    def _get_ruleset_missing_fields(self, ruleset, form):
        return [name for name in super()._get_ruleset_missing_fields(ruleset, form) if name != "version"]

    def update_model(self, form, model) -> bool:
        if self._versioned():
            loaded = form.version.data if "version" in form else None
            if str(loaded or "").isdigit() and int(loaded) != model.version:
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
