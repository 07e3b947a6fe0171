"""How the letter register shows a letter: restricted content as "AK" to those who may not read it
(the rule is ``models.access.LetterReader``), deadlines coloured, files as download links."""

from datetime import date

from flask import g, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from models import Letter
from models.access import LetterReader
from models.letters import OPEN, extension_limit, normal_deadline, warning_date

from ..i18n import format_date
from ..registers.base import badge, signed_in_roles
from .materials import _size


def reader() -> LetterReader:
    """Who may read which letters (``models.access.LetterReader``) for the signed-in user, made once
    per request (and per user: a background export signs its owner in)."""
    user_id = current_user.id if current_user.is_authenticated else None
    cached = g.get("letter_reader")
    if cached is None or cached.user_id != user_id:
        cached = g.letter_reader = LetterReader(user_id, signed_in_roles())
    return cached


def may_see(letter: Letter) -> bool:
    """The signed-in user may see the content of ``letter``."""
    return reader().may_read(letter)


def ak_badge() -> Markup:
    return badge("AK", "dark")


def content_cell(view, context, model, name):
    """A content field, or "AK" when the letter is restricted and the user may not see it."""
    if not may_see(model):
        return ak_badge()
    value = getattr(model, name)
    return "" if value is None else value


def client_cell(view, context, model, name):
    """The client a letter concerns: health data, shown only to those who may read that client."""
    return (model.client or "") if reader().may_see_client(model) else ""


def subject_cell(view, context, model, name):
    if not may_see(model):
        return ak_badge()
    mark = Markup(" ") + badge("AK", "dark") if model.is_restricted else ""
    return Markup("{}{}").format(model.subject, mark)


def sender_cell(view, context, model, name):
    if not may_see(model):
        return ak_badge()
    return model.sender_name or Markup('<span class="text-muted">{}</span>').format(gettext("unknown"))


def due_cell(view, context, model, name):
    """The deadline in force, red when passed and yellow when within five working days, for open letters."""
    if model.due_on is None:
        return ""
    text = format_date(model.due_on)
    if model.status not in OPEN:
        return text
    today = date.today()
    if model.due_on < today:
        return Markup('<span class="letter-due overdue badge badge-danger">{}</span>').format(text)
    if model.due_on <= warning_date(today):
        return Markup('<span class="letter-due due-soon badge badge-warning">{}</span>').format(text)
    return text


def status_cell(view, context, model, name):
    mark = Markup(" ") + badge(gettext("late"), "danger") if model.late else ""
    return Markup("{}{}").format(str(model.status), mark)


def file_link(endpoint: str, pk: int, name: str, size: int | None) -> Markup:
    return Markup('<a href="{}">{}</a> <small class="text-muted text-nowrap">{}</small>').format(
        url_for(endpoint, id=pk), name, _size(size)
    )


def answer_file_cell(view, context, model, name):
    document = model.answer_document
    if document is None:
        return ""
    if not may_see(model):
        return ak_badge()
    return file_link(".answer_file_view", model.id, document.name, document.size)


def attachments_cell(view, context, model, name):
    if not model.attachments:
        return ""
    if not may_see(model):
        return ak_badge()
    return Markup("<br>").join(
        file_link(".attachment_view", a.id, a.document.name, a.document.size) for a in model.attachments
    )


def terms_cell(view, context, model, name):
    """The legal deadlines of the letter, computed: normal, latest extension, forwarding."""
    if not model.registered_on:
        return ""
    return gettext(
        "answer by %(normal)s; can be extended to %(limit)s; forward to another body by %(forward)s",
        normal=format_date(normal_deadline(model)),
        limit=format_date(extension_limit(model)),
        forward=format_date(model.forward_by),
    )


# --- Export: plain text, restricted content as "AK" (an exported file leaves the screen's control) ---


def subject_text(view, context, model, name) -> str:
    return model.subject if may_see(model) else "AK"


def sender_text(view, context, model, name) -> str:
    return (model.sender_name or "") if may_see(model) else "AK"
