"""Noortegarantii: the first-contact e-mail goes to each young person at most once per round, however
many senders work at the same time (two jobs over the same list, a job tried again, a second tab).

A sender first *claims* a record: one UPDATE that stamps ``first_mail_at`` only where it is still
empty, committed before the message leaves. The database lets one claim through (the others find the
stamp and skip the record); a message the server refused gives its claim back, and one sent is
recorded as a contact attempt (``mail_sent``)."""

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from .base import db, utcnow
from .users import User
from .youth_guarantee import Outreach, mail_sent


def claim_first_mail(outreach_id: int) -> bool:
    """Whether this sender may send ``outreach_id``'s first e-mail: true for exactly one sender, and
    only while the record has an address and has not had it."""
    claimed = db.session.execute(
        sa.update(Outreach)
        .where(Outreach.id == outreach_id, Outreach.first_mail_at.is_(None), Outreach.email.is_not(None))
        .values(first_mail_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1


def release_first_mail(outreach_id: int) -> None:
    """The claimed message did not leave (the server refused it): the record may be mailed again."""
    db.session.execute(
        sa.update(Outreach)
        .where(Outreach.id == outreach_id)
        .values(first_mail_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def record_first_mail(outreach_id: int, by: User | None) -> None:
    """The message left: record it as a contact attempt (and the record as contacted). A person saving
    the record at the same moment makes the version check refuse this save; it is made again on the
    record as they left it."""
    for _ in range(3):
        record = db.session.get(Outreach, outreach_id, populate_existing=True)
        if record is None:
            return
        mail_sent(record, by)
        try:
            db.session.commit()
            return
        except StaleDataError:
            db.session.rollback()
    raise StaleDataError(f"youth_outreach {outreach_id} kept changing")
