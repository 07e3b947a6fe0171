"""Lists that stay fast at a national register's size: the pager's total and deep pages.

Flask-Admin counts every list for its pager and pages by ``OFFSET`` over the query that also
eagerly joins what the columns show. On a million deliveries the first costs PostgreSQL a read of
the whole table, the second reads and throws away 50,000 joined rows for page 1,000. Here:

* **The total of a large, unfiltered list is the planner's estimate** (PostgreSQL only): when the
  table holds ``LIST_ESTIMATE_FROM`` rows or more (``pg_class.reltuples``), the rows ``EXPLAIN``
  expects the list's own query to return, kept fresh by autovacuum's statistics; the list says
  "about N" then. A smaller table is counted in the same statement that asks its size. A list a
  user has searched or filtered, a case manager's list (kept to their clients' records) and SQLite
  are counted exactly, and so is an export (its progress bar needs the true number of rows).
* **Ties in the list's order come by the record's key**, so a page shows the same rows on every
  request and no row is shown twice or skipped between pages.
* **A page after the first is chosen by its keys first** (a "deferred join"): the ``OFFSET`` runs
  over the narrow query of primary keys, in the list's order and with the joins its sort, search and
  filters need, but without the relations shown in the columns; those are then loaded for the page's
  rows only. The rows and their order are the same as a single query gives (Flask-Admin's page
  links are unchanged).
* **A row's buttons are drawn once per page** and stamped with each further row's key.

What the speed tricks save (the deferred join, the stamped buttons, and the money shortcut in
``admin_app/i18n.py``) is measured by ``make bench-tricks`` (``tests/bench/tricks_bench.py``) against
Flask-Admin's own path in the same run, and written where each lives; the figures are of 100,000
clients and 1,000,000 deliveries on a shared virtual machine with 2 CPU cores (load average about 11,
some also at 5), median of 15 requests each way. Two tricks that saved under 3 ms per page were
removed: in-line editable cells written by an ``html_params`` of our own (no saving: WTForms' own is now
faster, 28 against 35 ms per 200 cells), and one ``url_for`` per page for a delivery's invoice link
(1 ms per 50 invoiced rows).
"""

from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app, request
from flask_admin.model.template import (
    BaseListRowAction,
    DeleteRowAction,
    EditRowAction,
    EndpointLinkRowAction,
    ViewRowAction,
)
from flask_babel import format_decimal, gettext
from markupsafe import Markup, escape
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.expression import ClauseElement, Executable

from models import db


class AboutCount(int):
    """A list's total that is the planner's estimate: a number for the pager, "about N" on screen."""

    def __str__(self) -> str:
        return gettext("about %(num)s", num=format_decimal(int(self)))

    def __html__(self) -> str:
        return str(escape(str(self)))


def rounded(estimate: float) -> int:
    """An estimate to three significant figures, so it does not pretend to be exact (1,000,000; 98,700)."""
    value = int(round(estimate))
    digits = len(str(value))
    return value if digits <= 3 else int(round(value, 3 - digits))


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON)`` of a select, with its parameters bound as usual."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element, compiler, **kw):
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def table_rows(model):
    """PostgreSQL's count of ``model``'s table rows as of its last ANALYZE or VACUUM (-1 if never)."""
    pg_class = sa.table("pg_class", sa.column("oid"), sa.column("reltuples"))
    name = sa.func.quote_ident(sa.literal(model.__table__.name))
    return sa.select(pg_class.c.reltuples).where(pg_class.c.oid == sa.func.to_regclass(name)).scalar_subquery()


def planned_rows(session, count_query) -> int | None:
    """The rows PostgreSQL's planner expects ``count_query``'s FROM and WHERE to hold, or None."""
    statement = count_query.statement.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
    plan = session.execute(_Explain(statement)).scalar()
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (LookupError, TypeError, ValueError):
        return None


