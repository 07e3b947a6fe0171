"""Elukvaliteet: quality-of-life answers at entry, after one year and at exit, and the questionnaires.

The questionnaire (instrument) is data: the answer form gets one field per item of the chosen
questionnaire, on its scale, and the score is computed from the answers, never typed."""

from decimal import Decimal

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_form_data
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import fields, validators

from models import (
    AccessKind,
    Client,
    Instrument,
    InstrumentItem,
    QolAnswer,
    QolAnswerSet,
    QolPoint,
    RuleViolation,
    answer_set_errors,
)
from models.base import db
from models.quality import POINT_ORDER

from ..access_rules import logs_access
from ..registers.access import visible_client
from ..registers.base import RegisterView
from ..registers.seen import note_seen
from ..registers.shared import CASE_WORKERS

DASH = "—"


# --- Numbers ---------------------------------------------------------------------------------


def format_score(value) -> str:
    """A score with two decimals in the user's language (3,25 in Estonian); a dash when missing."""
    if value is None:
        return DASH
    return format_decimal(Decimal(value), format="0.00", locale=str(get_locale() or "et"))


def format_change(value, places: int = 2) -> str:
    """A change with its sign (+0,50, −1,00, 0,00); a dash when it cannot be computed."""
    if value is None:
        return DASH
    value = Decimal(value)
    text = format_decimal(abs(value), format="0." + "0" * places if places else "0", locale=str(get_locale() or "et"))
    return ("+" if value > 0 else "−" if value < 0 else "") + text


# --- The answer form -------------------------------------------------------------------------


class ScaleWidget:
    """The answers of one item as a row of radio buttons (a select for a long scale)."""

    def __call__(self, field, **kwargs):
        invalid = " is-invalid" if "is-invalid" in (kwargs.pop("class", "") or "") else ""
        kwargs.pop("class_", None)
        if len(field.choices) > 11:
            return fields.Select()(field, class_="form-control" + invalid)
        parts = [Markup('<div id="{}" class="qol-scale{}">').format(field.id, invalid)]
        for option in field:
            parts.append(
                Markup('<div class="form-check form-check-inline">{} {}</div>').format(
                    option(class_="form-check-input", required=True), option.label(class_="form-check-label")
                )
            )
        parts.append(Markup("</div>"))
        return Markup("").join(parts)


