"""What a list page writes by its shortcuts reads exactly as the long way writes it: money and
quantities as Babel writes them, in Estonian and in English (non-negative amounts with at most two
decimals by a shortcut), and an in-line editable cell's attributes as WTForms writes them."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from flask import render_template_string
from flask_babel import force_locale
from markupsafe import Markup
from wtforms.widgets.core import html_params as wtforms_html_params

from admin_app.i18n import two_decimals
from admin_app.views.paging import html_params

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


def test_estonian_amounts_as_an_estonian_office_writes_them():
    assert two_decimals(Decimal("1234.50"), "et", currency=True) == "1\u00a0234,50\u00a0€"
    assert two_decimals(Decimal("12.5"), "et", currency=False) == "12,50"


def test_an_editable_cell_is_written_as_wtforms_writes_it():
    attributes = {
        "data-value": 'Kask & "Kuusk" <OÜ>',
        "data_source": '[{"value": "", "text": "Ei"}]',
        "data-pk": "17",
        "href": "#",
        "class_": "x",
        "required": True,
        "readonly": False,
        "aria_label": Markup("<b>Telefon</b>"),
        "name": "phone",
        "data-csrf": "IjAbC.dEf",
        "for_": 3,
    }
    assert html_params(**attributes) == wtforms_html_params(**attributes)
    assert html_params() == wtforms_html_params()


@pytest.mark.parametrize("language, expected", [("et", "43\u00a0123"), ("en", "43,123")])
def test_counts_on_a_page_are_grouped_as_the_reader_writes_them(app, language, expected):
    """The invoice page's "Clients on the invoice: 43 123, with 79 262 lines" (Flask-Babel's ``numberformat``)."""
    with app.test_request_context(), force_locale(language):
        assert render_template_string("{{ 43123|numberformat }}") == expected
        assert render_template_string("{{ 7|numberformat }}") == "7"
