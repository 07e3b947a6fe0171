"""Actions on the whole filtered list: "all N rows that match the current search and filters", not
only the rows ticked on one page. The user sees the count and confirms it; then the action runs on
exactly the rows the list would show (least access included, ``get_query``), set-based where the
action has a set-based form (``<action>_all(keys)``, e.g. archiving: one UPDATE, one audit entry that
names the rows), else through the action itself with every matching key."""

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext

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

    def matching_keys(self) -> list[int]:
        """The keys of every row the list shows under the request's search and filters, all pages."""
        view_args = self._get_list_extra_args()
        _, query = self.get_list(0, None, False, view_args.search, view_args.filters, execute=False, page_size=0)
        key = self.model.__mapper__.primary_key[0]
        return [row[0] for row in query.with_entities(key).order_by(None)]

    @expose("/action/all/", methods=("GET", "POST"))
    def all_matching_view(self):
        name = request.values.get("action", "")
        offered = dict(self.all_matching_offered())
        if name not in offered:
            abort(404)
        query = request.query_string.decode("utf-8", "replace")
        back = (
            self.get_url(".index_view")
            + "?"
            + "&".join(part for part in query.split("&") if part and not part.startswith("action="))
        )
        keys = self.matching_keys()
        if request.method == "GET" or request.form.get("confirmed") != str(len(keys)):
            if request.method == "POST":
                flash(gettext("The number of matching rows has changed: check it and confirm again."), "error")
            return self.render(
                "admin/all_matching_confirm.html", action=offered[name], count=len(keys), back=back.rstrip("?")
            )
        set_based = getattr(self, f"{name}_all", None)
        if set_based is not None:
            set_based(keys)
        else:
            self._actions_data[name][0]([str(k) for k in keys])
        return redirect(back.rstrip("?"))
