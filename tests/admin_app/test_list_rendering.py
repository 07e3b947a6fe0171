"""What a list page writes by its shortcuts reads exactly as the long way writes it: money and
quantities as Babel writes them, in Estonian and in English (non-negative amounts with at most two
decimals by a shortcut), and each row's buttons as Flask-Admin draws them for each row."""

import random
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from babel.numbers import format_currency, format_decimal
from flask import render_template_string
from flask_babel import force_locale

from admin_app.auth import new_user
from admin_app.i18n import two_decimals
from admin_app.registers.paging import FastListMixin
from models.seed import scale
from tests.admin_app.helpers import TUPLE_CHOICES, page

VALUES = [
    *("0", "0.01", "0.5", "1", "9.99", "12.30", "100", "999.995", "1000", "1000.5", "12345.67"),
    *("99999.99", "100000", "1234567.89", "9999999999.99", "-0.01", "-1234.5", "1.005", "1E+3", "3.14159"),
]


@pytest.mark.parametrize("locale", ["et", "en"])
def test_amounts_and_quantities_read_as_babel_writes_them(locale):
    for text in VALUES:
        value = Decimal(text)
        assert two_decimals(value, locale, currency=True) == format_currency(value, "EUR", locale=locale), text
        assert two_decimals(value, locale, currency=False) == format_decimal(value, "#,##0.00", locale=locale), text


@pytest.mark.parametrize("locale", ["et", "en"])
def test_many_amounts_read_as_babel_writes_them(locale):
    """Amounts up to 20,000 euros in steps of 1.73 and 3,000 of every size up to ten billion, with
    none, one or two decimals: the shortcut writes each as Babel does."""
    rng = random.Random(13)
    values = [Decimal(cents).scaleb(-2) for cents in range(0, 2_000_001, 173)]
    values += [Decimal(rng.randrange(10 ** rng.randint(1, 12))).scaleb(-rng.choice((0, 1, 2))) for _ in range(3000)]
    for value in values:
        assert two_decimals(value, locale, currency=True) == format_currency(value, "EUR", locale=locale), value
        assert two_decimals(value, locale, currency=False) == format_decimal(value, "#,##0.00", locale=locale), value


def test_estonian_amounts_as_an_estonian_office_writes_them():
    assert two_decimals(Decimal("1234.50"), "et", currency=True) == "1\u00a0234,50\u00a0€"
    assert two_decimals(Decimal("12.5"), "et", currency=False) == "12,50"


@pytest.mark.parametrize("language, expected", [("et", "43\u00a0123"), ("en", "43,123")])
def test_counts_on_a_page_are_grouped_as_the_reader_writes_them(app, language, expected):
    """The invoice page's "Clients on the invoice: 43 123, with 79 262 lines" (Flask-Babel's ``numberformat``)."""
    with app.test_request_context(), force_locale(language):
        assert render_template_string("{{ 43123|numberformat }}") == expected
        assert render_template_string("{{ 7|numberformat }}") == "7"


def _same_token(html: str) -> str:
    """A page with its CSRF tokens (signed anew each second: payload dot time dot signature) read as one.

    The payload is a JSON string in base64, so it starts with ``I`` (``"`` is 0x22); the next letter varies."""
    return re.sub(r"\bI[\w-]{20,}\.[\w-]+\.[\w-]+", "token", html)


@TUPLE_CHOICES
def test_each_rows_buttons_are_drawn_as_flask_admin_draws_them(app, login_as, monkeypatch):
    """The stamped view, edit, delete and case-file buttons: every list page reads exactly as it does
    when Flask-Admin draws each row's buttons for that row."""
    with app.app_context():
        scale.seed(60, 300, new_user=new_user, echo=lambda *args: None)
    client = login_as("head")
    urls = ["/admin/deliveries/", "/admin/deliveries/?page=2", "/admin/clients/", "/admin/case-steps/"]
    urls += ["/admin/assessments/", "/admin/providers/", "/admin/service-components/"]
    stamped = {url: _same_token(page(client, url)) for url in urls}
    monkeypatch.setattr(
        FastListMixin, "get_list_row_actions", lambda view: super(FastListMixin, view).get_list_row_actions()
    )
    for url in urls:
        drawn = _same_token(page(client, url))
        assert drawn.count('class="action-checkbox"') >= 10, url
        assert stamped[url] == drawn, url


@TUPLE_CHOICES
def test_editable_cells_are_written_as_flask_admin_writes_them(app, login_as, monkeypatch):
    """The in-list editing cells (text, yes/no, choices), their attributes written once per request
    where every row has the same, all rows' cells from one form filled row by row: every list with
    such cells reads exactly as Flask-Admin's own ``XEditableWidget`` writes it with a form per row,
    also for values with quotes, angle brackets and ampersands."""
    from flask_admin.contrib.sqla import ModelView
    from flask_admin.model.widgets import XEditableWidget

    from admin_app.registers.versions import VersionCheck, VersionedCell
    from models import Client, Provider, db

    with app.app_context():
        scale.seed(60, 300, new_user=new_user, echo=lambda *args: None)
        provider = db.session.scalars(sa.select(Provider).order_by(Provider.name)).first()
        provider.contact_person = 'Mari "Mari" <Tamm> & Poeg'
        provider.phone = "+372 5' 12 34"
        provider.active = False
        client = db.session.scalars(sa.select(Client).order_by(Client.last_name, Client.id)).first()
        client.phone = '5<1>"2"&3'
        db.session.commit()
    browser = login_as("admin")  # who may edit every list in place
    urls = ["/admin/providers/", "/admin/clients/", "/admin/procurements/", "/admin/service-components/"]
    urls += ["/admin/municipalities/", "/admin/users/"]
    ours = {url: _same_token(page(browser, url)) for url in urls}
    assert "Mari &#34;Mari&#34; &lt;Tamm&gt; &amp; Poeg" in ours["/admin/providers/"]
    assert "5&lt;1&gt;&#34;2&#34;&amp;3" in ours["/admin/clients/"]
    # Ours add one attribute Flask-Admin's lack: the empty cell's text in the user's language.
    empty = ' data-emptytext="Tühi"'
    assert all(empty in cell for cell in re.findall(r"<a [^>]*x-editable[^>]*>", ours["/admin/providers/"]))
    ours = {url: html.replace(empty, "") for url, html in ours.items()}
    monkeypatch.setattr(VersionedCell, "__call__", XEditableWidget.__call__)

    def form_per_row(view, obj=None):
        form = ModelView.list_form(view, obj)
        if obj is not None:
            view._fill_versions(form, obj)
        return form

    monkeypatch.setattr(VersionCheck, "list_form", form_per_row)
    for url in urls:
        theirs = _same_token(page(browser, url))
        assert theirs.count('data-role="x-editable') >= 8, url
        assert ours[url] == theirs, url
