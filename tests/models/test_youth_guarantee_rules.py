"""Noortegarantii rules: the import's mapping and preview, saving a round all or nothing, the order of
an outreach's statuses, outreach to client, follow-up dates and the round's figures."""

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from models import (
    CaseStep,
    Client,
    ContactAttempt,
    NetworkMember,
    Outreach,
    OutreachStatus,
    YouthRound,
    codes,
    db,
    make_client,
    outreach_errors,
    round_figures,
)
from models.base import RuleViolation
from models.youth_guarantee import add_months, follow_up_date
from models.youth_import import CLIENT, EARLIER, ERROR, NEW, guess_mapping, preview, read_table, save_round
from tests.conftest import create_client

QUERIED = date(2026, 3, 15)
RECEIVED = date(2026, 3, 20)
HEADINGS = ["Isikukood", "Eesnimi", "Perekonnanimi", "E-post", "Telefon", "Vanema või eestkostja nimi", "Haridus"]


def code(born: date, serial: int, sex: str = "M") -> str:
    return codes.make_personal_code(born, sex, serial)


def xlsx(rows: list[list], headings=HEADINGS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headings)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def young(n: int, born=date(2004, 6, 1)) -> list:
    return [code(born, n), f"Noor{n}", f"Inimene{n}", f"noor{n}@example.ee", f"5000{n:04d}", None, "põhiharidus"]


def import_round(rows, half="spring", year=2026, received=RECEIVED):
    headings, table = read_table(xlsx(rows), "list.xlsx")
    mapping = guess_mapping(headings)
    previewed = preview(headings, table, mapping, QUERIED if half == "spring" else date(year, 10, 15))
    round_ = YouthRound(year=year, half=half, queried_on=QUERIED, received_on=received)
    return save_round(round_, headings, mapping, previewed)


def test_mapping_is_prefilled_from_estonian_headings_and_remembered(ctx):
    headings = ["Nr", "Ees- ja perekonnanimi", "ISIKUKOOD", "e-posti aadress", "Mobiil", "Viimane töötamine"]
    mapping = guess_mapping(headings)
    assert mapping["name"] == 1 and mapping["personal_code"] == 2 and mapping["email"] == 3
    assert mapping["phone"] == 4 and mapping["employment"] == 5 and mapping["first_name"] is None
    assert guess_mapping(HEADINGS)["guardian_name"] == 5
    # The user moves the phone to another column: the next file of this layout gets that mapping.
    headings2, table = read_table(xlsx([young(1)], headings=HEADINGS), "a.xlsx")
    changed = {**guess_mapping(headings2), "phone": None, "education": 4}
    rows = preview(headings2, table, changed, QUERIED)
    save_round(YouthRound(year=2026, half="spring", queried_on=QUERIED, received_on=RECEIVED), headings2, changed, rows)
    assert guess_mapping(HEADINGS)["phone"] is None and guess_mapping(HEADINGS)["education"] == 4


def test_every_error_kind_is_found_with_its_row_and_column(ctx):
    bad_checksum = code(date(2004, 6, 1), 7)[:-1] + str((int(code(date(2004, 6, 1), 7)[-1]) + 1) % 10)
    too_old = code(date(1990, 1, 1), 8)
    too_young = code(date(2012, 1, 1), 9)
    rows = [young(1), [bad_checksum, "A", "B"], [too_old, "C", "D"], [too_young, "E", "F"], young(1)]
    headings, table = read_table(xlsx(rows), "list.xlsx")
    previewed = preview(headings, table, guess_mapping(headings), QUERIED)
    assert [r.kind for r in previewed] == [NEW, ERROR, ERROR, ERROR, ERROR]
    assert [r.row for r in previewed] == [2, 3, 4, 5, 6]
    assert all(column == "Isikukood" for r in previewed[1:] for column, _ in r.errors)
    assert "isikukood" in previewed[1].errors[0][1]
    assert "36" in previewed[2].errors[0][1] and "14" in previewed[3].errors[0][1]
    assert "2" in previewed[4].errors[0][1]  # the duplicate names the row it repeats


def test_csv_with_semicolons_reads_the_same(ctx):
    text = ";".join(HEADINGS) + "\n" + ";".join(str(c or "") for c in young(3)) + "\n"
    headings, table = read_table(text.encode("utf-8-sig"), "list.csv")
    previewed = preview(headings, table, guess_mapping(headings), QUERIED)
    assert previewed[0].kind == NEW and previewed[0].values["email"] == "noor3@example.ee"


