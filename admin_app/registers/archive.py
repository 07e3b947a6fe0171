"""Archiving, not deleting: the *Archive* and *Restore* actions of the client, provider and letter
lists, archived rows hidden from daily lists and select boxes, deletion for the administrator only
and only after the retention period."""

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, has_request_context, request
from flask_admin.actions import action
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from models import check, db
from models.archive import Archivable, deletion_errors
from models.base import utcnow


class ShowArchived(BaseSQLAFilter):
    """The list filter "Show archived": without it, archived records are not listed."""

    def __init__(self, column):
        super().__init__(
            column, _l("Show archived"), options=(("all", _l("archived too")), ("only", _l("only archived")))
        )

    def apply(self, query, value, alias=None):
        return query.filter(self.column.isnot(None)) if value == "only" else query

    def operation(self):
        return ""


def hide_archived_choices(form) -> None:
    """Archived clients, providers and letters are not offered in the select boxes of ``form`` (nor of
    its inline rows), and a new choice of one is refused; a record that already links to one keeps it."""
    for field in form:
        if isinstance(field, QuerySelectField):
            current = field.object_data  # what the record had when the form was opened
            keep = set(current) if isinstance(current, list | tuple | set) else {current}
            choices = list(field.query if field.query is not None else field.query_factory())
            if any(isinstance(c, Archivable) and c.archived_on is not None and c not in keep for c in choices):
                field.query = [
                    c for c in choices if not isinstance(c, Archivable) or c.archived_on is None or c in keep
                ]
                field._object_list = None
        for entry in getattr(field, "entries", ()):  # inline rows
            if getattr(entry, "form", None) is not None:
                hide_archived_choices(entry.form)


class ArchiveMixin:
    """For a register of an ``Archivable`` model; put before ``RegisterView`` in the bases."""

    def __init__(self, model, session, **kwargs):
        self.column_filters = [*(self.column_filters or ()), ShowArchived(model.archived_on)]
        if self.column_list:
            self.column_list = (*self.column_list, "archived_on")
        if self.column_details_list:
            self.column_details_list = (*self.column_details_list, "archived_on", "archived_by")
        self.column_labels = {
            **(self.column_labels or {}),
            "archived_on": _l("Archived"),
            "archived_by": _l("Archived by"),
        }
        self.form_excluded_columns = (*(self.form_excluded_columns or ()), "archived_on", "archived_by")
        super().__init__(model, session, **kwargs)

    # --- Hidden from daily lists unless "Show archived" is chosen --------------------------------

    def _hides_archived(self) -> bool:
        if not has_request_context() or (request.endpoint or "").endswith(".action_view"):
            return False
        return not any(isinstance(self._filters[idx], ShowArchived) for idx, _, _ in self._get_list_filter_args() or ())

    def get_query(self):
        query = super().get_query()
        return query.filter(self.model.archived_on.is_(None)) if self._hides_archived() else query

    def get_count_query(self):
        query = super().get_count_query()
        return query.filter(self.model.archived_on.is_(None)) if self._hides_archived() else query

    # --- Archive and restore -----------------------------------------------------------------------

    def is_action_allowed(self, name: str) -> bool:
        if name in ("archive", "restore"):
            return self.may_write()
        return super().is_action_allowed(name)

    def _records(self, ids):
        # Through the list's own query (least access included), as every action (``ClientScopeMixin``).
        keys = [int(i) for i in ids if str(i).isdigit()]
        return self.get_query().filter(self.model.id.in_(keys)).all()

    @action("archive", _l("Archive"), _l("Archive the selected records? They stay in reports and case files."))
    def action_archive(self, ids):
        records = [r for r in self._records(ids) if r.archived_on is None]
        for record in records:
            record.archive(None)
            record.archived_by_id = current_user.id
            record.saved_at = utcnow()
        db.session.commit()
        flash(ngettext("%(num)s record archived.", "%(num)s records archived.", len(records)), "success")

    #: "All N matching" (admin_app/registers/all_matching.py): archive or restore the whole filtered list.
    all_matching_actions = ("archive", "restore")

    def archive_all(self, keys: list[int]) -> None:
        """Archive every record of ``keys`` not yet archived: one UPDATE, audited as one entry naming them."""
        self._set_based(
            keys, self.model.archived_on.is_(None), archived_on=date.today(), archived_by_id=current_user.id
        )
        flash(ngettext("%(num)s record archived.", "%(num)s records archived.", self._changed_rows), "success")

    def restore_all(self, keys: list[int]) -> None:
        self._set_based(keys, self.model.archived_on.is_not(None), archived_on=None, archived_by_id=None)
        flash(ngettext("%(num)s record restored.", "%(num)s records restored.", self._changed_rows), "success")

    def _set_based(self, keys, condition, **values) -> None:
        model = self.model
        # The keys as literal parameters: the audit entry (models/audit.py ``_bulk_statement``) names the rows.
        statement = (
            sa.update(model)
            .where(model.id.in_(sorted(keys)), condition)
            .values(**values, saved_at=utcnow(), version=model.version + 1)
            .execution_options(synchronize_session=False)
        )
        self._changed_rows = db.session.execute(statement).rowcount if keys else 0
        db.session.commit()

    @action("restore", _l("Restore"), _l("Restore the selected records to the daily lists?"))
    def action_restore(self, ids):
        records = [r for r in self._records(ids) if r.archived_on is not None]
        for record in records:
            record.restore()
            record.saved_at = utcnow()
        db.session.commit()
        flash(ngettext("%(num)s record restored.", "%(num)s records restored.", len(records)), "success")

    # --- Deleting: the administrator, after the retention period ----------------------------------

    @property
    def can_delete(self) -> bool:
        return "admin" in {r.name for r in getattr(current_user, "roles", ())}

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name == "delete_view" and not self.can_delete:
            abort(403)
        return refused

    def on_model_delete(self, model):
        check(deletion_errors(model))
        super().on_model_delete(model)