class ScaleField(fields.RadioField):
    """One item of the questionnaire: a whole number on its scale, required."""

    widget = ScaleWidget()

    def __init__(self, label=None, *, low: int, high: int, **kwargs):
        self.low, self.high = low, high
        kwargs.setdefault("validators", [validators.InputRequired()])
        super().__init__(label, choices=[(v, str(v)) for v in range(low, high + 1)], coerce=int, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None

    def pre_validate(self, form):
        if self.data is None and not (self.raw_data and self.raw_data[0].strip()):
            raise validators.StopValidation(
                gettext("Choose an answer from %(lo)s to %(hi)s.", lo=self.low, hi=self.high)
            )
        if self.data is None or not self.low <= self.data <= self.high:
            raise validators.StopValidation(gettext("Answers are from %(lo)s to %(hi)s.", lo=self.low, hi=self.high))


def item_field_name(item: InstrumentItem) -> str:
    return f"item_{item.id}"


def _with_items(form_class, instrument: Instrument | None):
    """``form_class`` with one field per item of ``instrument``, placed before the note."""
    attrs = {}
    if instrument is not None:
        for item in instrument.items:
            attrs[item_field_name(item)] = ScaleField(
                f"{item.position}. {item.text}", low=instrument.scale_min, high=instrument.scale_max
            )
    note = getattr(form_class, "note", None)
    if note is not None:
        # A fresh copy of the note field comes after the items (fields keep the order they were made in).
        attrs["note"] = note.field_class(*note.args, **note.kwargs)

    def populate_obj(self, obj):
        # The item fields are answers, not attributes of the answer set: on_model_change stores them.
        for name, field in self._fields.items():
            if not name.startswith("item_"):
                field.populate_obj(obj, name)

    attrs["populate_obj"] = populate_obj
    return type("QolAnswerForm", (form_class,), attrs)


def _instruments():
    return db.session.scalars(sa.select(Instrument).order_by(Instrument.id))


def _default_instrument(client_id: int | None) -> Instrument | None:
    """The questionnaire a new answer set uses: the one asked for, else the one the client's other
    points used (so they compare), else the active questionnaire."""
    asked = request.args.get("instrument_id", type=int)
    if asked:
        return db.session.get(Instrument, asked)
    if client_id:
        used = db.session.scalar(
            sa.select(QolAnswerSet.instrument_id).where(QolAnswerSet.client_id == client_id).order_by(QolAnswerSet.id)
        )
        if used:
            return db.session.get(Instrument, used)
    return db.session.scalar(sa.select(Instrument).where(Instrument.active).order_by(Instrument.id))


def _client_link(view, context, model, name):
    client = model.client
    if client is None:
        return ""
    return Markup('<a href="{}" title="{}">{}</a>').format(
        url_for(".client_view", client_id=client.id), gettext("The client's points side by side"), client
    )


def _score(view, context, model, name):
    return format_score(model.score)


def _answers(view, context, model, name):
    rows = [
        Markup("<tr><td>{}</td><td class='text-right'>{}</td></tr>").format(
            item, DASH if model.value_of(item) is None else model.value_of(item)
        )
        for item in model.instrument.items
    ]
    return Markup('<table class="table table-sm qol-answers mb-0"><tbody>{}</tbody></table>').format(
        Markup("").join(rows)
    )


def _side_by_side(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(
        url_for(".client_view", client_id=model.client_id), gettext("The client's points side by side")
    )


def _instrument(view, context, model, name):
    instrument = model.instrument
    return f"{instrument} ({instrument.scale_min}–{instrument.scale_max})" if instrument else ""


class QualityOfLifeView(RegisterView):
    """Elukvaliteedi hinnangud: one answer set per client per point."""

    read_roles = CASE_WORKERS
    write_roles = CASE_WORKERS
    rules = answer_set_errors

    create_template = "admin/qol_create.html"
    edit_template = "admin/qol_edit.html"

    column_list = ("client", "point", "answered_on", "score")
    column_details_list = ("client", "point", "answered_on", "instrument", "score", "answers", "note", "side_by_side")
    column_labels = {
        "client": _l("Client"),
        "client.last_name": _l("Client's last name"),
        "client.personal_code": _l("Client's personal ID code"),
        "point": _l("Point"),
        "answered_on": _l("Answered on"),
        "score": _l("Score"),
        "instrument": _l("Questionnaire"),
        "answers": _l("Answers"),
        "note": _l("Notes"),
        "side_by_side": _l("Side by side"),
    }
    column_formatters = {"client": _client_link, "score": _score}
    column_formatters_detail = {
        "score": _score,
        "answers": _answers,
        "side_by_side": _side_by_side,
        "instrument": _instrument,
    }
    column_filters = ("point", "answered_on", "client.last_name", "client.personal_code")
    column_searchable_list = ("client.first_name", "client.last_name", "client.personal_code")
    column_sortable_list = (("client", "client.last_name"), "point", "answered_on", "score")
    column_default_sort = ("answered_on", True)

    form_columns = ("client", "point", "answered_on", "note")
    form_args = {
        "client": {"validators": [validators.InputRequired()]},
        "answered_on": {"validators": [validators.InputRequired()]},
    }

    # --- Forms ---------------------------------------------------------------------------

    def create_form(self, obj=None):
        client_id = request.args.get("client_id", type=int) or request.form.get("client", type=int)
        instrument = _default_instrument(client_id)
        form = _with_items(self._create_form_class, instrument)(get_form_data(), obj=obj)
        form.instrument = instrument
        if request.method == "GET":
            # "Add … for this client" links arrive with ?client_id=N (and ?point=…): preselect them.
            if client_id and form.client.data is None:
                form.client.data = db.session.get(Client, client_id)
            point = request.args.get("point")
            if point in {p.value for p in QolPoint}:
                form.point.data = point
        return form

    def edit_form(self, obj=None):
        values = {item_field_name(i): obj.value_of(i) for i in obj.instrument.items}
        form = _with_items(self._edit_form_class, obj.instrument)(get_form_data(), obj=obj, data=values)
        form.instrument = obj.instrument
        return form

    # Re-exposed: overriding a Flask-Admin view method without ``expose`` drops its route.
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if request.method == "GET" and _default_instrument(None) is None and not request.args.get("instrument_id"):
            flash(gettext("No questionnaire is active; an administrator or the head can add one."), "error")
            return redirect(url_for(".index_view"))
        return super().create_view()

    def on_model_change(self, form, model, is_created):
        instrument = getattr(form, "instrument", None) or model.instrument
        if instrument is None:
            raise RuleViolation({"client": gettext("Choose the questionnaire.")})
        model.instrument = instrument
        current = {a.item_id: a for a in model.answers if a.item_id is not None}
        for item in instrument.items:
            value = form[item_field_name(item)].data if item_field_name(item) in form else None
            answer = current.get(item.id)
            if answer is None:
                model.answers.append(QolAnswer(item=item, value=value))
            else:
                answer.value = value
        super().on_model_change(form, model, is_created)

    def render(self, template, **kwargs):
        form = kwargs.get("form")
        kwargs.setdefault("instrument", getattr(form, "instrument", None))
        kwargs.setdefault("instruments", list(_instruments()) if template == self.create_template else [])
        return super().render(template, **kwargs)

    # --- A client's points side by side -------------------------------------------------

    @logs_access
    @expose("/client/")
    def client_view(self):
        client = visible_client(request.args.get("client_id", type=int))
        if client is None:
            abort(404)
        note_seen([client.id], AccessKind.DETAILS, QolAnswerSet.__tablename__)
        sets = db.session.scalars(sa.select(QolAnswerSet).where(QolAnswerSet.client_id == client.id)).all()
        by_point = {QolPoint(s.point): s for s in sets}
        columns = [by_point.get(p) for p in POINT_ORDER]
        entry, one_year, leaving = columns
        later = leaving or one_year
        # Rows: the items of the questionnaire(s) the client answered, else of the active one.
        instruments = []
        for s in sorted(sets, key=lambda s: POINT_ORDER.index(QolPoint(s.point))):
            if s.instrument not in instruments:
                instruments.append(s.instrument)
        if not instruments:
            active = _default_instrument(None)
            instruments = [active] if active else []
        rows = []
        for instrument in instruments:
            for item in instrument.items:
                values = [s.value_of(item) if s is not None else None for s in columns]
                first, last = values[0], (values[2] if leaving else values[1])
                change = last - first if first is not None and last is not None else None
                rows.append((item, [DASH if v is None else v for v in values], format_change(change, 0)))
        scores = [s.score if s is not None else None for s in columns]
        score_change = later.score - entry.score if entry and later and entry.score is not None else None
        compared = None
        if entry and later:
            compared = QolPoint.EXIT if leaving else QolPoint.ONE_YEAR
        return self.render(
            "admin/qol_client.html",
            client=client,
            points=POINT_ORDER,
            columns=columns,
            rows=rows,
            scores=[format_score(v) for v in scores],
            score_change=format_change(score_change),
            compared=compared,
            instruments=instruments,
        )


def register(admin) -> None:
    admin.add_view(
        QualityOfLifeView(
            QolAnswerSet,
            db,
            name=_l("Quality of life"),
            endpoint="quality_of_life",
            url="quality-of-life",
            category=_l("Case work"),
        )
    )
