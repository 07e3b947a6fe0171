"""Kirjad: the letter register. The registrar registers and assigns, the head assigns, case managers
answer; deadlines are computed; restricted letters show their content only to those who may see it."""

from datetime import date

from flask import abort, request
from flask_admin.form import rules as form_rules
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup
from sqlalchemy import or_, select
from wtforms import FileField, SelectMultipleField, validators, widgets

from models import Letter, Role, RuleViolation, User, save_letter
from models.base import db
from models.letters import NOT_FOR_REGISTRAR, extension_limit, letters_due, normal_deadline
from models.text import LIKE_ESCAPE, contains_pattern

from ..i18n import format_date
from ..registers.archive import ArchiveMixin
from ..registers.base import RegisterView, signed_in_roles
from ..registers.importing import ImportMixin
from .letter_files import LetterFiles
from .letter_format import (
    answer_file_cell,
    attachments_cell,
    client_cell,
    content_cell,
    due_cell,
    file_link,
    may_see,
    reader,
    sender_cell,
    sender_text,
    status_cell,
    subject_cell,
    subject_text,
    terms_cell,
)
from .materials import _accepted

LETTER_ROLES = ("head", "case_manager", "registrar")
#: What a restricted letter hides from everyone else.
CONTENT = (
    "sender_name",
    "sender_email",
    "sender_address",
    "subject",
    "summary",
    "client",
    "answer_text",
    "answer_file",
    "attachments",
    "extension_reason",
    "forwarded_to",
    "note",
)


class ShownField(form_rules.Field):
    """A field rule that renders nothing when the form was made without the field (by role)."""

    def __call__(self, form, form_opts=None, field_args=None):
        return super().__call__(form, form_opts, field_args) if self.field_name in form else Markup("")


class Section(form_rules.FieldSet):
    """A headed group of fields, left out when the signed-in user's form has none of them."""

    def __init__(self, names: tuple[str, ...], header):
        super().__init__([ShownField(name) for name in names], header)
        self.names = names

    def __call__(self, form, form_opts=None, field_args=None):
        if not any(name in form for name in self.names):
            return Markup("")
        return super().__call__(form, form_opts, field_args)


def answerers():
    """Active users who answer letters: case managers and the head."""
    return db.session.scalars(
        select(User)
        .where(User.active, User.roles.any(Role.name.in_(("head", "case_manager"))))
        .order_by(User.full_name, User.email)
    )


