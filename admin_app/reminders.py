"""Meeldetuletused: one e-mail to each person answering letters, listing their letters due within five
working days or overdue. Sent with smtplib by the settings in config; without SMTP_HOST, printed."""

import smtplib
from collections import defaultdict
from datetime import date
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext

from models import Letter, User
from models.letters import letters_due


def reminders(today: date | None = None) -> tuple[dict[User, list[Letter]], list[Letter]]:
    """Letters to remind of, by the person answering, and those nobody has been assigned to yet."""
    by_person: dict[User, list[Letter]] = defaultdict(list)
    unassigned = []
    for letter in letters_due(today):
        if letter.answerer is None:
            unassigned.append(letter)
        else:
            by_person[letter.answerer].append(letter)
    return dict(by_person), unassigned


def _line(letter: Letter, today: date) -> str:
    # An e-mail leaves the office: a restricted letter is named by its number only.
    subject = "AK" if letter.is_restricted else letter.subject
    state = gettext("OVERDUE") if letter.due_on < today else gettext("due")
    return f"{letter.number}  {state} {letter.due_on:%d.%m.%Y}  {letter.kind}  {subject}"


def message(person: User, letters: list[Letter], today: date) -> EmailMessage:
    """The reminder to ``person``, in their language."""
    config = current_app.config
    with force_locale(person.locale or config["BABEL_DEFAULT_LOCALE"]):
        mail = EmailMessage()
        mail["From"] = config["MAIL_FROM"]
        mail["To"] = person.email
        mail["Subject"] = gettext("Letters due within five working days or overdue: %(n)s", n=len(letters))
        lines = [
            gettext("Hello, %(name)s!", name=str(person)),
            "",
            gettext("These letters you answer are due within five working days or overdue:"),
            "",
            *(_line(letter, today) for letter in letters),
            "",
            gettext("Open the letter register in juhtum to answer them."),
        ]
        mail.set_content("\n".join(lines))
    return mail


def smtp_connection() -> smtplib.SMTP:
    """A connection to the mail server of the settings (SMTP_*), signed in when they say so."""
    config = current_app.config
    smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
    try:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_reminders(today: date | None = None, echo=print) -> int:
    """Send (or, without SMTP settings, print) one reminder per person; return how many."""
    today = today or date.today()
    config = current_app.config
    by_person, unassigned = reminders(today)
    mails = [(message(person, letters, today), len(letters)) for person, letters in by_person.items() if person.email]
    if config["SMTP_HOST"]:
        with smtp_connection() as smtp:
            for mail, n in mails:
                smtp.send_message(mail)
                echo(gettext("Sent to %(email)s: %(n)s letters.", email=mail["To"], n=n))
    else:
        for mail, _n in mails:
            echo(f"To: {mail['To']}\nSubject: {mail['Subject']}\n\n{mail.get_content()}")
    if unassigned:
        numbers = ", ".join(x.number for x in unassigned)
        echo(gettext("Due or overdue with nobody answering: %(numbers)s", numbers=numbers))
    return len(mails)