def test_nothing_is_saved_before_confirming_and_nothing_if_saving_fails_midway(ctx):
    headings, table = read_table(xlsx([young(1), young(2), young(3)]), "list.xlsx")
    mapping = guess_mapping(headings)
    previewed = preview(headings, table, mapping, QUERIED)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Outreach)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(YouthRound)) == 0
    previewed[2].values["birth_date"] = None  # the third row cannot be stored: the database refuses it
    with pytest.raises(sa.exc.IntegrityError):
        save_round(
            YouthRound(year=2026, half="spring", queried_on=QUERIED, received_on=RECEIVED), headings, mapping, previewed
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Outreach)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(YouthRound)) == 0


def test_a_second_round_links_to_the_first_and_finds_clients(ctx):
    first, n = import_round([young(1), young(2)])
    assert n == 2
    client = create_client(
        born=date(2004, 6, 1), sex="M", personal_code=code(date(2004, 6, 1), 5), target_group="youth"
    )
    headings, table = read_table(xlsx([young(1), young(5), young(6)]), "list.xlsx")
    previewed = preview(headings, table, guess_mapping(headings), date(2026, 10, 15))
    assert [r.kind for r in previewed] == [EARLIER, CLIENT, NEW]
    import_round([young(1), young(5), young(6)], half="autumn", received=date(2026, 10, 20))
    again = db.session.scalars(
        sa.select(Outreach).where(Outreach.personal_code == young(1)[0]).order_by(Outreach.id)
    ).all()
    assert len(again) == 2 and again[1].earlier_id == again[0].id
    assert (
        db.session.scalar(sa.select(Outreach.client_id).where(Outreach.personal_code == client.personal_code))
        == client.id
    )


def attempt(day: date, outcome="no_answer", channel="phone") -> ContactAttempt:
    return ContactAttempt(made_on=day, channel=channel, outcome=outcome)


def test_status_rules(ctx):
    import_round([young(1)])
    o = db.session.scalars(sa.select(Outreach)).one()
    today = date.today()
    o.status = OutreachStatus.NO_ANSWER
    assert "status" in outreach_errors(o)
    o.attempts.append(attempt(today))
    assert outreach_errors(o) == {}
    o.status = OutreachStatus.UNREACHABLE
    assert "status" in outreach_errors(o)
    o.attempts.append(attempt(today))  # a second attempt on the same day is not enough
    assert "status" in outreach_errors(o)
    o.attempts.append(attempt(today - timedelta(days=1)))
    assert outreach_errors(o) == {}
    o.status = OutreachStatus.WANTS_HELP
    assert "status" in outreach_errors(o)
    o.attempts.append(attempt(today, outcome="reached"))
    assert outreach_errors(o) == {}
    o.status = OutreachStatus.NOT_CONTACTED
    assert "status" in outreach_errors(o)
    o.status = OutreachStatus.NOT_ON_TERMS
    assert "off_terms_reason" in outreach_errors(o)
    o.off_terms_reason = "studying"
    assert outreach_errors(o) == {}
    o.off_terms_reason = "other"
    assert "notes" in outreach_errors(o)
    o.status, o.off_terms_reason = OutreachStatus.BECAME_CLIENT, None
    assert "status" in outreach_errors(o)
    o.attempts.append(attempt(today + timedelta(days=1)))
    assert "attempts" in outreach_errors(o)


def test_an_attempt_cannot_be_before_the_list_arrived(ctx):
    import_round([young(1)], received=date.today() - timedelta(days=3))
    o = db.session.scalars(sa.select(Outreach)).one()
    o.status = OutreachStatus.NO_ANSWER
    o.attempts.append(attempt(date.today() - timedelta(days=4)))
    received = date.today() - timedelta(days=3)
    assert f"{received:%d.%m.%Y}" in outreach_errors(o)["attempts"]


