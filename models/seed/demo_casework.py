"""Demo case work (``models.seed.demo``): the demo clients' cases from application to exit.

Every pilot participant (active, paused or exited) gets application and entry dates, a timeline
of procedural steps, need assessments, an action plan, counselling and quality-of-life answers;
the department gets meetings, inspections and information materials. Dates are counted back from
today, never in the future and never before a client's application. Some activities and
follow-ups are overdue, some violations open past their deadline, and a few clients' one-year
quality-of-life answers are due or overdue, so the home page has something to show.

Every record goes through its rule function; the rules that read the case as saved (steps, dates
against the application, quality-of-life points) see the records before it, flushed one by one.
"""

import random
from datetime import date, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from ..base import RuleViolation, db
from ..casework import Assessment, CaseStep, Counselling, LifeArea, assessment_errors, counselling_errors, step_errors
from ..clients import Client, ClientStatus, TargetGroup
from ..files import simple_pdf, stored_file
from ..materials import Material, material_errors
from ..meetings import FollowUp, Meeting, meeting_errors
from ..plans import ActionPlan, Activity, Goal, plan_errors
from ..quality import Instrument, QolAnswer, QolAnswerSet, answer_set_errors
from ..supervision import Inspection, Violation, inspection_errors
from . import demo_casework_data as data

LEVELS = ["none", "some", "considerable", "great"]


def _valid(record, rule) -> None:
    errors = rule(record)
    if errors:
        raise RuleViolation({f"{type(record).__name__} {record}: {field}": msg for field, msg in errors.items()})


def _add(record, rule):
    """Check ``record``, add it and flush, so the next record's rule sees it."""
    _valid(record, rule)
    db.session.add(record)
    db.session.flush()
    return record


def load(rng: random.Random, today: date, clients: list[Client], providers: dict, users: dict) -> dict[str, int]:
    """Fill every case-work register for the demo clients; return how many of each were made."""
    from ..clients import client_errors

    staff = sorted(users.values(), key=lambda u: u.email)
    managers = [u for u in staff if u.has_any_role(["case_manager"])]
    head = next((u for u in staff if u.has_any_role(["head"])), None)
    pilot = [c for c in clients if c.target_group == TargetGroup.PILOT]
    cases = [c for c in pilot if c.status != ClientStatus.APPLICANT]
    for c in clients:
        _dates(rng, today, c)
        _valid(c, client_errors)
    db.session.flush()  # the case rules read the application date from the database

    counts = dict.fromkeys(["steps", "assessments", "plans", "counselling", "answer sets"], 0)
    for c in clients:
        if c.status == ClientStatus.APPLICANT and c.applied_on:
            _add(CaseStep(client=c, kind="application", done_on=c.applied_on, by=c.case_manager), step_errors)
            counts["steps"] += 1
    for c in cases:
        timeline = _steps(rng, today, c)
        counts["steps"] += len(timeline)
        counts["assessments"] += _assessments(rng, today, c, timeline)
        counts["plans"] += bool(_plan(rng, today, c, timeline, providers))
        counts["counselling"] += _counselling(rng, today, c, providers)
    counts["overdue activities"] = _overdue_activities(rng, today, cases)
    instrument = db.session.get(Instrument, 1)
    if instrument is not None and instrument.items:
        counts["answer sets"] = _quality(rng, today, cases, instrument)
    counts["meetings"] = _meetings(rng, today, cases, providers, managers, head)
    counts["inspections"] = _inspections(rng, today, cases, providers, head)
    counts["materials"] = _materials(rng, today, managers, head)
    return counts


def summary(counts: dict[str, int]) -> str:
    """One sentence for the load summary."""
    return "Case work: " + ", ".join(f"{n} {what}" for what, n in counts.items() if what != "overdue activities") + "."


# --- A client's case -------------------------------------------------------------------------------


def _dates(rng: random.Random, today: date, c: Client) -> None:
    """Application and entry: entry is the day consent was given (when the case began)."""
    if c.status == ClientStatus.APPLICANT:
        c.applied_on = min(c.consent_date or today, today - timedelta(days=rng.randint(2, 40)))
        return
    c.entry_date = c.consent_date or today - timedelta(days=rng.randint(200, 700))
    c.applied_on = c.entry_date - timedelta(days=rng.randint(25, 50))


