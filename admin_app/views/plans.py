"""Tegevusplaanid: action plans with goals and, under each goal, the activities; a print view to sign."""

from datetime import date

import sqlalchemy as sa
from flask import abort, current_app, flash, request
from flask_admin import expose
from flask_admin.form import rules as form_rules
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from models import (
    AccessKind,
    ActionPlan,
    Activity,
    ActivityStatus,
    Assessment,
    Goal,
    NetworkMember,
    NetworkRole,
    Responsible,
    plan_errors,
)
from models.base import db
from models.plans import activity_errors, goal_errors

from ..access_rules import logs_access
from ..registers.access import scoped
from ..registers.seen import note_seen
from ..registers.shared import (
    CASE_WORKERS,
    CaseWorkView,
    ClientNameFilter,
    RememberedInline,
    RowRules,
    UserFilter,
    case_workers,
    client_first_name,
    client_last_name,
    clients,
    providers,
    user_name,
)
from .casework import LEVEL_COLOURS
from .plan_columns import (
    OverdueActivitiesFilter,
    goals_count,
    goals_details,
    overdue_count,
    plan_status,
    print_link,
    review_badge,
)

# --- What the activity selects list: this plan's goals, this client's network ---------------------


def _edited_plan_id() -> int | None:
    """The plan the form is for: the edit form's ``?id=N`` (a new plan has none yet)."""
    return request.args.get("id", type=int) if request else None


def _plan_goals():
    """The goals of the plan being edited, in their order (none on a new plan: save its goals first)."""
    plan_id = _edited_plan_id()
    if not plan_id:
        return []
    return db.session.scalars(sa.select(Goal).where(Goal.plan_id == plan_id).order_by(Goal.position, Goal.id))


def _plan_network():
    """The network of the client whose plan is being edited."""
    plan_id = _edited_plan_id()
    if not plan_id:
        return []
    client_id = sa.select(ActionPlan.client_id).where(ActionPlan.id == plan_id).scalar_subquery()
    return db.session.scalars(
        sa.select(NetworkMember).where(NetworkMember.client_id == client_id).order_by(NetworkMember.name)
    )


def _member_label(member: NetworkMember) -> str:
    return f"{member.name} ({member.role})"


class Note(form_rules.BaseRule):
    """A short explanation between the sections of a form."""

    def __init__(self, text, css: str = "plan-note"):
        super().__init__()
        self.text = text
        self.css = css

    def __call__(self, form, form_opts=None, field_args=None):
        return Markup('<p class="alert alert-info small {}">{}</p>').format(self.css, self.text)


class GoalInline(RememberedInline):
    form_columns = ("id", "position", "text", "obstacles")
    form_label = _l("Goals")
    column_labels = {"position": _l("No."), "text": _l("Goal"), "obstacles": _l("Obstacles")}
    form_widget_args = {"text": {"rows": 2}, "obstacles": {"rows": 2}}


class ActivityInline(RememberedInline):
    form_columns = (
        "id",
        "goal",
        "text",
        "responsible",
        "network_member",
        "provider",
        "deadline",
        "status",
        "assessed",
    )
    form_label = _l("Activities")
    column_labels = {
        "goal": _l("Goal"),
        "text": _l("Activity"),
        "responsible": _l("Responsible"),
        "network_member": _l("Network member"),
        "provider": _l("Provider"),
        "deadline": _l("Deadline"),
        "status": _l("Status"),
        "assessed": _l("How fulfilment was assessed"),
    }
    form_args = {
        "goal": {"query_factory": _plan_goals},
        "network_member": {
            "query_factory": _plan_network,
            "get_label": _member_label,
            "description": _l("When a network member is responsible: from this client's network."),
        },
        "provider": {"query_factory": providers, "description": _l("When a provider is responsible.")},
    }
    form_widget_args = {"text": {"rows": 2}, "assessed": {"rows": 2}}

    def __init__(self, model, **kwargs):
        self.form_choices = {"responsible": Responsible.choices(), "status": ActivityStatus.choices()}
        super().__init__(model, **kwargs)


# --- The register -------------------------------------------------------------------------------


