"""The reports (/admin/reports/): each figure from a set-based query equals the same figure counted by
hand from the rows; on screen with a chart, as a workbook with native charts; periods checked."""

import io
import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from exports.reports.report import REPORTS
from exports.reports.statistics import AGE_BANDS, years_before
from models import (
    ActionPlan,
    Assessment,
    AssessmentDecision,
    Client,
    ClientStatus,
    Counselling,
    CounsellingTopic,
    Inspection,
    Instrument,
    Meeting,
    MeetingKind,
    QolAnswer,
    QolAnswerSet,
    QolPoint,
    Severity,
    TargetGroup,
    Violation,
    ViolationKind,
    ViolationStatus,
    db,
)
from models.quality import compute_score
from tests.admin_app.helpers import signed_in
from tests.conftest import create_client, create_provider

START, END = date(2026, 1, 1), date(2026, 6, 30)
PERIOD = "start=01.01.2026&end=30.06.2026"
pytestmark = pytest.mark.usefixtures("shipped_questionnaire")


def two(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def build(app, key, start=START, end=END, **kwargs):
    with app.test_request_context():
        return REPORTS[key].build(start, end, **kwargs)


@pytest.fixture
def head(app, client):
    return signed_in(app, client, "head")


# --- Quality of life ---------------------------------------------------------------------------


@pytest.fixture
def qol_answers(app):
    """Twelve clients answering at random points and dates, some outside the period."""
    rng = random.Random(7)
    with app.app_context():
        items = db.session.get(Instrument, 1).items
        for _ in range(12):
            client = create_client(status="active", entry_date=date(2025, 1, 1))
            points = [QolPoint.ENTRY] + [p for p in (QolPoint.ONE_YEAR, QolPoint.EXIT) if rng.random() < 0.6]
            for point in points:
                day = date(2025, 11, 1) + timedelta(days=rng.randrange(0, 300))
                values = [rng.randint(1, 5) for _ in items]
                answer_set = QolAnswerSet(
                    client=client, instrument_id=1, point=point, answered_on=day, score=compute_score(values)
                )
                answer_set.answers = [QolAnswer(item=i, value=v) for i, v in zip(items, values, strict=True)]
                db.session.add(answer_set)
            db.session.commit()


def test_quality_of_life_figures_equal_hand_counts(app, qol_answers):
    report = build(app, "quality-of-life")
    with app.app_context():
        sets = db.session.scalars(sa.select(QolAnswerSet)).all()
        in_period = [s for s in sets if START <= s.answered_on <= END]
        entry_of = {s.client_id: s for s in sets if s.point == QolPoint.ENTRY}
        by_point, by_item = report.tables
        assert in_period and len(in_period) < len(sets), "the data straddles the period"
        for point in QolPoint:
            mine = [s for s in in_period if s.point == point]
            row = by_point.row(str(point))
            assert row[1] == len(mine)
            assert row[2] == (two(sum(s.score for s in mine) / len(mine)) if mine else None)
            if point != QolPoint.ENTRY:
                pairs = [(s, entry_of[s.client_id]) for s in mine if s.client_id in entry_of]
                assert row[3] == (len(pairs) or None)
                expected = two(sum(s.score - e.score for s, e in pairs) / len(pairs)) if pairs else None
                assert row[4] == expected, point

        for item in db.session.get(Instrument, 1).items:
            row = by_item.row(f"{item.position}. {item.text}")
            for n, point in enumerate(QolPoint, start=1):
                values = [s.value_of(item) for s in in_period if s.point == point]
                assert row[n] == (two(sum(values) / len(values)) if values else None)
            for n, point in enumerate((QolPoint.ONE_YEAR, QolPoint.EXIT), start=4):
                diffs = [
                    s.value_of(item) - entry_of[s.client_id].value_of(item)
                    for s in in_period
                    if s.point == point and s.client_id in entry_of
                ]
                assert row[n] == (two(sum(diffs) / len(diffs)) if diffs else None)


# --- Supervision map ---------------------------------------------------------------------------


def test_supervision_map_counts_and_colours_equal_hand_counts(app):
    rng = random.Random(3)
    today = date(2026, 7, 15)
    with app.app_context():
        providers = [create_provider(name=f"Osutaja {n}") for n in range(4)]
        for _ in range(14):
            inspection = Inspection(
                provider=rng.choice(providers),
                inspected_on=date(2025, 12, 1) + timedelta(days=rng.randrange(0, 240)),
                inspector="Maie Kuusk",
            )
            for _ in range(rng.randint(0, 3)):
                inspection.violations.append(
                    Violation(
                        kind=rng.choice(list(ViolationKind)),
                        severity=rng.choice(list(Severity)),
                        status=rng.choice(list(ViolationStatus)),
                        remedy_by=date(2026, 5, 1) + timedelta(days=rng.randrange(0, 150)),
                    )
                )
            db.session.add(inspection)
        db.session.commit()
    report = build(app, "supervision", today=today)
    (table,) = report.tables
    with app.app_context():
        violations = [
            v for v in db.session.scalars(sa.select(Violation)).all() if START <= v.inspection.inspected_on <= END
        ]
        by_provider = defaultdict(list)
        for v in violations:
            by_provider[v.inspection.provider.name].append(v)
    assert [r[0] for r in table.rows] == sorted(by_provider), "one row per provider with violations, by name"
    rank = {Severity.MINOR: "minor", Severity.SIGNIFICANT: "significant", Severity.SEVERE: "severe"}
    order = list(Severity)
    for row, shades in zip(table.rows, table.shades, strict=True):
        found = by_provider[row[0]]
        for n, kind in enumerate(ViolationKind, start=1):
            mine = [v for v in found if v.kind == kind]
            assert row[n] == len(mine)
            worst = max((order.index(v.severity) for v in mine), default=None)
            assert shades[n] == (rank[order[worst]] if worst is not None else None)
        open_ = [v for v in found if v.status == ViolationStatus.OPEN]
        assert row[-3:] == [len(found), len(open_), len([v for v in open_ if v.remedy_by < today])]


# --- Statistics for the year ---------------------------------------------------------------------


def test_statistics_figures_equal_hand_counts(app):
    rng = random.Random(11)
    with app.app_context():
        for _ in range(30):
            entry = date(2025, 6, 1) + timedelta(days=rng.randrange(0, 500)) if rng.random() < 0.8 else None
            exit_day = entry + timedelta(days=rng.randrange(30, 300)) if entry and rng.random() < 0.3 else None
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 58))
            create_client(
                born=born,
                status=(ClientStatus.EXITED if exit_day else ClientStatus.ACTIVE) if entry else ClientStatus.APPLICANT,
                entry_date=entry,
                exit_date=exit_day,
                exit_reason="goals_met" if exit_day else None,
                target_group=rng.choice(list(TargetGroup)),
            )
        clients = db.session.scalars(sa.select(Client)).all()
        for n in range(25):
            who = rng.choice(clients)
            day = date(2025, 12, 1) + timedelta(days=rng.randrange(0, 240))
            db.session.add(
                Counselling(
                    client=who, party="client", topic=rng.choice(list(CounsellingTopic)), channel="phone", held_on=day
                )
            )
            db.session.add(Meeting(kind=rng.choice(list(MeetingKind)), held_on=day, title=f"Kohtumine {n}"))
            if n % 3 == 0:
                db.session.add(Assessment(client=who, assessed_on=day, decision=AssessmentDecision.SERVICES))
            if n % 4 == 0:
                db.session.add(ActionPlan(client=who, drawn_up_on=day))
        db.session.commit()

    report = build(app, "statistics")
    groups, ages, statuses, case_work, topics, kinds = report.tables
    with app.app_context():
        clients = db.session.scalars(sa.select(Client)).all()
        taking_part = [
            c for c in clients if c.entry_date and c.entry_date <= END and (c.exit_date is None or c.exit_date >= START)
        ]
        for group in TargetGroup:
            row = groups.row(str(group))
            assert row[1] == len([c for c in taking_part if c.target_group == group])
            assert row[2] == len(
                [c for c in clients if c.target_group == group and c.entry_date and START <= c.entry_date <= END]
            )
            assert row[3] == len(
                [c for c in clients if c.target_group == group and c.exit_date and START <= c.exit_date <= END]
            )
        assert groups.rows[-1][1] == len(taking_part)

        def age(c):
            return END.year - c.birth_date.year - ((END.month, END.day) < (c.birth_date.month, c.birth_date.day))

        bands = Counter(sum(age(c) >= low for low in AGE_BANDS[1:]) for c in taking_part)
        assert [r[1] for r in ages.rows] == [bands.get(n, 0) for n in range(len(AGE_BANDS))]
        assert sum(r[1] for r in ages.rows) == len(taking_part)
        assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)

        assert [r[1] for r in statuses.rows] == [len([c for c in clients if c.status == s]) for s in ClientStatus]

        def within(rows, attribute):
            return len([r for r in rows if START <= getattr(r, attribute) <= END])

        assert [r[1] for r in case_work.rows] == [
            within(db.session.scalars(sa.select(Assessment)).all(), "assessed_on"),
            within(db.session.scalars(sa.select(ActionPlan)).all(), "drawn_up_on"),
            within(db.session.scalars(sa.select(Counselling)).all(), "held_on"),
            within(db.session.scalars(sa.select(Meeting)).all(), "held_on"),
            0,
        ]
        counselling = [c for c in db.session.scalars(sa.select(Counselling)).all() if START <= c.held_on <= END]
        assert [r[1] for r in topics.rows] == [len([c for c in counselling if c.topic == t]) for t in CounsellingTopic]
        meetings = [m for m in db.session.scalars(sa.select(Meeting)).all() if START <= m.held_on <= END]
        assert [r[1] for r in kinds.rows] == [len([m for m in meetings if m.kind == k]) for k in MeetingKind]


