"""Noortegarantii: the first-contact e-mail, sent in bulk through the SMTP settings the letter
reminders use (``reminders.smtp_connection``). Each message sent is recorded as a contact attempt and
committed at once, so a round never mails the same person twice, even when sending stops midway."""

import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext

from models import Outreach, User, db
from models.youth_guarantee import first_mail, mail_sent, mail_template

from .reminders import smtp_connection


def send_first_mails(records: list[Outreach], by: User | None) -> tuple[int, list[str]]:
    """Send the first-contact e-mail to each record with an address that has not had it; return how
    many were sent and the addresses the server refused. Without SMTP settings nothing is sent."""
    config = current_app.config
    if not config["SMTP_HOST"]:
        raise OSError(gettext("no SMTP server is configured (SMTP_HOST)"))
    template = mail_template()
    db.session.commit()
    sent, failed = 0, []
    with smtp_connection() as smtp:
        for record in records:
            db.session.refresh(record)
            if not record.email or record.first_mail_at is not None:
                continue  # sent meanwhile (another tab, another person): never twice
            subject, body = first_mail(record, template)
            mail = EmailMessage()
            mail["From"] = config["MAIL_FROM"]
            mail["To"] = record.email
            mail["Subject"] = subject
            mail.set_content(body)
            try:
                smtp.send_message(mail)
            except smtplib.SMTPRecipientsRefused:
                failed.append(record.email)
                continue
            mail_sent(record, by)
            db.session.commit()
            sent += 1
    return sent, failed
