"""Noortegarantii: the first-contact e-mail, sent in bulk through the SMTP settings the letter
reminders use (``reminders.smtp_connection``), within the request for a few young people and as a
background job for more than YOUTH_MAIL_BACKGROUND. Each record is claimed before its message leaves
(``models.youth_mail``), so a round never mails the same person twice, even when two sendings overlap,
a job is tried again or sending stops midway; each message sent is recorded as a contact attempt."""

import smtplib
from collections.abc import Callable
from email.message import EmailMessage

from flask import current_app, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from models import Outreach, User, db
from models.youth_guarantee import first_mail, mail_template
from models.youth_mail import claim_first_mail, record_first_mail, release_first_mail

from .background import JobOutcome, job, view_of
from .reminders import smtp_connection


def send_first_mails(
    ids: list[int], by: User | None, report: Callable[[int], None] | None = None
) -> tuple[int, list[str]]:
    """Send the first-contact e-mail to each of the records ``ids`` with an address that has not had
    it; return how many were sent and the addresses the server refused. Without SMTP settings nothing
    is sent. ``report(records gone through)`` after each."""
    config = current_app.config
    if not config["SMTP_HOST"]:
        raise OSError(gettext("no SMTP server is configured (SMTP_HOST)"))
    template = mail_template()
    db.session.commit()
    sent, failed = 0, []
    with smtp_connection() as smtp:
        for done, outreach_id in enumerate(ids, 1):
            if claim_first_mail(outreach_id):  # else sent meanwhile (another job, tab or person): never twice
                record = db.session.get(Outreach, outreach_id, populate_existing=True)
                subject, body = first_mail(record, template)
                mail = EmailMessage()
                mail["From"] = config["MAIL_FROM"]
                mail["To"] = record.email
                mail["Subject"] = subject
                mail.set_content(body)
                try:
                    smtp.send_message(mail)
                except smtplib.SMTPRecipientsRefused:
                    release_first_mail(outreach_id)
                    failed.append(record.email)
                except BaseException:  # the server went away before taking the message: it may go later
                    release_first_mail(outreach_id)
                    raise
                else:
                    record_first_mail(outreach_id, by)
                    sent += 1
            if report:
                report(done)
    return sent, failed


def sent_message(sent: int, failed: list[str]) -> str:
    text = ngettext("%(num)s e-mail sent.", "%(num)s e-mails sent.", sent)
    if failed:
        text += " " + gettext("Not sent (refused by the mail server): %(who)s", who=", ".join(failed))
    return text


@job("youth-first-mail")
def first_mail_job(download, path, report) -> JobOutcome:
    """The first-contact e-mail to many: the records the user may still see and write, in turn."""
    view = view_of("youth")
    if view is None or not view.may_write():
        raise PermissionError(gettext("%(who)s may no longer send the first-contact e-mail.", who=current_user))
    ids = sorted(view._listed({int(i) for i in download.params["ids"]}))
    sent, failed = send_first_mails(ids, db.session.get(User, current_user.id), report)
    return JobOutcome(len(ids), message=sent_message(sent, failed), result_url=url_for("youth.index_view"))