# --- On screen and as a workbook -----------------------------------------------------------------


def test_report_on_screen_has_the_figures_and_a_chart(app, head, qol_answers):
    html = head.get(f"/admin/reports/quality-of-life/?{PERIOD}").get_data(as_text=True)
    report = build(app, "quality-of-life")
    assert "01.01.2026–30.06.2026" in html
    answered = report.tables[0].rows[0][1]
    assert f">{answered}<" in html
    assert html.count('class="report-chart"') == 2
    assert "Laadi tööraamat alla" in html or "Download the workbook" in html


def test_workbook_has_a_sheet_and_a_native_chart_per_table_with_the_same_figures(app, head, qol_answers):
    response = head.get(f"/admin/reports/quality-of-life/xlsx/?{PERIOD}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    report = build(app, "quality-of-life")
    assert len(book.worksheets) == len(report.tables)
    for sheet, table in zip(book.worksheets, report.tables, strict=True):
        assert len(sheet._charts) == 1, "a native Excel chart beside the table"
        rows = [list(r) for r in sheet.iter_rows(min_row=6, max_row=5 + len(table.rows), values_only=True)]
        for got, want in zip(rows, table.rows, strict=True):
            for g, w in zip(got, want, strict=False):
                if isinstance(w, Decimal):
                    assert isinstance(g, int | float) and two(g) == w, "numbers are numbers"
                elif isinstance(w, int):
                    assert g == w
                elif w is not None:
                    assert g == str(w)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=32.01.2026&end=30.06.2026", "pp.kk.aaaa"),
        ("start=01.07.2026&end=30.06.2026", "ei saa olla"),
        ("start=&end=30.06.2026", "pp.kk.aaaa"),
    ],
)
def test_a_bad_period_is_refused_with_a_message_on_the_form(app, head, query, message):
    for url in (f"/admin/reports/statistics/?{query}", f"/admin/reports/statistics/xlsx/?{query}"):
        response = head.get(url)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert message in html and "Traceback" not in html


