"""What the register tests share: read a page as a browser would, submit its form, compare the database."""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext, ngettext

from models import db

NBSP = "\u00a0"

#: Flask-Admin 2.2 hands the registers' choice lists to WTForms 3.3 as tuples (RegisterView._choice_fields):
#: a deprecation notice, harmless until WTForms 3.4; not what the register tests check.
TUPLE_CHOICES = pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning")


# --- Pages -----------------------------------------------------------------------------------


def page(client, url: str) -> str:
    """The HTML of ``url``; the page must open."""
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.get_data(as_text=True)


def admin_view(app, endpoint: str):
    """The Flask-Admin view registered under ``endpoint``."""
    admin = app.extensions["admin"][0]
    return next(v for v in admin._views if v.endpoint == endpoint)


def filter_arg(app, endpoint: str, label: str, kind: str) -> str:
    """The query argument of the list filter on the column labelled ``label`` (in English)
    whose Flask-Admin class is ``kind``, e.g. ``filter_arg(app, "offers", "Status", "CurrentStatusFilter")``."""
    view = admin_view(app, endpoint)
    label = shown(app, label)
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        for key, (_, flt) in view._filter_args.items():
            if str(flt.name) == label and type(flt).__name__ == kind:
                return f"flt0_{key}"
    raise AssertionError(f"no {kind} filter on {label!r} in {endpoint}")


def sort_arg(app, endpoint: str, column: str, desc: bool = False) -> str:
    """The query string that sorts the list of ``endpoint`` by ``column``."""
    view = admin_view(app, endpoint)
    index = [name for name, _ in view._list_columns].index(column)
    return f"sort={index}" + ("&desc=1" if desc else "")


def in_order(html: str, *texts: str) -> bool:
    """True when every text occurs in ``html`` and in this order."""
    positions = [html.find(t) for t in texts]
    return -1 not in positions and positions == sorted(positions)


def shown(app, message: str, **params) -> str:
    """A message as the screens show it: in the default language (Estonian unless configured)."""
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext(message, **params)


def shown_count(app, singular: str, plural: str, num: int) -> str:
    """A counted message (``ngettext``) as the screens show it, in the default language."""
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return ngettext(singular, plural, num)


