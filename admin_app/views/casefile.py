"""Juhtumi toimik: a client's whole case on one page, with links to add each kind of record for them.

Everything on the page is read with a fixed number of statements (eager loads), however many
records the client has."""

from flask import abort, request, url_for
from flask_admin import BaseView, expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    AccessKind,
    ActionPlan,
    Activity,
    Assessment,
    CaseStep,
    Client,
    Counselling,
    FollowUp,
    Goal,
    Inspection,
    Meeting,
    PlanStatus,
    QolAnswerSet,
    QolPoint,
    TargetGroup,
    db,
)
from models.casework import STEP_KIND_ORDER
from models.meetings import meeting_clients
from models.quality import POINT_ORDER

from ..access_rules import logs_access
from ..registers.access import visible_client
from ..registers.base import SecuredMixin
from ..registers.seen import note_seen
from .casework import LEVEL_COLOURS
from .clients import STATUS_COLOURS
from .quality import format_change, format_score

#: The "Add …" links: (endpoint of the register, label, extra query arguments).
ADD_LINKS = (
    ("assessments", _l("Add a need assessment"), {}),
    ("action_plans", _l("Add an action plan"), {}),
    ("case_steps", _l("Add a procedural step"), {}),
    ("counselling", _l("Add counselling"), {}),
    ("meetings", _l("Add a meeting"), {}),
    ("quality_of_life", _l("Add quality-of-life answers"), {}),
    ("supervision", _l("Add an inspection"), {}),
)


def _activity_options(attribute):
    """Eager loads for the activities under ``attribute``: who answers for each, by name."""
    return selectinload(attribute).options(joinedload(Activity.network_member), joinedload(Activity.provider))


class CaseFileView(SecuredMixin, BaseView):
    """Juhtumi toimik: details, network, latest assessment, open plans, steps, counselling,
    meetings, quality of life and supervision of one client."""

    read_roles = ("head", "case_manager")

    def is_visible(self) -> bool:
        return False  # opened from a client, never from the menu

    def _view(self, endpoint: str):
        return next((v for v in self.admin._views if v.endpoint == endpoint), None)

    def _add_links(self, client: Client, back: str) -> list[tuple[str, str, str]]:
        """(endpoint, label, url) of the create forms the signed-in user may open, for this client."""
        links = []
        for endpoint, label, extra in ADD_LINKS:
            view = self._view(endpoint)
            if view is None or not view.is_accessible() or not getattr(view, "can_create", False):
                continue
            links.append((endpoint, label, url_for(f"{endpoint}.create_view", client_id=client.id, url=back, **extra)))
        return links

    @logs_access
    @expose("/")
    def index(self):
        client_id = request.args.get("client_id", type=int)
        if not client_id:
            abort(404)
        # A client outside the signed-in case manager's scope is "not found", like one never registered.
        client = visible_client(
            client_id,
            joinedload(Client.municipality),
            joinedload(Client.case_manager),
            joinedload(Client.base_provider),
            selectinload(Client.network),
        )
        if client is None:
            abort(404)
        note_seen([client.id], AccessKind.CASE_FILE, "client", client.id)
        assessment = db.session.scalar(
            select(Assessment)
            .where(Assessment.client_id == client.id)
            .options(joinedload(Assessment.assessor))
            .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
            .limit(1)
        )
        plans = db.session.scalars(
            select(ActionPlan)
            .where(ActionPlan.client_id == client.id, ActionPlan.status == PlanStatus.OPEN.value)
            .options(
                joinedload(ActionPlan.responsible),
                selectinload(ActionPlan.goals).options(_activity_options(Goal.activities)),
                _activity_options(ActionPlan.activities),
            )
            .order_by(ActionPlan.drawn_up_on.desc(), ActionPlan.id.desc())
        ).all()
        other_plans = db.session.scalar(
            select(db.func.count(ActionPlan.id)).where(
                ActionPlan.client_id == client.id, ActionPlan.status != PlanStatus.OPEN.value
            )
        )
        steps = db.session.scalars(
            select(CaseStep)
            .where(CaseStep.client_id == client.id)
            .options(joinedload(CaseStep.by))
            .order_by(CaseStep.done_on, STEP_KIND_ORDER, CaseStep.id)
        ).all()
        counselling = db.session.scalars(
            select(Counselling)
            .where(Counselling.client_id == client.id)
            .options(joinedload(Counselling.by), joinedload(Counselling.network_member))
            .order_by(Counselling.held_on.desc(), Counselling.id.desc())
        ).all()
        meetings = db.session.scalars(
            select(Meeting)
            .join(meeting_clients, meeting_clients.c.meeting_id == Meeting.id)
            .where(meeting_clients.c.client_id == client.id)
            .options(
                joinedload(Meeting.recorded_by),
                selectinload(Meeting.follow_ups).options(joinedload(FollowUp.owner)),
            )
            .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        ).all()
        answer_sets = db.session.scalars(
            select(QolAnswerSet).where(QolAnswerSet.client_id == client.id).options(joinedload(QolAnswerSet.instrument))
        ).all()
        by_point = {QolPoint(s.point): s for s in answer_sets}
        qol = [by_point.get(p) for p in POINT_ORDER]
        entry, later = qol[0], qol[2] or qol[1]
        qol_change = (
            later.score - entry.score
            if entry and later and entry.score is not None and later.score is not None
            else None
        )
        inspections = db.session.scalars(
            select(Inspection)
            .where(Inspection.client_id == client.id)
            .options(joinedload(Inspection.provider), selectinload(Inspection.violations))
            .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
        ).all()
        back = url_for(".index", client_id=client.id)
        return self.render(
            "admin/case_file.html",
            client=client,
            eligibility=client.pilot_ineligibility() if client.target_group == TargetGroup.PILOT else None,
            status_colour=STATUS_COLOURS.get(client.status, "secondary"),
            assessment=assessment,
            level_colours=LEVEL_COLOURS,
            plans=plans,
            other_plans=other_plans,
            steps=steps,
            counselling=counselling,
            meetings=meetings,
            points=POINT_ORDER,
            qol=qol,
            qol_scores=[format_score(s.score) if s is not None else None for s in qol],
            qol_change=format_change(qol_change),
            inspections=inspections,
            add_links=dict((e, (label, url)) for e, label, url in self._add_links(client, back)),
            can_edit_client=bool(getattr(self._view("clients"), "can_edit", False)),
        )


def register(admin) -> None:
    admin.add_view(CaseFileView(name=_l("Case file"), endpoint="case_file", url="case-file"))