@pytest.mark.parametrize(("role", "status"), [("accountant", 200), ("case_manager", 200), ("registrar", 403)])
def test_who_reads_the_reports(app, client, role, status):
    user = signed_in(app, client, role)
    for key in REPORTS:
        assert user.get(f"/admin/reports/{key}/?{PERIOD}").status_code == status
        assert user.get(f"/admin/reports/{key}/xlsx/?{PERIOD}").status_code == status


# --- The SKA pilot report ------------------------------------------------------------------------


def test_ska_pilot_report_equals_hand_counts_on_the_demo_municipality(app, tmp_path):
    from admin_app.auth import new_user
    from models import Material, MaterialKind, ServiceDelivery
    from models.clients import ExitReason
    from models.seed import demo

    today = date.today()
    start = (today.replace(day=1) - timedelta(days=365)).replace(day=1)
    end = today.replace(day=1) - timedelta(days=1)
    with app.app_context():
        demo.load(tmp_path, new_user)
    report = build(app, "ska-pilot", start, end)
    participants, left, components, areas, providers, materials = report.tables
    with app.app_context():
        clients = [c for c in db.session.scalars(sa.select(Client)).all() if c.entry_date]
        for group in TargetGroup:
            mine = [c for c in clients if c.target_group == group]
            row = participants.row(str(group))
            assert row[1:] == [
                len([c for c in mine if c.entry_date < start and (c.exit_date is None or c.exit_date >= start)]),
                len([c for c in mine if start <= c.entry_date <= end]),
                len([c for c in mine if c.exit_date and start <= c.exit_date <= end]),
                len([c for c in mine if c.entry_date <= end and (c.exit_date is None or c.exit_date > end)]),
            ]
            assert row[1] + row[2] - row[3] == row[4], "at the start + entered − left = at the end"
        assert sum(r[2] for r in participants.rows[:-1]) > 0 and sum(r[3] for r in participants.rows[:-1]) > 0

        leavers = [c for c in clients if c.exit_date and start <= c.exit_date <= end]
        for reason in ExitReason:
            assert left.row(str(reason))[1] == len([c for c in leavers if c.exit_reason == reason])

        paid = [
            d
            for d in db.session.scalars(sa.select(ServiceDelivery)).all()
            if start <= d.delivered_on <= end and d.client.target_group == TargetGroup.PILOT
        ]
        assert paid, "the demo has deliveries in the period"
        by_component = defaultdict(lambda: [Decimal(0), Decimal(0)])
        by_area = defaultdict(lambda: [Decimal(0), Decimal(0)])
        by_provider = defaultdict(lambda: [set(), Decimal(0), Decimal(0)])
        for d in paid:
            for bucket in (by_component[f"{d.component.code} {d.component.name}"], by_area[str(d.component.area)]):
                bucket[0] += d.quantity
                bucket[1] += d.amount
            p = by_provider[d.provider.name]
            p[0].add(d.client_id)
            p[1] += d.quantity
            p[2] += d.amount
        assert {r[0]: [r[3], r[4]] for r in components.rows} == {k: v for k, v in by_component.items()}
        assert {r[0]: r[1:] for r in areas.rows} == {k: v for k, v in by_area.items()}
        assert {r[0]: [r[1], r[2], r[3]] for r in providers.rows} == {
            k: [len(v[0]), v[1], v[2]] for k, v in by_provider.items()
        }
        euros = sum(r[4] for r in components.rows)
        assert (
            euros == sum(r[2] for r in areas.rows) == sum(r[3] for r in providers.rows) == sum(d.amount for d in paid)
        )

        sent = [m for m in db.session.scalars(sa.select(Material)).all() if start <= m.sent_on <= end]
        assert [r[1] for r in materials.rows] == [len([m for m in sent if m.kind == k]) for k in MaterialKind]
