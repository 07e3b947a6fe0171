"""Küsimustikud: the quality-of-life questionnaires (instruments) — items and scale, kept as data."""

from flask import flash, request
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import validators

from models import Instrument, InstrumentItem, RuleViolation
from models.base import db
from models.quality import instrument_delete_errors, instrument_errors

from ..registers.base import RegisterView


class ItemInline(InlineFormAdmin):
    form_columns = ("id", "position", "text")
    form_label = _l("Items")
    column_labels = {"position": _l("No."), "text": _l("Question")}
    form_args = {
        "position": {"validators": [validators.InputRequired()]},
        "text": {"validators": [validators.InputRequired()]},
    }


def _items(view, context, model, name):
    return Markup("<br>").join(str(item) for item in model.items)


def _scale(view, context, model, name):
    return f"{model.scale_min}–{model.scale_max}"


class InstrumentView(RegisterView):
    """Küsimustikud: the questionnaire's items and scale; fixed once answers were given with it."""

    read_roles = ("head", "case_manager")
    write_roles = ("head",)
    rules = instrument_errors

    column_list = ("name", "scale", "scale_note", "active", "items")
    column_details_list = ("name", "scale", "scale_note", "active", "items")
    column_labels = {
        "name": _l("Name"),
        "scale": _l("Scale"),
        "scale_min": _l("Lowest answer"),
        "scale_max": _l("Highest answer"),
        "scale_note": _l("What the scale means"),
        "active": _l("Active"),
        "items": _l("Items"),
    }
    column_formatters = column_formatters_detail = {"items": _items, "scale": _scale}
    column_default_sort = ("id", False)
    form_columns = ("name", "scale_min", "scale_max", "scale_note", "active", "items")
    form_args = {
        "name": {"validators": [validators.InputRequired()]},
        "scale_min": {"validators": [validators.InputRequired()]},
        "scale_max": {"validators": [validators.InputRequired()]},
        "active": {"description": _l("New answer sets use the first active questionnaire.")},
    }
    inline_models = (ItemInline(InstrumentItem),)

    def on_model_delete(self, model):
        errors = instrument_delete_errors(model)
        if errors:
            raise RuleViolation(errors)

    def handle_view_exception(self, exc) -> bool:
        if isinstance(exc, RuleViolation) and request.endpoint == f"{self.endpoint}.delete_view":
            flash(gettext("Not deleted: %(errors)s", errors=" ".join(exc.errors.values())), "error")
            return True
        return super().handle_view_exception(exc)


def register(admin) -> None:
    admin.add_view(
        InstrumentView(
            Instrument,
            db,
            name=_l("Quality-of-life questionnaires"),
            endpoint="qol_instruments",
            url="qol-instruments",
            category=_l("Reference data"),
        )
    )