def _day(rng: random.Random, start: date, days: tuple[int, int], limit: date) -> date:
    return min(start + timedelta(days=rng.randint(*days)), limit)


def _steps(rng: random.Random, today: date, c: Client) -> dict[str, date]:
    """The case's steps in order; returns the day of each kind."""
    limit = c.exit_date or today
    days = {"application": c.applied_on}
    days["assessed"] = c.applied_on + timedelta(days=rng.randint(5, 12))
    days["decision"] = days["assessed"] + timedelta(days=rng.randint(3, 9))
    days["referred"] = c.entry_date
    days["plan"] = _day(rng, c.entry_date, (7, 21), limit)
    reviewed = days["plan"] + timedelta(days=rng.randint(170, 200))
    if reviewed <= limit:
        days["reviewed"] = reviewed
    if c.exit_date:
        days["closed"] = c.exit_date
    for kind, day in days.items():
        note = rng.choice(data.STEP_NOTES[kind])
        if kind == "referred" and c.base_provider:
            note = f"Suunatud baastoetuse pakkujale {c.base_provider.name}."
        _add(CaseStep(client=c, kind=kind, done_on=day, by=c.case_manager, note=note), step_errors)
    return days


def _levels(rng: random.Random, better_than: Assessment | None = None) -> dict:
    values = {}
    for area in LifeArea:
        level, note = rng.choice(data.AREA_NOTES[area.value])
        if better_than is not None:
            before = LEVELS.index(getattr(better_than, f"{area.value}_level"))
            level = LEVELS[max(0, before - rng.choice([0, 0, 1]))]
            note = next((n for lv, n in data.AREA_NOTES[area.value] if lv == level), "Olukord on paranenud.")
        values[f"{area.value}_level"] = level
        values[f"{area.value}_note"] = note
    return values


def _assessments(rng: random.Random, today: date, c: Client, timeline: dict) -> int:
    first = Assessment(
        client=c,
        assessed_on=timeline["assessed"],
        assessor=c.case_manager,
        summary=rng.choice(data.ASSESSMENT_SUMMARIES),
        decision="services",
        **_levels(rng),
    )
    first.mental_health_level = first.mental_health_level if first.mental_health_level != "none" else "some"
    _add(first, assessment_errors)
    if "reviewed" not in timeline:
        return 1
    again = Assessment(
        client=c,
        assessed_on=timeline["reviewed"] - timedelta(days=rng.randint(1, 7)),
        assessor=c.case_manager,
        summary=rng.choice(data.REVIEW_SUMMARIES),
        decision="services",
        **_levels(rng, better_than=first),
    )
    _add(again, assessment_errors)
    return 2


def _plan(rng: random.Random, today: date, c: Client, timeline: dict, providers: dict) -> ActionPlan:
    drawn = timeline["plan"]
    plan = ActionPlan(
        client=c,
        drawn_up_on=drawn,
        review_on=drawn + timedelta(days=182),
        responsible=c.case_manager,
        status="closed" if c.exit_date else "open",
        resources=rng.choice(data.PLAN_RESOURCES),
        recommendations=rng.choice(data.PLAN_RECOMMENDATIONS),
    )
    helpers = sorted((p for p in providers.values() if p.is_component), key=lambda p: p.name)
    for position, (text, obstacles, activities) in enumerate(rng.sample(data.GOALS, rng.randint(2, 3)), 1):
        goal = Goal(position=position, text=text, obstacles=obstacles)
        plan.goals.append(goal)
        for what, who in rng.sample(activities, min(len(activities), rng.randint(2, 4))):
            deadline = drawn + timedelta(days=rng.randint(30, 330))
            a = Activity(goal=goal, text=what, responsible=who, deadline=deadline)
            if who == "network_member":
                if c.network:
                    a.network_member = rng.choice(c.network)
                else:
                    a.responsible = "client"
            elif who == "provider":
                a.provider = c.base_provider if rng.random() < 0.5 and c.base_provider else rng.choice(helpers)
            a.status = _activity_status(rng, today, deadline, c.exit_date)
            if a.status == "done":
                a.assessed = rng.choice(data.ASSESSED_DONE)
            plan.activities.append(a)
    return _add(plan, plan_errors)