class ActionPlanView(RowRules, CaseWorkView):
    """Tegevusplaanid: a client's goals and the activities towards them, who answers for each and by when."""

    read_roles = CASE_WORKERS
    write_roles = CASE_WORKERS
    rules = plan_errors
    row_rules = (("goals", goal_errors), ("activities", activity_errors))
    date_field = "drawn_up_on"
    user_field = "responsible"

    column_list = ("client", "drawn_up_on", "review_on", "responsible", "status", "goal_count", "overdue")
    column_details_list = (
        "print",
        "client",
        "drawn_up_on",
        "review_on",
        "responsible",
        "status",
        "resources",
        "goals",
        "recommendations",
    )
    column_labels = {
        "print": _l("Print"),
        "client": _l("Client"),
        "drawn_up_on": _l("Drawn up"),
        "review_on": _l("Review date"),
        "responsible": _l("Responsible specialist"),
        "status": _l("Status"),
        "goal_count": _l("Goals"),
        "overdue": _l("Overdue activities"),
        "goals": _l("Goals and activities"),
        "activities": _l("Activities"),
        "resources": _l("Resources"),
        "recommendations": _l("Recommendations"),
        # The search box names what it searches.
        "client.first_name": _l("First name"),
        "client.last_name": _l("Last name"),
        "client.personal_code": _l("Personal ID code"),
    }
    column_formatters = {
        "status": plan_status,
        "review_on": review_badge,
        "goal_count": goals_count,
        "overdue": overdue_count,
    }
    column_formatters_export = {"overdue": lambda view, context, model, name: len(model.overdue_activities)}
    column_formatters_detail = {
        "print": print_link,
        "status": plan_status,
        "review_on": review_badge,
        "goals": goals_details,
    }
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-print", ".print_view", title=_l("Print the plan"))]
    column_searchable_list = ("client.first_name", "client.last_name", "client.personal_code")
    column_filters = (
        "status",
        "review_on",
        "drawn_up_on",
        ClientNameFilter(ActionPlan, _l("Client")),
        UserFilter(ActionPlan.responsible_id, _l("Responsible specialist")),
        OverdueActivitiesFilter(_l("Has overdue activities")),
    )
    column_sortable_list = ("client", "drawn_up_on", "review_on", "responsible", "status")
    column_default_sort = [("drawn_up_on", True), ("id", True)]

    form_columns = (
        "client",
        "drawn_up_on",
        "review_on",
        "responsible",
        "status",
        "resources",
        "goals",
        "activities",
        "recommendations",
    )
    form_create_rules = (
        form_rules.FieldSet(("client", "drawn_up_on", "review_on", "responsible", "status"), _l("The plan")),
        form_rules.FieldSet(("resources",), _l("Need for help")),
        form_rules.FieldSet(("goals",), _l("Goals")),
        form_rules.Header(_l("Activities")),
        Note(
            _l(
                "Activities are added under the plan's goals. Write the goals first and save: the plan "
                "opens again for editing, and each activity can then be put under its goal."
            ),
            "plan-activities-later",
        ),
        form_rules.FieldSet(("recommendations",), _l("Recommendations")),
    )
    form_edit_rules = (
        form_rules.FieldSet(("client", "drawn_up_on", "review_on", "responsible", "status"), _l("The plan")),
        form_rules.FieldSet(("resources",), _l("Need for help")),
        form_rules.FieldSet(("goals",), _l("Goals")),
        form_rules.Header(_l("Activities")),
        Note(
            _l(
                "Choose each activity's goal from this plan's goals; a goal added just now can be chosen "
                "once the plan is saved. The network member is chosen from this client's network."
            ),
            "plan-activities-help",
        ),
        form_rules.Field("activities"),
        form_rules.FieldSet(("recommendations",), _l("Recommendations")),
    )
    form_args = {
        "client": {"query_factory": clients},
        "responsible": {"query_factory": case_workers},
        "drawn_up_on": {"description": _l("dd.mm.yyyy")},
        "review_on": {"description": _l("When the plan will be reviewed with the client.")},
        "resources": {"description": _l("The client's own strengths and the help around them.")},
        "recommendations": {"description": _l("Recommendations for the client and the network.")},
    }
    form_widget_args = {"resources": {"rows": 3}, "recommendations": {"rows": 3}}
    inline_models = (GoalInline(Goal), ActivityInline(Activity))

    def get_query(self):
        return (
            super()
            .get_query()
            .options(
                joinedload(ActionPlan.client),
                joinedload(ActionPlan.responsible),
                selectinload(ActionPlan.goals),
                selectinload(ActionPlan.activities).options(
                    joinedload(Activity.network_member), joinedload(Activity.provider)
                ),
            )
        )

    def get_sortable_columns(self):
        columns = super().get_sortable_columns()
        columns["client"] = [client_last_name(ActionPlan), client_first_name(ActionPlan)]
        self._sortable_joins["client"] = [[], []]
        columns["responsible"] = user_name(ActionPlan.responsible_id)
        self._sortable_joins.pop("responsible", None)
        return columns

    def get_create_form(self):
        # A new plan has no goals yet to put activities under: the activities come on the edit form.
        form_class = super().get_create_form()
        if hasattr(form_class, "activities"):
            delattr(form_class, "activities")
        return form_class

    def get_save_return_url(self, model, is_created=False):
        if is_created:
            flash(gettext("Now add the activities under the plan's goals."), "info")
            return self.get_url(".edit_view", id=model.id, url=get_redirect_target() or self.get_url(".index_view"))
        return super().get_save_return_url(model, is_created)

    # --- Print view ---

    @logs_access
    @expose("/print/")
    def print_view(self):
        plan_id = request.args.get("id", type=int)
        plan = (
            plan_id
            and db.session.scalars(
                scoped(sa.select(ActionPlan), ActionPlan)
                .where(ActionPlan.id == plan_id)
                .options(
                    joinedload(ActionPlan.client),
                    joinedload(ActionPlan.responsible),
                    selectinload(ActionPlan.goals),
                    selectinload(ActionPlan.activities).options(
                        joinedload(Activity.network_member), joinedload(Activity.provider)
                    ),
                )
            ).first()
        )
        if not plan:
            abort(404)
        client = plan.client
        note_seen([client.id], AccessKind.PRINT, ActionPlan.__tablename__, plan.id)
        assessment = db.session.scalars(
            sa.select(Assessment)
            .where(Assessment.client_id == client.id)
            .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
            .limit(1)
        ).first()
        guardians = [m for m in client.network if m.role == NetworkRole.GUARDIAN]
        loose = [a for a in plan.activities if a.goal_id is None]
        goals = [(g, [a for a in plan.activities if a.goal_id == g.id]) for g in plan.goals]
        return self.render(
            "admin/plan_print.html",
            plan=plan,
            client=client,
            assessment=assessment,
            guardians=guardians,
            goals=goals,
            loose=loose,
            municipality=current_app.config.get("MUNICIPALITY_NAME", ""),
            level_colours=LEVEL_COLOURS,
            today=date.today(),
        )


def register(admin) -> None:
    admin.add_view(
        ActionPlanView(
            ActionPlan,
            db,
            name=_l("Action plans"),
            endpoint="action_plans",
            url="action-plans",
            category=_l("Case work"),
        )
    )
