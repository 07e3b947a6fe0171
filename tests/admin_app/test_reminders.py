"""``flask --app admin_app remind-letters``: each person answering letters gets one e-mail listing their
letters due within five working days or overdue, through a real SMTP server on localhost (aiosmtpd);
without SMTP settings the command prints the same lists."""

import socket
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from admin_app.auth import create_user
from tests.admin_app.helpers import make, shown
from tests.conftest import PASSWORD, create_letter

TODAY = date.today()
SECRET = "Kaneelikarusammal"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(app):
    """A real SMTP server on a free port of 127.0.0.1, and the app pointed at it."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False)
    yield handler
    app.config.update(saved)
    controller.stop()


@pytest.fixture
def letters(app):
    """Two case managers' letters in every state that matters, and one nobody answers."""
    with app.app_context():
        kask = create_user("kask@test.ee", PASSWORD, ["case_manager"], "Juhan Kask").id
        saar = create_user("saar@test.ee", PASSWORD, ["case_manager"], "Eva Saar").id

    def letter(**values):
        return make(app, create_letter, **values).number

    return {
        "kask overdue": letter(registered_on=TODAY - timedelta(days=45), answerer_id=kask),
        "kask soon": letter(registered_on=TODAY, kind="information", answerer_id=kask),
        "kask later": letter(registered_on=TODAY, answerer_id=kask),
        "saar soon": letter(
            registered_on=TODAY, kind="information", answerer_id=saar, private_life=True, subject=f"Abi {SECRET}"
        ),
        "saar answered": letter(
            registered_on=TODAY - timedelta(days=45),
            answerer_id=saar,
            status="answered",
            answered_on=TODAY - timedelta(days=5),
            outgoing_number="V-1",
            answer_text="Vastus",
        ),
        "nobody": letter(registered_on=TODAY - timedelta(days=40)),
    }


def run(app):
    return app.test_cli_runner().invoke(args=["remind-letters"])


def test_each_person_answering_gets_one_mail_with_their_due_letters(app, inbox, letters):
    result = run(app)
    assert result.exit_code == 0, result.output
    mails = {m["To"]: m for m in inbox.messages}
    assert sorted(mails) == ["kask@test.ee", "saar@test.ee"] and len(inbox.messages) == 2
    kask, saar = mails["kask@test.ee"].get_content(), mails["saar@test.ee"].get_content()
    assert letters["kask overdue"] in kask and letters["kask soon"] in kask
    assert letters["kask later"] not in kask and letters["saar soon"] not in kask
    assert letters["saar soon"] in saar and letters["saar answered"] not in saar and letters["kask overdue"] not in saar
    assert mails["kask@test.ee"]["Subject"] == shown(app, "Letters due within five working days or overdue: %(n)s", n=2)
    assert shown(app, "OVERDUE") in kask.split(letters["kask overdue"], 1)[1].splitlines()[0]
    # A restricted letter is named by its number only: its subject never leaves in an e-mail.
    assert SECRET not in saar and "AK" in saar
    assert mails["kask@test.ee"]["From"] == app.config["MAIL_FROM"]
    # Nobody answers the last one: the command says so.
    assert letters["nobody"] in result.output


def test_without_smtp_settings_the_lists_are_printed(app, letters):
    assert app.config["SMTP_HOST"] == ""
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "To: kask@test.ee" in result.output and "To: saar@test.ee" in result.output
    kask = result.output.split("To: kask@test.ee", 1)[1].split("To: ", 1)[0]
    assert letters["kask overdue"] in kask and letters["kask soon"] in kask and letters["kask later"] not in kask


def test_an_unreachable_mail_server_is_reported(app, letters):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False)
    try:
        result = run(app)
    finally:
        app.config.update(SMTP_HOST="", SMTP_PORT=587, SMTP_STARTTLS=True)
    assert result.exit_code == 1
    assert "could not be reached" in result.output