def _activity_status(rng: random.Random, today: date, deadline: date, exited: date | None) -> str:
    if exited:
        return rng.choice(["done", "done", "done", "dropped"])
    if deadline < today:
        return rng.choice(["done"] * 8 + ["dropped", "in_progress"])
    return rng.choice(["planned", "in_progress", "in_progress"])


def _overdue_activities(rng: random.Random, today: date, cases: list[Client]) -> int:
    """Make sure a few open plans have an activity past its deadline, still in progress."""
    plans = db.session.scalars(sa.select(ActionPlan).where(ActionPlan.status == "open").order_by(ActionPlan.id)).all()
    for plan in rng.sample(plans, min(3, len(plans))):
        if not plan.overdue_activities:
            a = min(plan.activities, key=lambda a: a.id)
            a.deadline = max(plan.drawn_up_on, today - timedelta(days=rng.randint(5, 40)))
            a.status, a.assessed = "in_progress", None
            _valid(plan, plan_errors)
    db.session.flush()
    return sum(len(p.overdue_activities) for p in plans)


def _counselling(rng: random.Random, today: date, c: Client, providers: dict) -> int:
    limit = c.exit_date or today
    n = rng.randint(1, 4)
    for _ in range(n):
        party = rng.choice(["client", "client", "client", "network_member", "provider"])
        topic = rng.choice(list(data.COUNSELLING_NOTES))
        record = Counselling(
            party=party,
            client=c,
            topic=topic,
            channel=rng.choice(["meeting", "phone", "phone", "email", "home_visit"]),
            held_on=_day(rng, c.applied_on, (0, (limit - c.applied_on).days), limit),
            by=c.case_manager,
            note=data.COUNSELLING_NOTES[topic],
        )
        if party == "network_member":
            if c.network:
                record.network_member = rng.choice(c.network)
            else:
                record.party = "client"
        elif party == "provider":
            record.provider = c.base_provider
            record.note = "Arutatud baastoetuse pakkujaga kliendi teenuse mahtu ja ajagraafikut."
        _add(record, counselling_errors)
    return n


# --- Quality of life -------------------------------------------------------------------------------


def _answers(rng: random.Random, instrument: Instrument, base: list[int] | None = None) -> list[int]:
    lo, hi = instrument.scale_min, instrument.scale_max
    if base is None:
        return [rng.randint(lo, min(hi, lo + 2)) for _ in instrument.items]
    return [max(lo, min(hi, v + rng.choice([-1, 0, 0, 1, 1]))) for v in base]


def _answer_set(c: Client, instrument: Instrument, point: str, day: date, values: list[int]) -> None:
    s = QolAnswerSet(client=c, instrument=instrument, point=point, answered_on=day)
    s.answers = [QolAnswer(item=item, value=v) for item, v in zip(instrument.items, values, strict=True)]
    _add(s, answer_set_errors)  # computes the score


def _quality(rng: random.Random, today: date, cases: list[Client], instrument: Instrument) -> int:
    """Entry answers for most, after one year for those a year in, at exit for the exited; and a few
    clients whose one-year answers are due within weeks (entry ~11.5 months ago) or overdue (~13)."""
    staying = [c for c in cases if c.status != ClientStatus.EXITED]
    long_ago = [c for c in staying if c.entry_date <= today - timedelta(days=400)]
    due = dict(zip(rng.sample(long_ago, min(3, len(long_ago))), [350, 345, 395], strict=False))
    made = 0
    for c in cases:
        if c not in due and c.status != ClientStatus.EXITED and rng.random() < 0.15:
            continue  # not asked yet
        limit = c.exit_date or today
        entry_day = today - timedelta(days=due[c]) if c in due else _day(rng, c.entry_date, (0, 14), limit)
        entry = _answers(rng, instrument)
        _answer_set(c, instrument, "entry", entry_day, entry)
        made += 1
        if c in due:
            continue
        one_year = entry_day + relativedelta(years=1)
        if c.exit_date is None and one_year <= today:
            _answer_set(
                c, instrument, "one_year", _day(rng, one_year, (0, 20), today), _answers(rng, instrument, entry)
            )
            made += 1
        if c.exit_date:
            _answer_set(c, instrument, "exit", c.exit_date, _answers(rng, instrument, entry))
            made += 1
    return made


