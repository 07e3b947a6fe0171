"""Import into the letter register (kirjad), matched by registration number: an office moving in keeps
its letters' numbers. The columns are the export's (admin_app/views/letters.py), then the form's.

Saved as the form saves (``settle`` then ``letter_errors``). Who may change what is the form's too: the
registrar registers and assigns, and sets none of the answering fields; a restricted letter (AK) the
user may not read keeps its content — the export writes "AK" there, which reads back as unchanged.
A new letter numbered in this office's format moves the year's counter past its number, so the next
letter registered in the form does not get the same one."""

import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from ..access import LetterReader, client_condition
from ..audit import who
from ..clients import Client
from ..letter_numbers import LetterCounter
from ..letters import NOT_FOR_REGISTRAR as REGISTRAR_MAY_NOT_SET
from ..letters import (
    Letter,
    LetterChannel,
    LetterKind,
    LetterStatus,
    SenderKind,
    UnansweredGround,
    letter_errors,
    settle,
)
from ..users import Role, User
from . import values
from .engine import Adapter, Field
from .registers import ADAPTERS, ARCHIVED, _choice, _date, _email, _yes_no
from .related import Related

#: What a restricted letter hides from those who may not read it (the export writes "AK" instead).
CONTENT = frozenset(
    (
        "sender_name",
        "sender_email",
        "sender_address",
        "subject",
        "summary",
        "client",
        "answer_text",
        "extension_reason",
        "forwarded_to",
        "note",
        "private_life",
        "restricted",
        "restriction_basis",
        "restricted_until",
    )
)
HIDDEN = "AK"
#: What the registrar does not set: the form's own list (models/letters.py).
NOT_FOR_REGISTRAR = frozenset(REGISTRAR_MAY_NOT_SET)
ANSWERING_ROLES = ("head", "case_manager")


def letter_rules(letter: Letter) -> dict[str, str]:
    """The form's: what follows from the record is filled in, then the rules are checked."""
    settle(letter)
    return letter_errors(letter)


def number_pattern(number_format: str) -> re.Pattern:
    """A registration number in the office's format, e.g. 7-1/{year}/{n}, with its year and n."""
    pattern = re.escape(number_format).replace(r"\{year\}", r"(?P<year>\d{4})").replace(r"\{n\}", r"(?P<n>\d+)")
    return re.compile(pattern.replace(r"\{", "{").replace(r"\}", "}"))


class LetterImport(Adapter):
    name = "letters"
    title = _l("Letters")
    model = Letter
    key = "number"
    rules = letter_rules

    def __init__(self, session, **kw):
        super().__init__(session, **kw)
        self.reader = None
        self.registrar_only = False
        user_id = self.scope_user_id or who()[0]  # the one importing, as the audit names them
        user = session.get(User, user_id) if user_id is not None else None
        if user is not None:  # (none: the command line, the administrator's)
            roles = {r.name for r in user.roles}
            self.reader = LetterReader(user.id, roles)
            self.registrar_only = not roles & {"admin", "head", "case_manager"}
        self.unreadable: set[int] = set()
        self.pattern = number_pattern(current_app.config["LETTER_NUMBER_FORMAT"])

    def columns(self):
        s = self.session
        answerers = Related(
            s,
            User,
            User.email,
            User.full_name,
            where=(User.active, User.roles.any(Role.name.in_(ANSWERING_ROLES))),
            message=_l("No such case manager"),
        )
        clients = () if self.scope_user_id is None else (client_condition(self.scope_user_id),)
        return [
            Field("number", _l("Registration number"), parse=values.code, required=True),
            Field("registered_on", _l("Registered"), parse=values.day, is_text=False, required=True),
            _choice(LetterKind, "kind", _l("Kind"), required=True),
            Field("sender_name", _l("Sender")),
            Field("subject", _l("Subject of the letter"), required=True),
            Field("answerer", _l("Answered by"), parse=answerers, is_text=False),
            _choice(LetterStatus, "status", _l("Status")),
            Field("due_on", _l("Deadline"), writable=False),
            ARCHIVED,
            Field("received_on", _l("Received"), parse=values.day, is_text=False, required=True),
            _choice(LetterChannel, "channel", _l("Channel")),
            _choice(SenderKind, "sender_kind", _l("Sender is")),
            Field("sender_email", _l("Sender's e-mail"), parse=_email),
            Field("sender_address", _l("Sender's postal address")),
            Field("summary", _l("Content")),
            Field(
                "client",
                _l("Client"),
                parse=Related(s, Client, Client.personal_code, where=clients, message=_l("No such client")),
                is_text=False,
            ),
            _yes_no("private_life", _l("About a client's private life")),
            _yes_no("restricted", _l("For internal use (AK)")),
            Field("restriction_basis", _l("Legal basis of the restriction")),
            _date("restricted_until", _l("Restricted until")),
            _date("extended_until", _l("Extended deadline")),
            Field("extension_reason", _l("Reason for the extension")),
            _date("sender_told_of_extension_on", _l("Sender told of the extension on")),
            Field("forwarded_to", _l("Forwarded to")),
            _date("forwarded_on", _l("Forwarded on")),
            _date("sender_told_of_forwarding_on", _l("Sender told of the forwarding on")),
            _date("answered_on", _l("Answered on")),
            Field("outgoing_number", _l("Outgoing number"), parse=values.code),
            Field("answer_text", _l("Answer")),
            _choice(UnansweredGround, "unanswered_ground", _l("Ground for leaving unanswered")),
            Field("note", _l("Note")),
        ]

    def normal_key(self, value):
        return value.strip()

    def load(self, keys):
        found = super().load(keys)
        if self.reader is not None:
            self.unreadable.update(r.id for r in found.values() if not self.reader.may_read(r))
        return found

    def put(self, record, name, value):
        if record.id in self.unreadable and name in CONTENT and value == HIDDEN:
            return  # hidden from this user in the export: kept as it is
        setattr(record, name, value)

    def finish(self, record, read):
        state = sa.inspect(record)
        changed = {
            name
            for name in read
            if (record.id is not None or read[name] is not None) and state.attrs[name].history.has_changes()
        }
        refused = str(_l("You may not change this field."))
        if record.id in self.unreadable:
            errors = {name: refused for name in changed & CONTENT}
        elif self.registrar_only:
            errors = {name: refused for name in changed & NOT_FOR_REGISTRAR}
        else:
            errors = {}
        if record.id is None and not errors:
            self._move_counter(record.number)
        return errors

    def _move_counter(self, number: str) -> None:
        """A new letter numbered in the office's format: its year's counter is moved up to its number."""
        match = self.pattern.fullmatch(number or "")
        if match is None:
            return
        year, n = int(match["year"]), int(match["n"])
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        self.session.execute(
            insert(LetterCounter).values(year=year, last=0).on_conflict_do_nothing(index_elements=["year"])
        )
        self.session.execute(
            sa.update(LetterCounter).where(LetterCounter.year == year, LetterCounter.last < n).values(last=n)
        )


ADAPTERS[LetterImport.name] = LetterImport