class LetterView(ImportMixin, ArchiveMixin, LetterFiles, RegisterView):
    """Kirjad: registered, assigned and answered within the legal deadlines."""

    import_register = "letters"
    read_roles = LETTER_ROLES
    write_roles = LETTER_ROLES
    list_template = "admin/letters_list.html"
    #: Letters keep their own access rules (restricted letters, the answerer), not the client's.
    scope_by_client = False

    column_list = ("number", "registered_on", "kind", "sender_name", "subject", "answerer", "status", "due_on")
    column_details_list = (
        "number",
        "received_on",
        "registered_on",
        "kind",
        "channel",
        "sender_kind",
        "sender_name",
        "sender_email",
        "sender_address",
        "subject",
        "summary",
        "attachments",
        "client",
        "answerer",
        "status",
        "due_on",
        "terms",
        "extended_until",
        "extension_reason",
        "sender_told_of_extension_on",
        "forwarded_to",
        "forwarded_on",
        "sender_told_of_forwarding_on",
        "answered_on",
        "outgoing_number",
        "answer_text",
        "answer_file",
        "late",
        "unanswered_ground",
        "private_life",
        "restricted",
        "restriction_basis",
        "restricted_until",
        "note",
    )
    column_labels = {
        "number": _l("Registration number"),
        "received_on": _l("Received"),
        "registered_on": _l("Registered"),
        "kind": _l("Kind"),
        "channel": _l("Channel"),
        "sender_kind": _l("Sender is"),
        "sender_name": _l("Sender"),
        "sender_email": _l("Sender's e-mail"),
        "sender_address": _l("Sender's postal address"),
        "subject": _l("Subject of the letter"),
        "summary": _l("Content"),
        "attachments": _l("Attachments"),
        "attachment": _l("Add an attachment"),
        "remove_attachments": _l("Remove attachments"),
        "client": _l("Client"),
        "answerer": _l("Answered by"),
        "answerer.full_name": _l("Answered by"),
        "status": _l("Status"),
        "due_on": _l("Deadline"),
        "terms": _l("Deadlines by law"),
        "extended_until": _l("Extended deadline"),
        "extension_reason": _l("Reason for the extension"),
        "sender_told_of_extension_on": _l("Sender told of the extension on"),
        "forwarded_to": _l("Forwarded to"),
        "forwarded_on": _l("Forwarded on"),
        "sender_told_of_forwarding_on": _l("Sender told of the forwarding on"),
        "answered_on": _l("Answered on"),
        "outgoing_number": _l("Outgoing number"),
        "answer_text": _l("Answer"),
        "answer_file": _l("Answer as a file"),
        "late": _l("Answered late"),
        "unanswered_ground": _l("Ground for leaving unanswered"),
        "private_life": _l("About a client's private life"),
        "restricted": _l("For internal use (AK)"),
        "restriction_basis": _l("Legal basis of the restriction"),
        "restricted_until": _l("Restricted until"),
        "note": _l("Note"),
    }
    _content_formatters = {name: content_cell for name in CONTENT}
    column_formatters = {
        **_content_formatters,
        "subject": subject_cell,
        "sender_name": sender_cell,
        "client": client_cell,
        "due_on": due_cell,
        "status": status_cell,
    }
    column_formatters_detail = {
        **column_formatters,
        "answer_file": answer_file_cell,
        "attachments": attachments_cell,
        "terms": terms_cell,
    }
    # An exported file shows a restricted letter's subject and sender only to those who may see them.
    can_export = True
    column_formatters_export = {"subject": subject_text, "sender_name": sender_text}
    column_searchable_list = ("number", "subject", "sender_name", "outgoing_number")
    column_filters = ("status", "kind", "registered_on", "due_on", "late", "restricted", "answerer.full_name")
    column_sortable_list = ("number", "registered_on", "kind", "status", "due_on", ("answerer", "answerer.full_name"))
    column_default_sort = [("registered_on", True), ("id", True)]

    form_columns = (
        "received_on",
        "registered_on",
        "kind",
        "channel",
        "sender_kind",
        "sender_name",
        "sender_email",
        "sender_address",
        "subject",
        "summary",
        "attachment",
        "remove_attachments",
        "client",
        "private_life",
        "restricted",
        "restriction_basis",
        "restricted_until",
        "answerer",
        "status",
        "extended_until",
        "extension_reason",
        "sender_told_of_extension_on",
        "forwarded_to",
        "forwarded_on",
        "sender_told_of_forwarding_on",
        "answered_on",
        "outgoing_number",
        "answer_text",
        "answer_file",
        "unanswered_ground",
        "note",
    )
    form_rules = (
        Section(("received_on", "registered_on", "kind", "channel"), _l("Registration")),
        Section(("sender_kind", "sender_name", "sender_email", "sender_address"), _l("Sender")),
        Section(("subject", "summary", "attachment", "remove_attachments", "client"), _l("Content")),
        Section(("private_life", "restricted", "restriction_basis", "restricted_until"), _l("Access restriction")),
        Section(("answerer", "status"), _l("Answering")),
        Section(("extended_until", "extension_reason", "sender_told_of_extension_on"), _l("Extending the deadline")),
        Section(("forwarded_to", "forwarded_on", "sender_told_of_forwarding_on"), _l("Forwarding to another body")),
        Section(("answered_on", "outgoing_number", "answer_text", "answer_file"), _l("Answer")),
        Section(("unanswered_ground", "note"), _l("Leaving unanswered, notes")),
    )
    form_extra_fields = {
        "attachment": FileField(_l("Add an attachment"), description=LazyString(_accepted)),
        "answer_file": FileField(_l("Answer as a file"), description=LazyString(_accepted)),
        "remove_attachments": SelectMultipleField(
            _l("Remove attachments"),
            choices=[],
            validate_choice=False,
            widget=widgets.ListWidget(prefix_label=False),
            option_widget=widgets.CheckboxInput(),
        ),
    }
    form_args = {
        "received_on": {"validators": [validators.InputRequired()]},
        "registered_on": {"validators": [validators.InputRequired()]},
        "subject": {"validators": [validators.InputRequired()]},
        "answerer": {"query_factory": answerers},
        "private_life": {"description": _l("Restricted for 75 years by default (AvTS § 35 lg 1 p 12).")},
        "restriction_basis": {"description": _l("e.g. AvTS § 35 lg 1 p 12")},
        "extended_until": {
            "description": _l("Leave empty to extend to the latest day the law allows (given a reason).")
        },
    }

    # --- Who sees and changes what ---------------------------------------------------------------

    def _trim(self, form, obj=None):
        roles = signed_in_roles()
        if not roles & {"admin", "head", "case_manager"}:
            for name in NOT_FOR_REGISTRAR:
                if name in form:
                    delattr(form, name)
        if obj is not None and not may_see(obj):
            # Nor may they lift a restriction on what they cannot see.
            for name in (
                *CONTENT,
                "attachment",
                "remove_attachments",
                "private_life",
                "restricted",
                "restriction_basis",
                "restricted_until",
            ):
                if name in form:
                    delattr(form, name)
        return form

    def create_form(self, obj=None):
        form = self._trim(super().create_form(obj))
        del form.remove_attachments
        if request.method == "GET" and form.registered_on.data is None:
            form.registered_on.data = form.received_on.data = date.today()
        return form

    def edit_form(self, obj=None):
        if obj is not None and not may_see(obj) and "registrar" not in signed_in_roles():
            # The registrar assigns what they may not read; a case manager without its client has no
            # business with it: its form is not found (nor saved), as if there were none.
            abort(404)
        form = self._trim(super().edit_form(obj), obj)
        if "remove_attachments" in form:
            if obj is not None and obj.attachments:
                form.remove_attachments.choices = [(str(a.id), a.document.name) for a in obj.attachments]
            else:
                del form.remove_attachments
        if obj is not None and "answer_file" in form and obj.answer_document is not None:
            form.answer_file.description = Markup("{} {}. {}").format(
                gettext("Attached:"),
                file_link(".answer_file_view", obj.id, obj.answer_document.name, obj.answer_document.size),
                gettext("Choose a file to replace it."),
            )
        if obj is not None and "extended_until" in form and obj.registered_on and obj.kind:
            form.extended_until.description = gettext(
                "Normal deadline %(normal)s; can be extended to %(limit)s at the latest.",
                normal=format_date(normal_deadline(obj)),
                limit=format_date(extension_limit(obj)),
            )
        return form

    def _apply_search(self, query, count_query, joins, count_joins, search):
        query, count_query, joins, count_joins = super()._apply_search(query, count_query, joins, count_joins, search)
        readable = reader().condition()
        if readable is not None:
            # A restricted letter one may not read is found by its number only: its words must not give it away.
            number = Letter.number.ilike(contains_pattern(search.strip()), escape=LIKE_ESCAPE)
            hidden = or_(readable, number)
            query, count_query = query.filter(hidden), count_query.filter(hidden)
        return query, count_query, joins, count_joins

    # --- Saving: files kept only when the letter is (the same transaction) ----------------------

    def on_model_change(self, form, model, is_created):
        errors = self.take_files(form, model)
        try:
            save_letter(model)
        except RuleViolation as exc:
            errors = {**exc.errors, **errors}
        if errors:
            for field, message in errors.items():
                if field in form:
                    form[field].errors = [*form[field].errors, message]
            raise RuleViolation(errors)


def letters_needing_attention(user_id: int | None, today: date | None = None) -> list[Letter]:
    """Open letters due within five working days or overdue: the user's own, or every one for the head."""
    return letters_due(today, answerer_id=user_id)


def register(admin) -> None:
    admin.add_view(LetterView(Letter, db, name=_l("Letters"), endpoint="letters", url="letters"))