def test_outreach_to_client_fills_fields_and_a_minors_guardian(ctx):
    minor_born = date.today().replace(year=date.today().year - 17) - timedelta(days=30)
    row = [code(minor_born, 11, "F"), "Mari", "Maasikas", "mari@example.ee", "5551234", "Ema Maasikas", None]
    import_round([row, young(2)], received=date.today() - timedelta(days=10))
    mari = db.session.scalar(sa.select(Outreach).where(Outreach.first_name == "Mari"))
    with pytest.raises(RuleViolation):
        make_client(mari, None)  # she has not said she wants help
    mari.status, mari.answer = OutreachStatus.WANTS_HELP, "Soovin abi õpingutega."
    client, created = make_client(mari, None)
    db.session.commit()
    assert created and client.target_group == "youth" and client.personal_code == mari.personal_code
    assert (client.first_name, client.last_name, client.email, client.phone) == (
        "Mari",
        "Maasikas",
        "mari@example.ee",
        "5551234",
    )
    guardian = db.session.scalars(sa.select(NetworkMember).where(NetworkMember.client_id == client.id)).one()
    assert guardian.name == "Ema Maasikas" and guardian.role == "guardian"
    step = db.session.scalars(sa.select(CaseStep).where(CaseStep.client_id == client.id)).one()
    assert step.kind == "application" and "Soovin abi" in step.note
    assert mari.status == OutreachStatus.BECAME_CLIENT and mari.client_id == client.id


def test_an_existing_client_is_linked_not_duplicated(ctx):
    import_round([young(4)])
    existing = create_client(born=date(2004, 6, 1), sex="M", personal_code=young(4)[0], target_group="youth")
    o = db.session.scalars(sa.select(Outreach)).one()
    o.status = OutreachStatus.WANTS_HELP
    client, created = make_client(o, None)
    db.session.commit()
    assert not created and client.id == existing.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 1


def test_follow_up_six_months_after_the_goal(ctx):
    assert follow_up_date(date(2026, 8, 31)) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 15), 6) == date(2026, 7, 15)
    import_round([young(1)], received=date.today() - timedelta(days=60))
    o = db.session.scalars(sa.select(Outreach)).one()
    o.status = OutreachStatus.WANTS_HELP
    o.attempts.append(attempt(date.today() - timedelta(days=50), outcome="reached"))
    client, _ = make_client(o, None)
    db.session.commit()
    closed_on = date.today() - timedelta(days=1)
    db.session.add(CaseStep(client=client, kind="closed", done_on=closed_on))
    db.session.commit()
    db.session.refresh(o)
    assert o.goal_reached_on == closed_on and o.follow_up_on == follow_up_date(closed_on)


def test_round_figures_against_counts_by_hand(ctx):
    received = date.today() - timedelta(days=30)
    import_round([young(n) for n in range(1, 7)], received=received)
    records = db.session.scalars(sa.select(Outreach).order_by(Outreach.id)).all()
    plan = [
        ("no_answer", None, [4]),
        ("wants_help", None, [10]),
        ("does_not_want", None, [2]),
        ("not_on_terms", "studying", [6]),
        ("not_on_terms", "working", [8, 20]),
    ]
    for o, (status, reason, days) in zip(records, plan, strict=False):
        o.status, o.off_terms_reason = status, reason
        o.attempts.extend(attempt(received + timedelta(days=d), outcome="reached") for d in days)
    db.session.commit()
    f = round_figures(records[0].round_id)
    assert (f["size"], f["contacted"], f["reached"], f["wants_help"]) == (6, 5, 4, 1)
    assert (f["does_not_want"], f["not_on_terms"], f["became_client"]) == (1, 2, 0)
    assert {str(k.value): v for k, v in f["reasons"].items()} == {"studying": 1, "working": 1}
    assert f["median_days"] == 6  # first contacts after 4, 10, 2, 6 and 8 days


def test_a_young_person_taken_on_waits_for_star_and_the_rest_of_the_round_does_not(ctx):
    from models.star import StarItem, fields_of

    import_round([young(21), young(22)], received=date.today() - timedelta(days=3))
    helped, other = db.session.scalars(sa.select(Outreach).order_by(Outreach.first_name)).all()
    other.status = OutreachStatus.DOES_NOT_WANT
    other.attempts.append(attempt(date.today(), outcome="reached"))
    helped.status, helped.answer = OutreachStatus.WANTS_HELP, "Soovin tööd leida."
    helped.attempts.append(attempt(date.today(), outcome="reached"))
    db.session.commit()
    assert db.session.scalars(sa.select(StarItem).where(StarItem.kind == "youth_helped")).all() == []

    client, _ = make_client(helped, None)
    db.session.commit()
    (item,) = db.session.scalars(sa.select(StarItem).where(StarItem.kind == "youth_helped")).all()
    assert (item.record_id, item.client_id, item.waiting) == (helped.id, client.id, True)
    shown = {key: text for key, _label, text in fields_of(item)}
    assert shown["personal_code"] == helped.personal_code and shown["answer"] == "Soovin tööd leida."
    assert shown["reached_on"] == date.today().strftime("%d.%m.%Y")


