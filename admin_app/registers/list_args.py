"""What a list takes from its query string: filters, search, sort and page, checked before the database.

Anyone can type a URL. Flask-Admin reads the list's filters (``flt…``), search, sort, page and page size
from it, and until now a filter value outside the filter's options (``?flt0_0=x`` on a status), a
number larger than the database's, a NUL character or a search of thousands of words reached the
database and came back as a server error. Here every value is checked first, by the rules in
``models.text``:

* **a filter value** must be one of the filter's options when it has a fixed list of them, pass the
  filter's own ``validate`` and ``clean`` (a date that is a date, a number that is a number) and be a
  value the database can compare (``query_value_error``). Otherwise the filter is left out and the list
  says which value it ignored (Flask-Admin's own behaviour for a value its ``validate`` refuses);
* **the search** follows ``search_error``: otherwise it is left out, with the message;
* **the page** is never negative nor past ``LAST_PAGE``; the sort index and the page size Flask-Admin
  already keeps within the list's columns and ``page_size_options``.

Each request reads the filters once (the archive filter asks for them too), so a message shows once.
"""

from flask import flash, request
from flask_admin._compat import as_unicode
from flask_babel import gettext

from models.text import CONTROL_CHARACTERS, query_value_error, search_error

#: The last page a list shows (0-based): past it the list is as empty as on any page after its last row.
LAST_PAGE = 100_000
#: How much of a refused value the message repeats.
SHOWN_LENGTH = 40


def shortened(value: str) -> str:
    """``value`` as a message repeats it: at most ``SHOWN_LENGTH`` characters, control characters as �."""
    text = CONTROL_CHARACTERS.sub("\ufffd", str(value))
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + "…"


def filter_takes(flt, value: str) -> bool:
    """Whether the list filter ``flt`` can be applied with ``value`` (as typed in the query string)."""
    offered = flt.options
    if isinstance(offered, list | tuple) and value not in {str(key) for key, _ in offered}:
        return False
    try:
        return bool(flt.validate(value)) and query_value_error(flt.clean(value)) is None
    except (ValueError, TypeError, ArithmeticError, LookupError):
        return False


class ListArgsMixin:
    """Flask-Admin's reading of a list's query string, every value checked first (see the module)."""

    def _get_list_filter_args(self):
        # Flask-Admin's own (flask_admin/model/base.py), but for the check and once per request.
        if not self._filters:
            return None
        read = request.environ.setdefault("juhtum.list_filter_args", {})
        if self.endpoint not in read:
            chosen = []
            for arg in request.args:
                if not arg.startswith("flt") or "_" not in arg:
                    continue
                pos, key = arg[3:].split("_", 1)
                if key not in self._filter_args:
                    continue
                idx, flt = self._filter_args[key]
                value = request.args[arg]
                if filter_takes(flt, value):
                    chosen.append((pos, (idx, as_unicode(flt.name), value)))
                else:
                    flash(self.get_invalid_value_msg(value, flt), "error")
            read[self.endpoint] = [v for _, v in sorted(chosen, key=lambda n: n[0])]
        return read[self.endpoint]

    def get_invalid_value_msg(self, value, filter) -> str:
        return gettext(
            "The filter %(filter)s cannot use %(value)s; the list is shown without it.",
            filter=filter.name,
            value=shortened(value),
        )

    def _get_list_extra_args(self):
        args = super()._get_list_extra_args()
        if args.search:
            error = search_error(args.search)
            if error is not None:
                flash(error, "error")
                args.search = None
        args.page = min(max(args.page or 0, 0), LAST_PAGE)
        return args
