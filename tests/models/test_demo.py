"""The demo municipality: it loads into an empty database, every record passes the domain's
rules, its sign-ins work, and ``seed-demo`` loads it once."""

import stat
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from admin_app.auth import create_user, ensure_roles, new_user
from models import (
    ActionPlan,
    Activity,
    ActivityStatus,
    Area,
    Assessment,
    CaseStep,
    Channel,
    Client,
    ClientStatus,
    CounselledParty,
    Counselling,
    CounsellingTopic,
    Disability,
    FollowUp,
    Goal,
    Inspection,
    Letter,
    LetterKind,
    LetterStatus,
    Material,
    MaterialKind,
    Meeting,
    MeetingKind,
    Municipality,
    NeedLevel,
    Offer,
    OfferStatus,
    PlanStatus,
    PriceMode,
    Procurement,
    Provider,
    ProviderStaff,
    QolAnswer,
    QolAnswerSet,
    QolPoint,
    Responsible,
    RoleName,
    RuleViolation,
    ServiceComponent,
    Severity,
    StepKind,
    TargetGroup,
    User,
    Violation,
    ViolationStatus,
    answer_set_errors,
    assessment_errors,
    audit,
    client_errors,
    codes,
    component_errors,
    counselling_errors,
    db,
    inspection_errors,
    material_errors,
    meeting_errors,
    municipality_errors,
    offer_errors,
    one_year_due,
    plan_errors,
    procurement_errors,
    provider_errors,
    step_errors,
)
from models.seed import demo, demo_casework, demo_data
from tests.conftest import KEEP, PASSWORD, count, sign_in

# A test here wipes every table; the shipped questionnaire (id 1) is kept or put back.
pytestmark = pytest.mark.usefixtures("shipped_questionnaire")


