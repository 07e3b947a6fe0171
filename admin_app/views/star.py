"""STAR-i järjekord (/admin/star/): what waits to be entered by hand into STAR, per client and oldest
first, each item's fields in the order STAR's forms ask for them; marking entered (one with STAR's
reference, or many at once) takes items off. The rules are in ``models.star``."""

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import aliased

from models import Client, StarItem, StarState, User, db, mark_entered
from models.access import client_condition
from models.base import RuleViolation
from models.star import (
    KINDS,
    WAITING,
    changes,
    fields_of,
    fields_stamp,
    load_records,
    mark_seen,
    seen_stamps,
    star_reference_error,
    waiting_summary,
)

from ..access_rules import shows_no_person
from ..registers.base import RegisterView, badge, label
from ..registers.shared import CASE_WORKERS, UserFilter, client_first_name, client_last_name

#: The screen each kind's record opens on (a register joining the queue adds its own).
RECORD_ENDPOINTS = {
    "assessment": "assessments",
    "action_plan": "action_plans",
    "case_step": "case_steps",
    "youth_helped": "youth",
}


class CaseManagerFilter(UserFilter):
    """Items of the clients one case manager is assigned to."""

    def apply(self, query, value, alias=None):
        return query.filter(StarItem.client_id.in_(sa.select(Client.id).where(Client.case_manager_id == value)))


class KindFilter(BaseSQLAFilter):
    def get_options(self, view):
        return [(key, str(kind.label)) for key, kind in KINDS.items()]

    def validate(self, value):
        return value in KINDS

    def apply(self, query, value, alias=None):
        return query.filter(StarItem.kind == value)

    def operation(self):
        return gettext("equals")


class WaitingLongerFilter(BaseSQLAFilter):
    """Items waiting longer than a number of days."""

    def validate(self, value):
        return str(value).isdigit() and int(value) < 100000

    def clean(self, value):
        return int(value)

    def apply(self, query, value, alias=None):
        cut_off = date.today().toordinal() - value
        return query.filter(StarItem.queued_at < date.fromordinal(max(cut_off + 1, 1)))

    def operation(self):
        return gettext("days, more than")


def _record(view, context, model, name):
    endpoint = RECORD_ENDPOINTS.get(model.kind)
    text = model.kind_label
    if endpoint is None:
        return text
    return Markup('<a href="{}">{}</a>').format(url_for(f"{endpoint}.details_view", id=model.record_id), text)


def _waiting(view, context, model, name):
    days = model.days_waiting()
    text = ngettext("%(num)s day", "%(num)s days", days)
    return badge(text, "danger" if model.late() else "light")


def _state(view, context, model, name):
    if model.state != StarState.CHANGED:
        return badge(label(model.state), "info")
    changed = changes(model)
    names = {key: text for key, text, _ in fields_of(model)}
    what = ", ".join(names.get(key, key) for key in changed)
    return badge(label(model.state), "warning") + (
        Markup(' <small class="changed">{}</small>').format(what) if what else ""
    )


def _fields(view, context, model, name):
    """The record's fields in STAR's order, compactly (the client column names the person; the
    details page shows each field on its own line, to copy)."""
    parts = [
        Markup('<span class="text-muted">{}:</span> {}').format(text, value.replace("\n", "; "))
        for key, text, value in fields_of(model)
        if value and key not in ("personal_code", "name")
    ]
    # What this row showed, sent with the list's action form: marking it in bulk is refused if it changed since.
    seen = Markup('<input type="hidden" name="seen" form="action_form" value="{}:{}">').format(
        model.id, fields_stamp(model)
    )
    return Markup('<div class="small star-fields">{}</div>{}').format(Markup(" · ").join(parts), seen)


def _fields_export(view, context, model, name):
    return "\n".join(f"{text}: {value}" for _, text, value in fields_of(model) if value)


def _client(view, context, model, name):
    client = model.client
    if client is None:
        return ""
    return Markup('<a href="{}">{}</a> <small class="text-muted">{}</small>').format(
        url_for("case_file.index", client_id=client.id), client, client.personal_code
    )


