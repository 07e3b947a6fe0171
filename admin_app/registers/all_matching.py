"""Actions on the whole filtered list: "all N rows that match the current search and filters", not
only the rows ticked on one page. The user sees the count and confirms it; then the action runs on
exactly the rows the list would show (least access included, ``get_query``), set-based where the
action has a set-based form (``<action>_all(keys)``, e.g. archiving: one UPDATE, one audit entry that
names the rows), else through the action itself with every matching key.

An action that needs a choice (assigning: to whom?) names its options in ``all_matching_choice``; the
confirmation page asks for it and ``<action>_all(keys, choice)`` gets it. The same page serves the rows
ticked on one page (``ids=1,2,3``): the action's list button sends the user there."""

from urllib.parse import urlencode

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext

from models import RuleViolation, db

from ..access_rules import SHOWS_NO_PERSON


class AllMatchingMixin:
    """``/action/all/?action=NAME&<the list's search and filters>`` (see the module)."""

    access_rules = {"all_matching_view": SHOWS_NO_PERSON}
    #: Actions offered for all matching rows (each must also be one of the list's actions).
    all_matching_actions: tuple[str, ...] = ()

    def all_matching_offered(self) -> list[tuple[str, str]]:
        """(name, label) of the actions the signed-in user may run on all matching rows."""
        actions = getattr(self, "_actions_data", {})
        return [
            (name, str(actions[name][1]))
            for name in self.all_matching_actions
            if name in actions and self.is_action_allowed(name)
        ]

    def all_matching_choice(self, name: str) -> tuple[str, list[tuple[str, str]]] | None:
        """(label, [(value, text), …]) of what the user must choose for action ``name``, or None."""
        return None

    def chosen_rows_url(self, name: str, ids) -> str:
        """The confirmation page of action ``name`` for the rows ``ids`` ticked on a page."""
        return url_for(".all_matching_view", action=name, ids=",".join(str(i) for i in ids))

    def _keys_asked(self) -> list[int]:
        """The rows ticked (``ids``), each one the list shows (else 404), or every matching row."""
        text = request.args.get("ids")
        if text is None:
            return self.matching_keys()
        keys = self._action_keys(text.split(","))
        if keys is None or self._listed(keys) != keys:
            abort(404)
        return sorted(keys)

    def matching_keys(self) -> list[int]:
        """The keys of every row the list shows under the request's search and filters, all pages."""
        view_args = self._get_list_extra_args()
        _, query = self.get_list(0, None, False, view_args.search, view_args.filters, execute=False, page_size=0)
        key = self.model.__mapper__.primary_key[0]
        return [row[0] for row in query.with_entities(key).order_by(None)]

    @expose("/action/all/", methods=("GET", "POST"))
    def all_matching_view(self):
        name = request.args.get("action", "")
        offered = dict(self.all_matching_offered())
        if name not in offered:
            abort(404)
        back = (
            self.get_url(".index_view")
            + "?"
            + urlencode([(k, v) for k, v in request.args.items(multi=True) if k not in ("action", "ids")])
        )
        keys = self._keys_asked()
        choice = self.all_matching_choice(name)
        page = {"action": offered[name], "count": len(keys), "back": back.rstrip("?"), "choice": choice}
        page["chosen"] = "ids" in request.args
        if request.method == "GET":
            return self.render("admin/all_matching_confirm.html", **page)
        if request.form.get("confirmed") != str(len(keys)):
            flash(gettext("The number of matching rows has changed: check it and confirm again."), "error")
            return self.render("admin/all_matching_confirm.html", **page)
        try:
            # A set-based form, or the action itself, may answer with a page of its own (a comparison).
            if choice is not None:
                answer = getattr(self, f"{name}_all")(keys, request.form.get("choice", ""))
            elif (set_based := getattr(self, f"{name}_all", None)) is not None:
                answer = set_based(keys)
            else:
                answer = self._actions_data[name][0]([str(k) for k in keys])
        except RuleViolation as refused:
            db.session.rollback()
            for message in refused.errors.values():
                flash(message, "error")
            return self.render("admin/all_matching_confirm.html", **page)
        return answer if answer is not None else redirect(back.rstrip("?"))