def _n(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _all(model) -> list:
    return list(db.session.scalars(sa.select(model)))


def _login_lines(path) -> list[list[str]]:
    """The file as a person reads it: every line that is not a comment, split on blanks."""
    return [line.split() for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]


def _wipe() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            audit.wipe(conn, table, *KEEP.get(table.name, ()))


@pytest.fixture
def loaded(ctx, tmp_path):
    """The demo data loaded, read back in a fresh session; yields the summary."""
    summary = demo.load(tmp_path, new_user)
    db.session.remove()
    yield summary


def test_load_fills_an_empty_database_with_every_kind_of_row(loaded, tmp_path):
    assert "40 clients" in loaded and "12 providers" in loaded
    assert str(tmp_path / "demo-logins.txt") in loaded

    assert _n(Municipality) == 10
    codes_by_name = dict(db.session.execute(sa.select(Municipality.name, Municipality.registry_code)).all())
    assert codes_by_name["Rõuge vald"] == "77000217"
    assert [name for name, code in codes_by_name.items() if code] == ["Rõuge vald"]

    assert _n(Provider) == 12
    assert _n(Provider, Provider.is_base_support) == 3
    assert _n(Provider, Provider.is_component) >= 6
    assert _n(Provider, Provider.is_supplementary) >= 5
    kinds = [(p.is_base_support, p.is_component, p.is_supplementary) for p in _all(Provider)]
    assert any(sum(k) > 1 for k in kinds), "some providers are of more than one kind"
    assert all(1 <= len(p.staff) <= 4 for p in _all(Provider))

    components = _all(ServiceComponent)
    assert len(components) >= 12
    assert {c.area for c in components} == set(Area)
    work = [c for c in components if c.area == Area.WORK_STUDY]
    assert work and work[0].yearly_cap == Decimal("3000.00")
    assert any(c.unit == "trip" for c in components)
    for c in components:
        old, new = c.price_on(date(2025, 6, 1)), c.price_on(date.today())
        assert old and old.valid_until == date(2025, 12, 31), c.code
        assert new and new.valid_from == date(2026, 1, 1) and new.valid_until is None, c.code
        assert new.unit_price >= old.unit_price
    assert any({p.mode for p in c.prices} == set(PriceMode) for c in components)

    assert _n(Client) == 40
    clients = _all(Client)
    assert {c.target_group for c in clients} == set(TargetGroup)
    assert {c.status for c in clients} == set(ClientStatus)
    assert sum(c.target_group == TargetGroup.PILOT for c in clients) > 25
    assert any(c.network for c in clients) and all(len(c.network) <= 3 for c in clients)

    for role in RoleName:
        assert _n(User, User.roles.any(name=role.value)) >= 1, role
    managers = _all(User)
    managers = [u for u in managers if u.has_any_role(["case_manager"])]
    assert 2 <= len(managers) <= 3 and all(len(u.full_name.split()) == 2 for u in managers)


def test_every_record_passes_its_rule(loaded):
    for model, rule in [
        (Municipality, municipality_errors),
        (Provider, provider_errors),
        (ServiceComponent, component_errors),
        (Procurement, procurement_errors),
        (Offer, offer_errors),
        (Client, client_errors),
    ]:
        rows = _all(model)
        assert rows, model
        for row in rows:
            assert rule(row) == {}, f"{model.__name__} {row}"
    db.session.rollback()  # the rules normalise in place; keep nothing


def test_clients_follow_the_pilot_and_case_work_rules(app, loaded):
    with app.test_request_context():  # the reasons are translated strings
        _check_clients(_all(Client))


def _check_clients(clients):
    for c in clients:
        assert codes.birth_date(c.personal_code) == c.birth_date and codes.sex(c.personal_code) == c.sex
        assert c.case_manager is not None and c.case_manager.has_any_role(["case_manager"])
        if c.status == ClientStatus.EXITED:
            assert c.exit_date and c.exit_reason and c.exit_date <= date.today()
        if c.target_group == TargetGroup.YOUTH:
            assert 16 <= c.age <= 26, c
    pilot = [c for c in clients if c.target_group == TargetGroup.PILOT]
    for c in pilot:
        if c.status != ClientStatus.APPLICANT:
            assert c.pilot_ineligibility(c.exit_date) == [], c
            assert c.consent_given and c.consent_date
            assert c.base_provider is not None and c.base_provider.is_base_support
            assert c.disability in (Disability.SEVERE, Disability.PROFOUND, Disability.PERMANENT)
    not_eligible = [c for c in pilot if c.pilot_ineligibility()]
    assert 2 <= len(not_eligible) <= 3
    assert all(c.status == ClientStatus.APPLICANT for c in not_eligible)
    # Each for a different reason: pension age, alcohol dependence, state services.
    assert len({tuple(c.pilot_ineligibility()) for c in not_eligible}) == len(not_eligible)
    assert any(date.today() >= codes.pension_age_date(c.birth_date) for c in not_eligible)
    assert any(c.main_diagnosis.startswith("F10") for c in not_eligible)
    assert any(c.on_state_services for c in not_eligible)
    assert {c.main_diagnosis for c in pilot} >= {"F20.0", "F31.1", "F33.2"}


def test_staff_certificates_are_mostly_valid_some_expired_some_expiring(loaded):
    states = [s.certificate_state() for s in _all(ProviderStaff)]
    assert states.count("expired") >= 2
    assert states.count("expiring") >= 2
    assert states.count("valid") > len(states) / 2


def test_procurements_one_contracted_one_being_evaluated(loaded):
    by_status = {p.status.value: p for p in _all(Procurement)}
    assert set(by_status) == {"contracted", "evaluation"}
    contracted, open_ = by_status["contracted"], by_status["evaluation"]
    assert contracted.winner in [b.provider for b in contracted.bids]
    assert contracted.contract_start and contracted.contract_end > contracted.contract_start
    assert open_.winner is None and open_.decision_on is None
    for p in (contracted, open_):
        assert len(p.reference_number) == 6 and p.reference_number.isdigit()
        assert 2 <= len(p.bids) <= 3 and p.components
        if p.procedure_type == "small_value":
            assert p.estimated_value < 30000


def test_offers_in_every_status_and_one_expired_by_itself(loaded):
    offers = _all(Offer)
    assert {o.status for o in offers} == set(OfferStatus)
    assert all(o.provider.is_supplementary for o in offers)
    stale = [o for o in offers if o.status == OfferStatus.RECEIVED and o.current_status == OfferStatus.EXPIRED]
    assert stale and all(o.valid_until < date.today() for o in stale)
    # The database agrees with Python on what counts as expired today.
    in_sql = set(db.session.scalars(sa.select(Offer.id).where(Offer.current_status == OfferStatus.EXPIRED.value)))
    assert in_sql == {o.id for o in offers if o.current_status == OfferStatus.EXPIRED}
    assert len(in_sql) >= 2
    per_component = {}
    for o in offers:
        per_component.setdefault(o.component_id, set()).add(o.provider_id)
        assert o.unit == o.component.unit
    assert sum(len(providers) >= 2 for providers in per_component.values()) >= 3


def test_logins_file_is_private_and_its_passwords_sign_in(app, tmp_path):
    with app.app_context():
        demo.load(tmp_path, new_user)
    path = tmp_path / "demo-logins.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not (tmp_path / "demo-logins.txt.new").exists()
    lines = _login_lines(path)
    assert len(lines) == len(demo_data.USERS)
    assert {line[0] for line in lines} == {r.value for r in RoleName}
    assert len({line[2] for line in lines}) == len(lines), "every user has a password of their own"
    for role, email, password in lines:
        assert email.endswith(".example") and len(password) >= 16
        client = app.test_client()
        assert sign_in(client, email, password + "x").status_code != 302
        response = sign_in(client, email, password)
        assert response.status_code == 302 and response.location.endswith("/admin/"), (role, email)


def test_print_logins_shows_the_file_or_nothing(ctx, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    demo.print_logins(tmp_path)
    assert capsys.readouterr().out == ""
    demo.load(tmp_path, new_user)
    demo.print_logins(tmp_path)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Sign in at http://127.0.0.1:5000/ with one of:"
    assert [line.split() for line in out[1:]] == _login_lines(tmp_path / "demo-logins.txt")


def test_seed_demo_if_empty_loads_once_and_refuses_a_full_database(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    runner = app.test_cli_runner()

    def invoke(*args):
        with app.app_context():  # as the flask command does
            return runner.invoke(args=["seed-demo", *args])

    first = invoke("--if-empty")
    assert first.exit_code == 0, first.output
    assert "40 clients" in first.output and "Sign in at http://127.0.0.1" in first.output
    assert count(app, Client) == 40
    logins = (tmp_path / "demo-logins.txt").read_text()

    second = invoke("--if-empty")
    assert second.exit_code == 0, second.output
    assert "not loaded" in second.output and "Sign in at" in second.output
    assert count(app, Client) == 40 and count(app, Provider) == 12
    assert (tmp_path / "demo-logins.txt").read_text() == logins

    third = invoke()
    assert third.exit_code != 0
    assert "fills an empty one only" in third.output
    assert count(app, Client) == 40


@pytest.mark.parametrize(
    "module, rule", [(demo, "offer_errors"), (demo_casework, "material_errors")], ids=["offer", "case work"]
)
def test_a_failure_leaves_nothing_half_loaded(app, tmp_path, monkeypatch, module, rule):
    monkeypatch.setattr(module, rule, lambda record: {"title": "broken on purpose"})
    with app.app_context(), pytest.raises(RuleViolation, match="broken on purpose"):
        demo.load(tmp_path, new_user)
    for model in (User, Municipality, Provider, ServiceComponent, Procurement, Offer, Client):
        assert count(app, model) == 0, model
    for model in (CaseStep, Assessment, ActionPlan, Counselling, QolAnswerSet, Meeting, Inspection, Material, Letter):
        assert count(app, model) == 0, model
    assert list(tmp_path.iterdir()) == []


def test_existing_reference_data_and_users_are_kept(app, tmp_path):
    with app.app_context():
        create_user("haldur@rapla.example", PASSWORD, ["admin"], "Oma Haldur")
        db.session.add(Municipality(name="Rapla vald", county="Raplamaa"))
        db.session.commit()
        demo.load(tmp_path, new_user)
    assert count(app, Municipality) == 10 and count(app, User) == len(demo_data.USERS)
    emails = [line[1] for line in _login_lines(tmp_path / "demo-logins.txt")]
    assert "haldur@rapla.example" not in emails and len(emails) == len(demo_data.USERS) - 1
    assert sign_in(app.test_client(), "haldur@rapla.example", PASSWORD).status_code == 302


def test_the_same_data_every_time_but_new_passwords(app, tmp_path):
    def snapshot():
        db.session.remove()
        people = db.session.execute(sa.select(Client.personal_code, Client.first_name, Client.last_name))
        providers = db.session.execute(sa.select(Provider.registry_code, Provider.iban, Provider.name))
        steps = db.session.execute(
            sa.select(Client.personal_code, CaseStep.kind, CaseStep.done_on).join(CaseStep.client)
        )
        scores = db.session.execute(
            sa.select(Client.personal_code, QolAnswerSet.point, QolAnswerSet.score).join(QolAnswerSet.client)
        )
        return sorted(people.all()), sorted(providers.all()), sorted(steps.all()), sorted(scores.all())

    with app.app_context():
        demo.load(tmp_path / "a", new_user)
        first = snapshot()
        _wipe()
        ensure_roles()  # the wipe took the roles too; the CLI makes them before loading
        demo.load(tmp_path / "b", new_user)
        assert snapshot() == first
    passwords = [{line[2] for line in _login_lines(tmp_path / d / "demo-logins.txt")} for d in "ab"]
    assert not passwords[0] & passwords[1]


# --- case work --------------------------------------------------------------------------------

CASE_RULES = [
    (Assessment, assessment_errors),
    (CaseStep, step_errors),
    (Counselling, counselling_errors),
    (ActionPlan, plan_errors),
    (Meeting, meeting_errors),
    (QolAnswerSet, answer_set_errors),
    (Inspection, inspection_errors),
    (Material, material_errors),
]


def _cases() -> list[Client]:
    """The pilot participants whose case is under way or closed."""
    return [c for c in _all(Client) if c.target_group == TargetGroup.PILOT and c.status != ClientStatus.APPLICANT]


def test_case_work_fills_every_register(loaded):
    assert "Case work:" in loaded
    for model in (Assessment, CaseStep, Counselling, ActionPlan, Goal, Activity, Meeting, FollowUp):
        assert _n(model) > 0, model
    for model in (QolAnswerSet, QolAnswer, Inspection, Violation, Material):
        assert _n(model) > 0, model
    cases = _cases()
    assert len(cases) == 24
    assert {c.id for c in cases} == set(db.session.scalars(sa.select(ActionPlan.client_id)))
    assert {c.id for c in cases} == set(db.session.scalars(sa.select(Assessment.client_id)))
    assert {c.id for c in cases} <= set(db.session.scalars(sa.select(Counselling.client_id)))

    assessments = _all(Assessment)
    per_client = {}
    for a in assessments:
        per_client.setdefault(a.client_id, []).append(a)
        assert a.summary and a.decision and a.assessor is not None
        assert all(note for _, _, note in a.levels()), "every life area has a note"
    assert set(map(len, per_client.values())) == {1, 2}
    assert {level for a in assessments for _, level, _ in a.levels()} == set(NeedLevel)

    for plan in _all(ActionPlan):
        assert 2 <= len(plan.goals) <= 3
        assert all(2 <= len(g.activities) <= 4 for g in plan.goals)
        assert (plan.status == PlanStatus.CLOSED) == (plan.client.status == ClientStatus.EXITED)
    activities = _all(Activity)
    assert {a.status for a in activities} >= {ActivityStatus.DONE, ActivityStatus.IN_PROGRESS, ActivityStatus.PLANNED}
    assert {a.responsible for a in activities} == set(Responsible)

    counselling = _all(Counselling)
    assert {c.party for c in counselling} == set(CounselledParty)
    assert {c.topic for c in counselling} == set(CounsellingTopic)
    assert {c.channel for c in counselling} == set(Channel)

    meetings = _all(Meeting)
    assert 6 <= len(meetings) <= 8 and {m.kind for m in meetings} == set(MeetingKind)
    assert all(m.minutes and m.follow_ups for m in meetings)
    assert any(m.clients for m in meetings) and any(m.network_members for m in meetings)
    assert any(m.providers for m in meetings) and any(m.others for m in meetings)

    inspections = _all(Inspection)
    assert 3 <= len(inspections) <= 4 and any(i.client for i in inspections)
    violations = _all(Violation)
    assert len({v.kind for v in violations}) >= 5 and {v.severity for v in violations} == set(Severity)
    assert {v.status for v in violations} == set(ViolationStatus)

    materials = _all(Material)
    assert 4 <= len(materials) <= 6 and {m.kind for m in materials} == set(MaterialKind)
    assert all(m.url for m in materials if m.kind == MaterialKind.PUBLISHED)
    # What went to SKA went as a document, kept in the database (never on the app's disk).
    sent = [m for m in materials if m.kind == MaterialKind.FORWARDED_TO_SKA]
    assert sent and all(m.document.content_type == "application/pdf" for m in sent)
    assert all(m.document.name == f"{m.title}.pdf" and m.document.size > 200 for m in sent)


def test_every_case_work_record_passes_its_rule(app, loaded):
    with app.test_request_context():  # the rules' messages are translated strings
        for model, rule in CASE_RULES:
            rows = _all(model)
            assert rows, model
            for row in rows:
                assert rule(row) == {}, f"{model.__name__} {row}"
        # The score is the one the rule computes from the answers.
        for answers in _all(QolAnswerSet):
            stored = answers.score
            assert answer_set_errors(answers) == {} and answers.score == stored
    db.session.rollback()


def test_cases_read_in_order_from_application_to_exit(loaded):
    today = date.today()
    for c in _cases():
        assert c.applied_on < c.entry_date <= today, c
        if c.exit_date:
            assert c.entry_date < c.exit_date <= today, c
        steps = db.session.scalars(
            sa.select(CaseStep).where(CaseStep.client_id == c.id).order_by(CaseStep.done_on, CaseStep.id)
        ).all()
        kinds = [s.kind.value for s in steps]
        expected = ["application", "assessed", "decision", "referred", "plan"]
        assert kinds[:5] == expected, c
        assert kinds[5:] in ([], ["reviewed"], ["closed"], ["reviewed", "closed"]), c
        assert (kinds[-1] == "closed") == (c.status == ClientStatus.EXITED), c
        assert steps[0].done_on == c.applied_on and steps[3].done_on == c.entry_date
        last = c.exit_date or today
        dated = [s.done_on for s in steps]
        dated += db.session.scalars(sa.select(Assessment.assessed_on).where(Assessment.client_id == c.id)).all()
        dated += db.session.scalars(sa.select(Counselling.held_on).where(Counselling.client_id == c.id)).all()
        dated += db.session.scalars(sa.select(ActionPlan.drawn_up_on).where(ActionPlan.client_id == c.id)).all()
        dated += db.session.scalars(sa.select(QolAnswerSet.answered_on).where(QolAnswerSet.client_id == c.id)).all()
        assert all(c.applied_on <= d <= last for d in dated), c
    applicants = [c for c in _all(Client) if c.status == ClientStatus.APPLICANT]
    assert all(c.applied_on and c.applied_on <= today and c.entry_date is None for c in applicants)
    assert _n(CaseStep, CaseStep.kind == StepKind.APPLICATION.value) == len(_cases()) + len(applicants)


def test_quality_of_life_points_and_the_one_year_due_list(loaded):
    today = date.today()
    sets = _all(QolAnswerSet)
    assert {s.instrument_id for s in sets} == {1}
    assert all(len(s.answers) == 8 and s.score is not None for s in sets)
    by_point = {p: [s for s in sets if s.point == p] for p in QolPoint}
    cases = _cases()
    assert len(by_point[QolPoint.ENTRY]) > len(cases) / 2, "entry answers for most"
    assert by_point[QolPoint.ONE_YEAR], "after one year for some"
    exited = {c.id for c in cases if c.status == ClientStatus.EXITED}
    assert {s.client_id for s in by_point[QolPoint.EXIT]} == exited
    for s in by_point[QolPoint.EXIT]:
        assert s.answered_on == s.client.exit_date

    due = one_year_due()
    assert 2 <= len(due) <= 6, "a few, so the home page has something to show"
    assert any(day < today for _, day in due), "one overdue"
    assert any(today <= day <= today + timedelta(days=30) for _, day in due), "one falling due within 30 days"
    assert all(c.status in (ClientStatus.ACTIVE, ClientStatus.PAUSED) for c, _ in due)


def test_overdue_activities_follow_ups_and_violations(loaded):
    overdue = db.session.scalars(sa.select(Activity).where(Activity.overdue)).all()
    assert 2 <= len(overdue) <= len(_all(Activity)) / 4, "a few, not most"
    assert all(a.plan.status == PlanStatus.OPEN for a in overdue)

    late = db.session.scalars(sa.select(FollowUp).where(FollowUp.overdue)).all()
    assert late and any(f.owner is not None and f.owner.has_any_role(["case_manager"]) for f in late)
    assert any(f.done for f in _all(FollowUp))

    open_late = db.session.scalars(sa.select(Violation).where(Violation.overdue)).all()
    assert open_late and all(v.status == ViolationStatus.OPEN for v in open_late)
    remedied = [v for v in _all(Violation) if v.status == ViolationStatus.REMEDIED]
    assert remedied and all(v.inspection.inspected_on <= v.remedied_on <= date.today() for v in remedied)


def test_letters_of_every_kind_and_state(loaded):
    from models.letters import LetterTerms, letter_errors, warning_date

    letters = sorted(_all(Letter), key=lambda x: (x.registered_on, x.id))
    assert "12 citizens' letters" in loaded and len(letters) == 12
    assert {x.kind for x in letters} == set(LetterKind)
    assert {x.status for x in letters} == set(LetterStatus)
    today = date.today()
    assert any(x.late for x in letters) and any(x.status == "answered" and not x.late for x in letters)
    assert any(x.extended_until for x in letters)
    assert any(x.is_open and x.due_on < today for x in letters), "an overdue letter"
    assert any(x.is_open and today <= x.due_on <= warning_date(today) for x in letters), "one due within days"
    assert any(x.private_life and x.restricted for x in letters)
    assert any(x.restricted and not x.private_life and x.sender_kind == "organisation" for x in letters)
    assert any(x.answerer is None and x.status == "registered" for x in letters)
    # Numbered in the order they were registered, and every one passes the rules as saved.
    assert [int(x.number.rsplit("/", 1)[1]) for x in letters if x.registered_on.year == today.year] == sorted(
        int(x.number.rsplit("/", 1)[1]) for x in letters if x.registered_on.year == today.year
    )
    for x in letters:
        assert letter_errors(x, today, LetterTerms()) == {}, x.number


def test_one_case_manager_is_on_holiday_and_a_colleague_stands_in(loaded):
    from models import Substitution
    from models.access import client_scope

    (holiday,) = _all(Substitution)
    today = date.today()
    assert holiday.starts_on <= today <= holiday.ends_on and holiday.absent != holiday.substitute
    theirs = set(db.session.scalars(sa.select(Client.id).where(Client.case_manager_id == holiday.absent_id)))
    assert theirs and theirs <= set(db.session.scalars(client_scope(holiday.substitute_id)))
