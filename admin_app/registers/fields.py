"""Form fields and the form converter the registers share: dd.mm.yyyy dates, comma decimals."""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_admin import form as admin_form
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.contrib.sqla.validators import Unique
from flask_admin.model.form import converts
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import fields, validators, widgets

from models import Choice
from models.base import EARLIEST_DAY, LATEST_DAY, ChoiceType, day_in_range
from models.text import text_error

DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]

#: What a duplicate says, by (table, column), in place of Flask-Admin's bare "Already exists." (the
#: same words as the models' own rules, which run after the form's checks).
DUPLICATE = {
    ("client", "personal_code"): _l("A client with this personal ID code is already registered."),
    ("provider", "registry_code"): _l("A provider with this registry code is already registered."),
    ("municipality", "registry_code"): _l("A municipality with this registry code already exists."),
    ("municipality", "name"): _l("A municipality with this name is already registered."),
    ("service_component", "code"): _l("A service component with this code already exists."),
    ("user", "email"): _l("A user with this e-mail already exists."),
    ("procurement", "reference_number"): _l("A procurement with this reference number already exists."),
    ("invoice", "number"): _l("An invoice with this number already exists."),
    ("letter", "number"): _l("A letter with this number already exists."),
    ("qol_instrument", "name"): _l("A questionnaire with this name already exists."),
    ("role", "name"): _l("A role with this name already exists."),
}
#: Any other unique column: the field's label says what is duplicated.
DUPLICATE_OTHER = _l("A record with this value already exists.")


def strip(value):
    """Form filter for codes (registry, personal, IBAN): a pasted code often brings spaces around it."""
    return value.strip() if isinstance(value, str) else value


class DateField(fields.DateField):
    """A date typed as dd.mm.yyyy (ISO accepted too), with a clear message when it is not one."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", DATE_FORMATS)
        kwargs.setdefault("widget", admin_form.DatePickerWidget())
        kwargs.setdefault("render_kw", {"data-date-format": "DD.MM.YYYY", "placeholder": "pp.kk.aaaa"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(gettext("Give a date as dd.mm.yyyy, e.g. 24.02.2026.")) from None
        if not day_in_range(self.data):
            self.data = None
            raise ValueError(
                gettext(
                    "Give a date between %(first)s and %(last)s.",
                    first=f"{EARLIEST_DAY:%d.%m.%Y}",
                    last=f"{LATEST_DAY:%d.%m.%Y}",
                )
            )


class DecimalField(fields.DecimalField):
    """A euro amount: accepts '1 234,50' as well as '1234.50'; never a float.

    A text box, not WTForms' <input type="number">: a browser shows a number box holding
    '1234,50' as empty (and submits it empty), and will not take '1 234,50' at all."""

    widget = widgets.TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].replace("\u00a0", "").replace(" ", "").replace("€", "").replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError(gettext("Give a number such as 1234,50.")) from None
        if not value.is_finite() or abs(value) >= Decimal("1e12"):
            self.data = None
            raise ValueError(gettext("Give a number such as 1234,50."))
        if value != value.quantize(Decimal("0.01")):
            self.data = None
            raise ValueError(gettext("Give at most two decimal places (cents)."))
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:.2f}".replace(".", ",")


def plain_text(form, field):
    """Every text field: no control characters (models.text), and a required one more than white space."""
    required = any(isinstance(v, validators.InputRequired | validators.DataRequired) for v in field.validators)
    message = text_error(field.data, required=required)
    if message is not None:
        raise validators.StopValidation(message)


def choice_value(value):
    """What a select box compares and keeps for a ``Choice``: its stored value, because str() of a
    Choice is its label and Flask-Admin's select coerces with str()."""
    return value.value if isinstance(value, Choice) else value


class ModelConverter(AdminModelConverter):
    """Flask-Admin's converter with our date and money fields.

    The methods carry Flask-Admin's own names on purpose: converters are collected by name, so a
    method under another name for the same type would lose to Flask-Admin's (dir() order)."""

    def convert(self, model, mapper, name, prop, field_args, hidden_pk):
        # A Choice column shown as a select: without this the edit form preselects nothing and
        # saving it unchanged would store the first choice in the list.
        columns = getattr(prop, "columns", None)
        choices = (getattr(self.view, "form_choices", None) or {}).get(getattr(prop, "key", None))
        if columns and choices and isinstance(columns[0].type, ChoiceType):
            field_args = {**(field_args or {}), "coerce": choice_value}
        elif columns and isinstance(columns[0].type, sa.String) and not isinstance(columns[0].type, ChoiceType):
            args = dict(field_args or {})
            args["validators"] = [*args.get("validators", []), plain_text]
            field_args = args
        field = super().convert(model, mapper, name, prop, field_args, hidden_pk)
        for validator in getattr(field, "kwargs", {}).get("validators", ()) if field is not None else ():
            if isinstance(validator, Unique) and columns:
                validator.message = DUPLICATE.get((columns[0].table.name, columns[0].name), DUPLICATE_OTHER)
        return field

    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args.pop("widget", None)
        return DateField(**field_args)

    @converts("Numeric")
    def handle_decimal_types(self, field_args, **extra):
        field_args.pop("places", None)
        return DecimalField(**field_args)

    def _model_select_field(self, prop, multiple, remote_model, **kwargs):
        # An empty choice reads as a dash, not as Flask-Admin's internal "__None".
        if not multiple:
            kwargs.setdefault("blank_text", "—")
        field = super()._model_select_field(prop, multiple, remote_model, **kwargs)
        if getattr(field, "field_class", None) is QuerySelectField:
            field.field_class = ListedChoiceField
        return field


class ListedChoiceField(QuerySelectField):
    """Flask-Admin's optional select silently turns an id outside its list (e.g. a provider that is
    not base-support as a client's base provider) into 'none chosen'; this one refuses it."""

    def pre_validate(self, form):
        if self._formdata is not None and self.data is None:
            raise validators.ValidationError(self.gettext("Not a valid choice"))
        super().pre_validate(form)
