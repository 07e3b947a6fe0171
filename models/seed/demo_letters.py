"""Demo letters (``models.seed.demo``): citizens' letters of every kind and in every state.

Counted back from today, registered in date order (so the numbers rise with the dates): answered on
time and late, forwarded, left unanswered, extended, overdue, due within days, restricted (a client's
private life, and an organisation's business secret), and one still waiting for someone to answer it.
Every letter is saved through ``save_letter``, so it gets its number and deadline as a real one would.
"""

from datetime import date, timedelta

from ..clients import Client
from ..letters import Letter, save_letter
from ..terms import add_working_days, next_working_day
from ..users import User


def _before(today: date, days: int) -> date:
    """A working day about ``days`` days before ``today`` (letters are registered on working days)."""
    return next_working_day(today - timedelta(days=days))


def load(today: date, clients: list[Client], users: dict[str, User]) -> int:
    """Register the demo letters; return how many."""
    staff = sorted(users.values(), key=lambda u: u.email)
    managers = [u for u in staff if u.has_any_role(["case_manager"])]
    head = next(u for u in staff if u.has_any_role(["head"]))
    m1, m2, m3 = (managers * 3)[:3]
    client = next((c for c in clients if c.status == "active"), None)

    def at(days: int) -> date:
        return min(_before(today, days), today)

    def after(start: date, working_days: int) -> date:
        return min(add_working_days(start, working_days), today)

    org = {"sender_kind": "organisation"}
    letters = [
        dict(
            registered_on=at(80), kind="memorandum", channel="email", **org, sender_name="Rapla Eakate Klubi MTÜ",
            sender_email="klubi@example.ee", subject="Päevakeskuse lahtiolekuajad", answerer=m1,
            status="answered", answered_on=after(at(80), 12), outgoing_number="7-1/V-1",
            answer_text="Päevakeskus on avatud ka laupäeviti alates järgmisest kuust.",
        ),
        dict(
            registered_on=at(70), kind="explanation", channel="post", sender_name="Jaan Tamm",
            sender_address="Tallinna mnt 5, Rapla", subject="Hooldajatoetuse arvestamine", answerer=m2,
            status="answered", answered_on=at(70) + timedelta(days=40), outgoing_number="7-1/V-2",
            answer_text="Hooldajatoetust arvestatakse hooldatava puude raskusastme järgi.",
        ),
        dict(
            registered_on=at(50), kind="information", channel="email", sender_name="Kati Kask",
            sender_email="kati.kask@example.ee", subject="Sotsiaaltranspordi hinnakiri", answerer=m1,
            status="answered", answered_on=after(at(50), 2), outgoing_number="7-1/V-3",
            answer_text="Hinnakiri on lisatud.",
        ),
        dict(
            registered_on=at(40), kind="memorandum", channel="portal", sender_name="Peeter Saar",
            sender_email="peeter.saar@example.ee", subject="Puuetega inimeste parkimiskaart", answerer=head,
            status="forwarded", forwarded_to="Transpordiamet", forwarded_on=after(at(40), 2),
            sender_told_of_forwarding_on=after(at(40), 2),
        ),
        dict(
            registered_on=at(35), kind="memorandum", channel="post", sender_name=None,
            subject="Nimetu kiri naabri kohta", status="unanswered", unanswered_ground="unidentified",
        ),
        dict(
            registered_on=at(45), kind="explanation", channel="email", sender_name="Malle Mets",
            sender_email="malle.mets@example.ee", subject="Eluruumi kohandamise toetuse tingimused", answerer=m3,
            extension_reason="Vajab ehitusspetsialisti hinnangut.", sender_told_of_extension_on=after(at(45), 8),
        ),
        dict(
            registered_on=at(38), kind="explanation", channel="email", sender_name="Toomas Kuusk",
            sender_email="toomas.kuusk@example.ee", subject="Koduteenuse tasu suurus", answerer=m1,
        ),
        dict(
            registered_on=at(1), kind="information", channel="email", **org, sender_name="Eesti Päevaleht",
            sender_email="toimetus@example.ee", subject="Sotsiaaltoetuste kulud 2026", answerer=m2,
        ),
        dict(
            registered_on=at(10), kind="explanation", channel="email", sender_name="Liis Lepp",
            sender_email="liis.lepp@example.ee", subject="Pere toimetulek ja võlanõustamine", answerer=m1,
            client=client, private_life=True, summary="Kirjeldab pere majanduslikku olukorda ja terviseprobleeme.",
        ),
        dict(
            registered_on=at(60), kind="other", channel="email", **org, sender_name="Hoolekandeteenused AS",
            sender_email="info@example.ee", subject="Hinnapakkumise kalkulatsioon", answerer=head,
            restricted=True, restriction_basis="AvTS § 35 lg 1 p 17", restricted_until=at(60) + timedelta(days=5 * 365),
            status="answered", answered_on=after(at(60), 5), outgoing_number="7-1/V-4",
            answer_text="Täname, pakkumine on vastu võetud.",
        ),
        dict(
            registered_on=at(20), kind="memorandum", channel="in_person", sender_name="Heino Org",
            sender_address="Kooli 3, Kehtna", subject="Kõnnitee talvine hooldus", answerer=m3,
        ),
        dict(
            registered_on=today, received_on=today - timedelta(days=1), kind="memorandum", channel="email",
            sender_name="Anne Rebane", sender_email="anne.rebane@example.ee", subject="Mänguväljak Alu alevikus",
        ),
    ]  # fmt: skip
    made = []
    for values in sorted(letters, key=lambda v: v["registered_on"]):
        values.setdefault("received_on", values["registered_on"])
        made.append(save_letter(Letter(**values), today))
    return len(made)