# --- Forms -----------------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """Collects what a browser would submit from the first form with a CSRF token, and the
    error messages Flask-Admin shows under each field (keyed by the field's label/input id)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: list[tuple[str, str]] = []
        self.errors: dict[str, list[str]] = {}
        self.alerts: list[str] = []
        self._select: tuple[str, bool] | None = None
        self._select_chosen: list[str] = []
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._divs: list[dict] = []  # one frame per open <div>
        self._li: list[str] | None = None
        self._alert_depth: int | None = None
        self._alert_text: list[str] = []

    # The field a message belongs to is the innermost form-group around it.
    def _group(self) -> dict | None:
        return next((d for d in reversed(self._divs) if d["group"]), None)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div":
            classes = (a.get("class") or "").split()
            feedback = "invalid-feedback" in classes
            self._divs.append({"group": "form-group" in classes, "key": None, "feedback": feedback})
            if "alert" in classes and self._alert_depth is None:
                self._alert_depth = len(self._divs)
                self._alert_text = []
            return
        group = self._group()
        if tag == "label" and group is not None and group["key"] is None and a.get("for"):
            group["key"] = a["for"]
        if tag in ("input", "select", "textarea") and group is not None and group["key"] is None and a.get("id"):
            group["key"] = a["id"]
        if tag == "li" and any(d["feedback"] for d in self._divs):
            self._li = []
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values.append((a["name"], a.get("value") or "y"))
                return
            self.values.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], "multiple" in a)
            self._select_chosen = []
            self._first_option = None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._select_chosen.append(value)
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._text = []

    def handle_endtag(self, tag):
        if tag == "div" and self._divs:
            if self._alert_depth == len(self._divs):
                self.alerts.append(" ".join("".join(self._alert_text).split()).lstrip("×").strip())
                self._alert_depth = None
            self._divs.pop()
        elif tag == "li" and self._li is not None:
            group = self._group()
            key = group["key"] if group else None
            self.errors.setdefault(key, []).append("".join(self._li).strip())
            self._li = None
        elif tag == "select" and self._select:
            name, multiple = self._select
            chosen = self._select_chosen or ([] if multiple else [self._first_option or ""])
            self.values.extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # As in a browser: the one line break right after <textarea> is not part of the value.
            text = text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
            self.values.append((self._textarea, text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        if self._li is not None:
            self._li.append(data)
        if self._alert_depth is not None:
            self._alert_text.append(data)


def read_form(html: str) -> _FormReader:
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader


def field_errors(html: str, field: str) -> list[str]:
    """The messages shown next to ``field`` on a re-rendered form."""
    return read_form(html).errors.get(field, [])


def alerts(html: str) -> list[str]:
    """The flashed messages at the top of a page."""
    return read_form(html).alerts


def form_values(html: str) -> dict[str, list[str]]:
    """What the form on the page would submit unchanged: name -> values."""
    values: dict[str, list[str]] = {}
    for name, value in read_form(html).values:
        values.setdefault(name, []).append(value)
    return values


def submit(client, url: str, changes: dict, *, drop: tuple[str, ...] = ()):
    """Open the form at ``url``, change some fields (a list for a multiple select), untick or
    leave out ``drop``, and submit it as a browser would."""
    data = form_values(page(client, url))
    for name in drop:
        data.pop(name, None)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return client.post(url, data=data)


def saved(response) -> None:
    """The form was accepted: Flask-Admin redirects after a save."""
    assert response.status_code == 302, _problems(response)


def refused(response, field: str, message: str | None = None) -> None:
    """The form came back with ``message`` (or, when None, some message) under ``field``."""
    assert response.status_code == 200, f"expected the form back, got {response.status_code}"
    html = response.get_data(as_text=True)
    errors = [e for e in field_errors(html, field) if e]
    if message is None:
        assert errors, f"no message under {field!r}; errors: {read_form(html).errors}"
    else:
        assert any(message in e for e in errors), f"{message!r} not under {field!r}; errors: {read_form(html).errors}"


def not_saved_alert(app, html: str) -> bool:
    """True when the page says at the top that the record was not saved."""
    prefix = shown(app, "Not saved: %(errors)s", errors="").strip()
    return any(prefix in a for a in alerts(html))


def _problems(response) -> str:
    html = response.get_data(as_text=True)
    reader = read_form(html)
    return f"status {response.status_code}; alerts {reader.alerts}; errors {reader.errors}"


# --- The database ----------------------------------------------------------------------------


def snapshot(app, *models) -> dict:
    """Every row of ``models`` as plain values, read in a fresh session, to compare before/after."""
    with app.app_context():
        db.session.remove()
        out = {}
        for model in models:
            table = model.__table__ if hasattr(model, "__table__") else model
            rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
        db.session.remove()
        return out


def make(app, factory, **values):
    """Run a conftest factory in its own app context; returns the record, detached, columns loaded.
    Related records may be given detached (e.g. one ``make`` returned)."""
    with app.app_context():
        values = {k: db.session.merge(v) if isinstance(v, db.Model) else v for k, v in values.items()}
        record = factory(**values)
        db.session.refresh(record)
        db.session.expunge(record)
        db.session.remove()
        return record


def cell_version(html: str, pk: int) -> str | None:
    """The version the list's editable cells of row ``pk`` carry (None when the row is not listed)."""
    for tag in re.findall(r"<a [^>]*data-role=\"x-editable[^>]*>", html):
        if f'data-pk="{pk}"' in tag:
            found = re.search(r'data-version="(\d+)"', tag)
            return found.group(1) if found else None
    return None


def ajax_update(client, list_url: str, pk: int, column: str, value: str, *, version: str | None = None):
    """Edit one cell in the list, as the list's x-editable field does (with the row's version the list
    was loaded with, or ``version``)."""
    from tests.conftest import csrf_token

    html = page(client, list_url)
    data = {"list_form_pk": str(pk), column: value, "csrf_token": csrf_token(client, list_url)}
    version = version if version is not None else cell_version(html, pk)
    if version is not None:
        data["version"] = version
    return client.post(list_url + "ajax/update/", data=data)


def delete(client, list_url: str, pk: int):
    """Press the delete button of a row."""
    from tests.conftest import csrf_token

    return client.post(
        list_url + "delete/", data={"id": str(pk), "csrf_token": csrf_token(client, list_url)}, follow_redirects=True
    )


# --- Signing in ------------------------------------------------------------------------------

_HASHES: dict = {}


def signed_in(app, client, role: str, email: str | None = None):
    """``client`` signed in as a new user with ``role`` (and ``email``, to have two of one role), without
    the two argon2 rounds of the sign-in
    form (tests/admin_app/test_access.py and the browser tests cover signing in itself)."""
    from flask_security import hash_password

    from admin_app.auth import ensure_roles, user_datastore
    from tests.conftest import PASSWORD

    with app.app_context():
        ensure_roles()
        if PASSWORD not in _HASHES:
            _HASHES[PASSWORD] = hash_password(PASSWORD)
        user = user_datastore.create_user(
            email=email or f"{role.replace('_', '-')}@test.ee",
            password=_HASHES[PASSWORD],
            full_name=role.replace("_", " ").title(),
            roles=[role],
        )
        db.session.commit()
        uniquifier = user.fs_uniquifier
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = uniquifier
        session["_fresh"] = True
    return client


def archived_long_ago(app, model, *ids: int) -> None:
    """Archive the records as long ago as the retention period, so that the administrator may delete them."""
    from datetime import date

    from dateutil.relativedelta import relativedelta

    with app.app_context():
        for pk in ids:
            db.session.get(model, pk).archived_on = date.today() - relativedelta(years=app.config["RETENTION_YEARS"])
        db.session.commit()
        db.session.remove()