class FastListMixin:
    """``get_list`` with an estimated total for large unfiltered lists and deferred joins for deep
    pages (see the module). Mixed into ``RegisterView`` before Flask-Admin's ``ModelView``."""

    def _estimates_total(self, search, filters) -> bool:
        """Whether this list's total may be the planner's estimate: the list page itself (not an
        export), on PostgreSQL, neither searched nor filtered, and not kept to a user's scope."""
        if search or filters:
            return False
        if request.endpoint != f"{self.endpoint}.index_view":
            return False
        if db.session.get_bind().dialect.name != "postgresql":
            return False
        return self.scope_condition() is None

    def _count(self, count_query, estimate: bool) -> int:
        if not estimate:
            return count_query.scalar()
        threshold = current_app.config["LIST_ESTIMATE_FROM"]
        # One statement: the exact count when the table is small (PostgreSQL runs the count's
        # sub-select only when its branch is taken), or nothing when it holds ``threshold`` rows or more.
        exact = db.session.scalar(
            sa.select(
                sa.case((table_rows(self.model) >= threshold, sa.null()), else_=count_query.statement.scalar_subquery())
            )
        )
        if exact is not None:
            return exact
        expected = planned_rows(db.session, count_query)
        if expected is not None and expected >= threshold:
            return AboutCount(rounded(expected))
        return count_query.scalar()

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        # Flask-Admin's own get_list (flask_admin/contrib/sqla/view.py), but for the count and the page.
        joins, count_joins = {}, {}
        query = self.get_query()
        count_query = self.get_count_query() if not self.simple_list_pager else None
        if self._search_supported and search:
            query, count_query, joins, count_joins = self._apply_search(query, count_query, joins, count_joins, search)
        if filters and self._filters:
            query, count_query, joins, count_joins = self._apply_filters(
                query, count_query, joins, count_joins, filters
            )
        count = self._count(count_query, self._estimates_total(search, filters)) if count_query is not None else None
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        query = self._tie_broken(query, sort_column, sort_desc)
        if page_size is None:
            page_size = self.page_size
        if execute and page and page_size:
            return count, self._deferred_page(query, page * page_size, page_size)
        for relation in self._auto_joins:
            query = query.options(joinedload(relation))
        query = self._apply_pagination(query, page, page_size)
        return count, (query.all() if execute else query)

    def get_list_row_actions(self):
        return stamped(super().get_list_row_actions())

    def _tie_broken(self, query, sort_column, sort_desc):
        """Rows equal in the list's order come by their key, so every page and every request shows
        them in the same order (PostgreSQL is free to return ties in any order, page by page)."""
        if sort_column is None:
            default = list(self._get_default_order() or ())
            sort_desc = bool(default[-1][-1]) if default else False
        key = sa.inspect(self.model).primary_key[0]
        return query.order_by(key.desc() if sort_desc else key)

    def _deferred_page(self, query, offset: int, limit: int) -> list:
        """The page's keys by OFFSET over the narrow query, then its rows with their relations."""
        # Saves, against Flask-Admin's one OFFSET over the query with its relations joined, 750 ms on
        # page 1,000 of deliveries (PostgreSQL 190 ms against 940; SQLite 40 against 860) and 300 ms
        # on page 1,000 of clients (PostgreSQL 36 against 340; SQLite 29 against 400) at load average
        # 11; at load 5 (SQLite) 380 and 150 ms. On page 2 it neither saves nor costs (±2 ms).
        # Rows and order as Flask-Admin's: tests/admin_app/test_list_paging.py.
        key = sa.inspect(self.model).primary_key[0]
        ids = [row[0] for row in query.enable_eagerloads(False).with_entities(key).offset(offset).limit(limit)]
        if not ids:
            return []
        rows = self.get_query().filter(key.in_(ids))
        for relation in self._auto_joins:
            rows = rows.options(joinedload(relation))
        by_id = {sa.inspect(row).identity[0]: row for row in rows}
        return [by_id[i] for i in ids if i in by_id]


class StampedRowAction(BaseListRowAction):
    """A row's view, edit or delete button drawn once per page by Flask-Admin's own template and
    stamped with each further row's key: the same HTML, without a ``url_for`` and a rendered form
    per row. Falls back to drawing each row when the key does not occur exactly once where it is
    expected."""

    # Saves 65 ms of a 50-row page of deliveries (3 buttons a row; PostgreSQL 3 ms against 69, SQLite
    # 2 against 85) and 30 ms of the client list (4 with the case file; PostgreSQL 3 against 32,
    # SQLite 6 against 19) at load average 11; 10-12 ms of either at load 5 (SQLite: 1.4 against
    # 11-14). The page's HTML as Flask-Admin's: tests/admin_app/test_list_rendering.py.

    def __init__(self, action: BaseListRowAction, needle):
        super().__init__(title=action.title)
        self.action = action
        #: ``needle(row_id)``: the text in the drawn HTML that holds the row's key.
        self.needle = needle
        self._parts: list[str] | None = None
        self._stampable = True

    def render(self, context, row_id, row):
        if not self._stampable:
            return self.action.render(context, row_id, row)
        if self._parts is None:
            drawn = Markup("") + self.action.render(context, row_id, row)
            needle = self.needle(row_id)
            if drawn.count(needle) != 1:
                self._stampable = False
            else:
                self._parts = drawn.split(needle)
            return drawn
        return self.needle(row_id).join(self._parts)


def _link_needle(row_id) -> Markup:
    # ``…/details/?id=7&amp;url=…``: Flask-Admin puts the key first, the return URL after it.
    return Markup("?id=") + quote(str(row_id), safe="") + Markup("&amp;")


def _form_needle(row_id) -> Markup:
    # ``<input id="id" name="id" type="hidden" value="7">``
    return Markup('value="') + str(row_id) + Markup('"')


def _endpoint_needle(action: EndpointLinkRowAction):
    # ``/admin/case-file/?client_id=7``
    return lambda row_id: escape(action.id_arg) + Markup("=") + quote(str(row_id), safe="")


STAMPED = {ViewRowAction: _link_needle, EditRowAction: _link_needle, DeleteRowAction: _form_needle}


def stamped(actions: list) -> list:
    """Flask-Admin's view, edit, delete and endpoint-link row actions, each drawn once per page (see
    ``StampedRowAction``)."""
    drawn = []
    for action in actions:
        if type(action) in STAMPED:
            action = StampedRowAction(action, STAMPED[type(action)])
        elif type(action) is EndpointLinkRowAction:
            action = StampedRowAction(action, _endpoint_needle(action))
        drawn.append(action)
    return drawn