class StarView(RegisterView):
    """STAR-i järjekord: the waiting items of the clients the user may see. Nothing is created or
    edited here; an item leaves the list when marked entered and comes back when its record changes."""

    read_roles = write_roles = CASE_WORKERS
    can_create = can_edit = can_delete = False
    can_export = True
    details_template = "admin/star_details.html"
    list_template = "admin/star_list.html"
    all_matching_actions = ("entered",)

    column_list = ("client", "record", "queued_at", "state", "fields")
    column_labels = {
        "client": _l("Client"),
        "record": _l("Record"),
        "queued_at": _l("Waiting"),
        "state": _l("State"),
        "fields": _l("Fields for STAR"),
    }
    column_formatters = {
        "client": _client,
        "record": _record,
        "queued_at": _waiting,
        "state": _state,
        "fields": _fields,
    }
    column_formatters_export = {
        "client": lambda v, c, m, n: str(m.client) if m.client else "",
        "record": lambda v, c, m, n: m.kind_label,
        "queued_at": lambda v, c, m, n: m.days_waiting(),
        "state": lambda v, c, m, n: label(m.state),
        "fields": _fields_export,
    }
    column_sortable_list = ("client", "queued_at")
    column_searchable_list = ()
    column_filters = (
        CaseManagerFilter(StarItem.client_id, _l("Case manager")),
        KindFilter(StarItem.kind, _l("Record")),
        WaitingLongerFilter(StarItem.queued_at, _l("Waiting")),
    )

    #: No item is created, edited or deleted by hand: the queue is kept by the rules (``models.star``).
    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)  # not signed in: to the sign-in page first
        if refused is None and name in self.write_methods:
            abort(403)
        return refused

    def get_query(self):
        return super().get_query().filter(StarItem.state.in_(WAITING))

    def get_count_query(self):
        return super().get_count_query().filter(StarItem.state.in_(WAITING))

    def get_sortable_columns(self):
        columns = super().get_sortable_columns()
        columns["client"] = [client_last_name(StarItem), client_first_name(StarItem)]
        self._sortable_joins["client"] = [[], []]
        return columns

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is not None:
            query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
            return query.order_by(StarItem.queued_at, StarItem.id), joins
        # Per client, the client waiting longest first; each client's items oldest first.
        mine = aliased(StarItem)
        oldest = (
            sa.select(sa.func.min(mine.queued_at))
            .where(mine.client_id == StarItem.client_id, mine.state.in_(WAITING))
            .scalar_subquery()
        )
        return query.order_by(oldest, StarItem.client_id, StarItem.queued_at, StarItem.id), joins

    def get_list(self, *args, **kwargs):
        count, items = super().get_list(*args, **kwargs)
        # Each row shows its record's fields: a page's records load with one query per kind and relation.
        load_records(items)
        return count, items

    def get_one(self, id):
        item = super().get_one(id)
        if item is None:
            abort(404)
        return item

    def is_action_allowed(self, name):
        if name == "delete":
            return False
        return super().is_action_allowed(name)

    @action("entered", _l("Mark entered in STAR"), _l("Mark the chosen records as entered in STAR?"))
    def action_entered(self, ids):
        if not self.may_write():
            abort(403)
        items = db.session.scalars(sa.select(StarItem).where(StarItem.id.in_([int(i) for i in ids]))).all()
        waiting = [i for i in items if i.waiting]
        load_records(waiting)
        seen = seen_stamps(request.form.getlist("seen"))
        done, refused = mark_seen(waiting, db.session.get(User, current_user.id), seen)
        db.session.commit()
        flash(ngettext("%(num)s record marked as entered in STAR.", "%(num)s records marked as entered in STAR.", done))
        if refused:
            flash(
                gettext(
                    "Not marked, because they changed after you saw them (open them and check their fields): %(items)s",
                    items="; ".join(f"{i.client or ''} – {i.kind_label}" for i in refused),
                ),
                "error",
            )

    def render(self, template, **kwargs):
        if template == "admin/all_matching_confirm.html" and request.values.get("action") == "entered":
            # The whole list marked: the confirmation shows every item's fields, and carries what it showed.
            items = self.get_query().filter(StarItem.id.in_(self.matching_keys())).all()
            load_records(items)
            template = "admin/star_all_confirm.html"
            kwargs["star_items"] = [(item, fields_of(item), fields_stamp(item)) for item in items]
        model = kwargs.get("model")
        if isinstance(model, StarItem):
            kwargs.update(
                star_fields=fields_of(model),
                star_changes=changes(model),
                star_stamp=fields_stamp(model),
                may_write=self.may_write(),
            )
        return super().render(template, **kwargs)

    @shows_no_person
    @expose("/<int:item_id>/entered/", methods=("POST",))
    def entered_view(self, item_id):
        """Mark one item entered, with STAR's reference if given."""
        if not self.may_write():
            abort(403)
        item = self.get_one(str(item_id))
        reference = request.form.get("star_reference", "")
        error = star_reference_error(reference)
        if error:
            flash(gettext("Not saved: %(errors)s", errors=error), "error")
            return redirect(url_for(".details_view", id=item.id))
        if item.waiting:
            try:
                mark_entered(
                    [item], db.session.get(User, current_user.id), reference, seen={item.id: request.form.get("seen")}
                )
            except RuleViolation as e:
                db.session.rollback()
                flash(" ".join(e.errors.values()), "error")
                return redirect(url_for(".details_view", id=item.id))
            db.session.commit()
            flash(gettext("Marked as entered in STAR."), "success")
        return redirect(url_for(".index_view"))


def home_card(user_id: int | None) -> dict:
    """The home page's STAR card: how many items wait, how many longer than five working days, the
    oldest one's age; of ``user_id``'s own clients (and those they stand in for), or of all."""
    condition = None if user_id is None else client_condition(user_id, unassigned=False)
    return waiting_summary(condition)


def register(admin) -> None:
    admin.add_view(StarView(StarItem, db, name=_l("STAR queue"), endpoint="star", url="star", category=_l("Case work")))