# --- The department's work ---------------------------------------------------------------------------


def _meetings(rng: random.Random, today: date, cases: list[Client], providers: dict, managers, head) -> int:
    base = sorted((p for p in providers.values() if p.is_base_support), key=lambda p: p.name)
    others = sorted((p for p in providers.values() if p.is_supplementary), key=lambda p: p.name)
    for n, (kind, title, minutes, tasks) in enumerate(data.MEETINGS):
        held = today - timedelta(days=rng.randint(3, 150) if n % 3 else rng.randint(40, 120))
        m = Meeting(held_on=held, kind=kind, title=title, minutes=minutes, recorded_by=rng.choice(managers))
        present = [c for c in cases if c.applied_on <= held and (c.exit_date or today) >= held]
        if kind == "network":
            c = rng.choice([c for c in present if c.network] or present)
            m.clients, m.network_members = [c], list(c.network)
            m.providers = [c.base_provider] if c.base_provider else []
            m.recorded_by = c.case_manager or m.recorded_by
        elif kind == "provider":
            m.providers = base if n == 2 else rng.sample(others, min(3, len(others)))
        elif kind == "participants":
            m.clients = rng.sample(present, min(len(present), rng.randint(4, 7)))
            m.others = "Päevakeskuse tegevusjuhendaja"
        else:
            m.others = data.AGENCY_GUESTS[title]
            m.providers = base[:1]
        for i, task in enumerate(tasks):
            deadline = held + timedelta(days=rng.randint(7, 30))
            owner = m.recorded_by if i == 0 or not head else rng.choice([head, *managers])
            done = deadline < today and (n + i) % 3 != 0  # every third past its deadline still open
            m.follow_ups.append(FollowUp(task=task, owner=owner, deadline=deadline, done=done))
        if kind == "participants":
            m.follow_ups.append(
                FollowUp(task="Teavitada osalejaid", owner_other="Päevakeskuse tegevusjuhendaja", deadline=held)
            )
            m.follow_ups[-1].done = True
        _add(m, meeting_errors)
    return len(data.MEETINGS)


def _inspections(rng: random.Random, today: date, cases: list[Client], providers: dict, head) -> int:
    inspected = sorted((p for p in providers.values() if p.is_base_support or p.is_component), key=lambda p: p.name)
    inspector = str(head) if head else "Maie Kuusk"
    for n, (findings, violations) in enumerate(data.INSPECTIONS):
        day = today - timedelta(days=[150, 75, 40, 20][n % 4] + rng.randint(0, 10))
        i = Inspection(provider=inspected[(n * 5) % len(inspected)], inspected_on=day, inspector=inspector)
        i.findings = findings
        served = [c for c in cases if c.base_provider and c.applied_on <= day and not c.exit_date]
        if n == 1 and served:  # the service one participant gets, from their base-support provider
            i.client = rng.choice(served)
            i.provider = i.client.base_provider
        for k, (kind, severity, description) in enumerate(violations):
            remedy_by = day + timedelta(days=rng.choice([14, 30, 45]))
            v = Violation(kind=kind, severity=severity, description=description, remedy_by=remedy_by)
            if remedy_by < today and (n + k) % 3 == 0:
                v.status, v.remedied_on = "remedied", _day(rng, day, (3, 14), today)
            elif remedy_by < today and (n + k) % 3 == 1 and n == 0:
                v.status = "not_remedied"
            else:
                v.status = "open"
            i.violations.append(v)
        _add(i, inspection_errors)
    return len(data.INSPECTIONS)


def _materials(rng: random.Random, today: date, managers, head) -> int:
    for title, kind, url, note in data.MATERIALS:
        sent = today - timedelta(days=rng.randint(5, 300))
        by = rng.choice([*managers, head] if head else managers)
        material = Material(title=title, kind=kind, sent_on=sent, by=by, url=url, note=note)
        if kind == "forwarded_to_ska":  # what went to SKA went as a document: kept in the database
            pdf = simple_pdf(title, (f"Rapla vald, {sent:%d.%m.%Y}", note or ""))
            material.document = stored_file(pdf, f"{title}.pdf", by.id if by else None)
        _add(material, material_errors)
    return len(data.MATERIALS)
