"""The STAR queue (models/star.py): new and changed case-work records wait for STAR until marked
entered; an edit of a field STAR holds brings an entered record back, showing what changed."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import (
    ActionPlan,
    Assessment,
    CaseStep,
    Client,
    Goal,
    StarItem,
    StarState,
    StepKind,
    User,
    db,
    mark_entered,
    track,
)
from models.casework import NeedLevel
from models.star import KINDS, StarKind, changes, fields_of, star_reference_error, track_kind, waiting_summary
from models.terms import add_working_days
from tests.conftest import create_client

TODAY = date.today()


def item(db, kind: str, record) -> StarItem | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(StarItem).where(StarItem.kind == kind, StarItem.record_id == record.id))


@pytest.fixture
def maie(ctx):
    client = create_client(first_name="Maie", last_name="Mägi", applied_on=TODAY - timedelta(days=60))
    ctx.session.add(client)
    ctx.session.commit()
    return client


@pytest.fixture
def marker(ctx):
    user = User(email="marker@test.ee", full_name="Mari Märkija", password="x", active=True, fs_uniquifier="marker")
    ctx.session.add(user)
    ctx.session.commit()
    return user


def test_new_records_of_every_kind_wait_for_star(ctx, maie):
    a = Assessment(client=maie, assessed_on=TODAY, housing_level=NeedLevel.GREAT)
    p = ActionPlan(client=maie, drawn_up_on=TODAY, goals=[Goal(position=1, text="Kodu")])
    s = CaseStep(client=maie, kind=StepKind.APPLICATION, done_on=TODAY)
    ctx.session.add_all([a, p, s])
    ctx.session.commit()
    for kind, record in (("assessment", a), ("action_plan", p), ("case_step", s)):
        queued = item(ctx, kind, record)
        assert queued is not None and queued.state == StarState.NEW and queued.client_id == maie.id
    assert waiting_summary()["waiting"] == 3


def test_marking_entered_takes_it_off_and_a_later_edit_brings_it_back(ctx, maie, marker):
    s = CaseStep(client=maie, kind=StepKind.APPLICATION, done_on=TODAY, note="Avaldus paberil")
    ctx.session.add(s)
    ctx.session.commit()
    queued = item(ctx, "case_step", s)
    assert mark_entered([queued], marker, reference="STAR-123") == 1
    ctx.session.commit()
    queued = item(ctx, "case_step", s)
    assert queued.state == StarState.ENTERED and queued.entered_by_id == marker.id
    assert queued.star_reference == "STAR-123" and queued.entered_at is not None
    assert waiting_summary()["waiting"] == 0

    s = ctx.session.get(CaseStep, s.id)
    s.note = "Avaldus e-postiga"
    ctx.session.commit()
    queued = item(ctx, "case_step", s)
    assert queued.state == StarState.CHANGED
    assert changes(queued) == {"note": "Avaldus paberil"}  # what STAR still holds
    assert waiting_summary()["waiting"] == 1


def test_an_edit_star_does_not_hold_leaves_it_entered(ctx, maie, marker):
    p = ActionPlan(client=maie, drawn_up_on=TODAY, goals=[Goal(position=1, text="Kodu")])
    ctx.session.add(p)
    ctx.session.commit()
    mark_entered([item(ctx, "action_plan", p)], marker)
    ctx.session.commit()
    p = ctx.session.get(ActionPlan, p.id)
    p.goals[0].text = "Kodu"  # the same text again: nothing changed
    ctx.session.commit()
    assert item(ctx, "action_plan", p).state == StarState.ENTERED


def test_a_changed_goal_brings_its_plan_back(ctx, maie, marker):
    p = ActionPlan(client=maie, drawn_up_on=TODAY, goals=[Goal(position=1, text="Kodu")])
    ctx.session.add(p)
    ctx.session.commit()
    mark_entered([item(ctx, "action_plan", p)], marker)
    ctx.session.commit()
    p = ctx.session.get(ActionPlan, p.id)
    p.goals.append(Goal(position=2, text="Töö"))
    ctx.session.commit()
    queued = item(ctx, "action_plan", p)
    assert queued.state == StarState.CHANGED
    assert changes(queued) == {"goals": "1. Kodu"}


def test_rolled_back_save_leaves_no_item(ctx, maie):
    ctx.session.add(CaseStep(client=maie, kind=StepKind.APPLICATION, done_on=TODAY))
    ctx.session.flush()
    ctx.session.rollback()
    assert ctx.session.scalar(sa.select(sa.func.count(StarItem.id))) == 0


def test_deleting_a_record_takes_it_off_the_queue(ctx, maie):
    s = CaseStep(client=maie, kind=StepKind.APPLICATION, done_on=TODAY)
    ctx.session.add(s)
    ctx.session.commit()
    ctx.session.delete(s)
    ctx.session.commit()
    assert ctx.session.scalar(sa.select(sa.func.count(StarItem.id))) == 0


def test_fields_follow_stars_order(ctx, maie):
    a = Assessment(client=maie, assessed_on=TODAY, summary="Vajab eluaset", housing_level=NeedLevel.GREAT)
    ctx.session.add(a)
    ctx.session.commit()
    keys = [key for key, _, _ in fields_of(item(ctx, "assessment", a))]
    assert keys[:3] == ["personal_code", "name", "assessed_on"]
    assert keys.index("housing_level") < keys.index("summary") < keys.index("decision")
    texts = {key: text for key, _, text in fields_of(item(ctx, "assessment", a))}
    assert texts["personal_code"] == maie.personal_code and texts["assessed_on"] == f"{TODAY:%d.%m.%Y}"


def test_track_queues_a_record_of_a_new_kind_with_one_call(ctx, maie):
    """A register joining later (the youth guarantee) tracks its kind once and its records queue."""
    kind = StarKind("test_client", "Test", type(maie), lambda c: [("name", "Name", c.first_name)], watched=())
    track_kind(kind)
    try:
        track("test_client", maie)
        ctx.session.commit()
        assert item(ctx, "test_client", maie).state == StarState.NEW
        with pytest.raises(KeyError):
            track("no_such_kind", maie)
    finally:
        KINDS.pop("test_client")


def test_waiting_summary_counts_late_items_in_working_days(ctx, maie):
    steps = [CaseStep(client=maie, kind=StepKind.APPLICATION, done_on=TODAY - timedelta(days=n)) for n in (1, 2)]
    ctx.session.add_all(steps)
    ctx.session.commit()
    old = item(ctx, "case_step", steps[0])
    old.queued_at = datetime.combine(TODAY - timedelta(days=20), datetime.min.time())
    ctx.session.commit()
    summary = waiting_summary()
    assert summary == {"waiting": 2, "late": 1, "oldest_days": 20}
    assert old.late() and not item(ctx, "case_step", steps[1]).late()
    # The limit is five working days, not five calendar days.
    just = TODAY - timedelta(days=1)
    while add_working_days(just, 5) >= TODAY:
        just -= timedelta(days=1)
    old.queued_at = datetime.combine(just, datetime.min.time())
    assert old.late()


def test_star_reference_follows_the_text_rule():
    assert star_reference_error("STAR-1") is None
    assert star_reference_error("a\x00b") is not None
    assert star_reference_error("x" * 101) is not None


def test_marking_a_record_that_is_gone_drops_it(ctx, maie, marker):
    s = CaseStep(client=maie, kind=StepKind.APPLICATION, done_on=TODAY)
    ctx.session.add(s)
    ctx.session.commit()
    queued = item(ctx, "case_step", s)
    ctx.session.execute(sa.delete(CaseStep).where(CaseStep.id == s.id))
    ctx.session.commit()
    assert mark_entered([queued], marker) == 0
    ctx.session.commit()
    assert ctx.session.scalar(sa.select(sa.func.count(StarItem.id))) == 0


@pytest.fixture
def old_app(app, tmp_path, monkeypatch):
    """An app on an empty database of its own (a schema of its own on PostgreSQL)."""
    from admin_app import create_app

    monkeypatch.setenv("JUHTUM_INSTANCE", str(tmp_path))
    if app.config["BACKEND"] == "sqlite":
        other = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
        yield other
    else:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS star_migration CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA star_migration"))
        other = create_app(
            "test",
            SQLALCHEMY_DATABASE_URI=url,
            SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-csearch_path=star_migration,public"}},
        )
        other.extensions["migrate"].configure_args["version_table_schema"] = "star_migration"
        yield other
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA star_migration CASCADE"))
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_migration_queues_recent_records_and_takes_older_ones_as_entered(old_app):
    from flask_migrate import upgrade

    from models.codes import make_personal_code

    with old_app.app_context():
        upgrade(revision="b7e3c1d9a5f2")  # the revision before the queue
        with db.engine.begin() as conn:
            client_id = conn.execute(
                sa.insert(Client.__table__)
                .values(
                    personal_code=make_personal_code(date(1980, 5, 17), "F", 1),
                    birth_date=date(1980, 5, 17),
                    sex="F",
                    first_name="Vana",
                    last_name="Kirje",
                    target_group="pilot",
                    status="active",
                    disability="severe",
                )
                .returning(Client.__table__.c.id)
            ).scalar_one()
            steps = {}
            for name, day in (("recent", TODAY - timedelta(days=10)), ("old", TODAY - timedelta(days=400))):
                steps[name] = conn.execute(
                    sa.insert(CaseStep.__table__)
                    .values(client_id=client_id, kind="application", done_on=day)
                    .returning(CaseStep.__table__.c.id)
                ).scalar_one()
        upgrade()
        with db.engine.connect() as conn:
            states = dict(
                conn.execute(
                    sa.select(StarItem.__table__.c.record_id, StarItem.__table__.c.state).where(
                        StarItem.__table__.c.kind == "case_step"
                    )
                ).all()
            )
    assert states == {steps["recent"]: "new", steps["old"]: "entered"}
