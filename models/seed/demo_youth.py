"""The demo's youth guarantee: last autumn's list round from STAR with a dozen young people, worked
as far as a case manager would have worked it (some not contacted yet, some called, one wants help)."""

from datetime import date, timedelta

from .. import codes
from ..base import db
from ..users import User
from ..youth_guarantee import AttemptChannel, AttemptOutcome, ContactAttempt, Half, Outreach, OutreachStatus, YouthRound

PEOPLE = (
    ("Kaspar", "Lill", "M", 2005),
    ("Liisa", "Mänd", "F", 2003),
    ("Rasmus", "Org", "M", 2001),
    ("Grete", "Kuusk", "F", 2007),
    ("Martin", "Saar", "M", 2001),
    ("Helena", "Tamm", "F", 2004),
    ("Oskar", "Rebane", "M", 2002),
    ("Anete", "Põder", "F", 2006),
)


def load(today: date, managers: list[User]) -> int:
    """Add the round and its records; return how many young people."""
    queried = today - timedelta(days=40)
    round_ = YouthRound(
        year=queried.year,
        half=Half.AUTUMN if queried.month >= 7 else Half.SPRING,
        queried_on=queried,
        received_on=queried + timedelta(days=5),
        file_name="STAR noortegarantii.xlsx",
    )
    if db.session.query(YouthRound).filter_by(year=round_.year, half=round_.half).first():
        return 0  # loaded before: a round per half
    called = round_.received_on + timedelta(days=7)
    for n, (first, last, sex, year) in enumerate(PEOPLE):
        o = Outreach(
            round=round_,
            personal_code=codes.make_personal_code(date(year, 3 + n, 10 + n), sex, 200 + n),
            first_name=first,
            last_name=last,
            birth_date=date(year, 3 + n, 10 + n),
            email=f"noor{n + 1}@example.ee",
            education="põhiharidus" if n % 2 else "keskharidus (katkestatud)",
            case_manager=managers[n % len(managers)] if managers and n < 6 else None,
        )
        if n in (0, 1, 2):
            o.attempts.append(
                ContactAttempt(made_on=called, channel=AttemptChannel.PHONE, outcome=AttemptOutcome.NO_ANSWER)
            )
            o.status = OutreachStatus.NO_ANSWER
        if n == 1:
            o.attempts.append(
                ContactAttempt(
                    made_on=called + timedelta(days=3), channel=AttemptChannel.PHONE, outcome=AttemptOutcome.REACHED
                )
            )
            o.status, o.answer = OutreachStatus.WANTS_HELP, "Soovib abi tööotsingul."
        if n == 2:
            o.attempts.append(
                ContactAttempt(
                    made_on=called + timedelta(days=2), channel=AttemptChannel.SMS, outcome=AttemptOutcome.REACHED
                )
            )
            o.status, o.answer = OutreachStatus.DOES_NOT_WANT, "Õpib kutsekoolis, abi ei vaja."
        db.session.add(o)
    return len(PEOPLE)