@pytest.mark.parametrize("body", ["Tere {name.upper}", "{name.__class__}", "{round!r}", "{name:>40}", "{0}", "{"])
def test_the_e_mail_template_refuses_braces_other_than_name_and_round(body):
    from models.youth_guarantee import YouthMailTemplate, mail_template_errors

    assert "body" in mail_template_errors(YouthMailTemplate(subject="Noortegarantii", body=body))
    assert mail_template_errors(YouthMailTemplate(subject="{round}", body="Tere {name}! {{kaldsulud}}")) == {}


def test_a_cell_too_long_or_with_a_control_character_is_an_error_not_cut(ctx):
    headings = [*HEADINGS, "Aadress"]
    long_address = "Pikk tänav " * 40  # 440 characters; the register keeps 300
    rows = [
        [*young(31), long_address],
        [*young(32)[:1], "Mari\x07", *young(32)[2:], "Tamme 1"],
        [*young(33), "Tamme 2"],
    ]
    text = "\n".join(";".join("" if c is None else str(c) for c in row) for row in [headings, *rows])
    read_headings, table = read_table(text.encode(), "list.csv")  # a control character cannot go into xlsx
    previewed = preview(read_headings, table, guess_mapping(read_headings), QUERIED)
    assert [r.kind for r in previewed] == [ERROR, ERROR, NEW]
    assert previewed[0].errors == [("Aadress", "Kõige rohkem 300 märki.")]  # the office's language
    ((heading, message),) = previewed[1].errors
    assert heading == "Eesnimi" and "U+0007" in message


def test_the_demo_round_holds_only_people_its_list_could_hold(ctx):
    from models.seed import demo_youth
    from models.youth_guarantee import MAX_AGE, MIN_AGE

    demo_youth.load(date.today(), [])
    db.session.flush()
    for o in db.session.scalars(sa.select(Outreach)):
        assert MIN_AGE <= codes.age_on(o.birth_date, o.round.queried_on) <= MAX_AGE, str(o)
        assert codes.personal_code(o.personal_code) == o.personal_code


def test_the_home_page_lists_wanting_help_without_a_meeting_and_follow_ups_due(ctx):
    """A case manager's attention list: who wants help but has had no meeting (until a meeting is
    recorded), and whose follow-up date has come (not once the record is closed); only their own."""
    from admin_app.auth import create_user
    from models.youth_casework import youth_attention

    mine = create_user("kask@test.ee", "parool-parool-1", ["case_manager"], "Kadri Kask").id
    other = create_user("saar@test.ee", "parool-parool-1", ["case_manager"], "Eva Saar").id
    import_round([young(1), young(2), young(3)], received=date.today() - timedelta(days=60))
    wants, follow, theirs = db.session.scalars(sa.select(Outreach).order_by(Outreach.id)).all()
    for o in (wants, follow, theirs):
        o.case_manager_id = mine if o is not theirs else other
        o.attempts.append(attempt(date.today() - timedelta(days=40), outcome="reached"))
        o.status = OutreachStatus.WANTS_HELP
    follow.status = OutreachStatus.DOES_NOT_WANT
    follow.goal_reached_on = date.today() - timedelta(days=200)
    theirs.goal_reached_on = date.today() - timedelta(days=200)
    for o in (wants, follow, theirs):
        assert outreach_errors(o) == {}
    db.session.commit()
    assert follow.follow_up_on == follow_up_date(follow.goal_reached_on) <= date.today()

    seen = youth_attention(mine, 14)
    assert seen["no_meeting"] == [wants] and seen["follow_ups"] == [follow]
    everyone = youth_attention(None, 14)  # the head
    assert set(everyone["no_meeting"]) == {wants, theirs} and set(everyone["follow_ups"]) == {follow, theirs}

    wants.attempts.append(attempt(date.today(), outcome="reached", channel="meeting"))
    follow.status = OutreachStatus.CLOSED
    db.session.commit()
    seen = youth_attention(mine, 14)
    assert seen["no_meeting"] == [] and seen["follow_ups"] == []
