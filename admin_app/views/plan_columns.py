"""How the action-plan register shows a plan: status and review badges, goals with their activities,
the overdue count and filter, and the print link."""

from datetime import date

import sqlalchemy as sa
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.model.filters import BaseBooleanFilter
from flask_babel import gettext, ngettext
from markupsafe import Markup

from models import ActionPlan, Activity, ActivityStatus, PlanStatus

from ..i18n import format_date
from ..registers.base import badge

PLAN_COLOURS = {PlanStatus.OPEN: "success", PlanStatus.CLOSED: "secondary"}
ACTIVITY_COLOURS = {
    ActivityStatus.PLANNED: "info",
    ActivityStatus.IN_PROGRESS: "primary",
    ActivityStatus.DONE: "success",
    ActivityStatus.DROPPED: "secondary",
}


class OverdueActivitiesFilter(BaseSQLAFilter, BaseBooleanFilter):
    """Plans with (or without) an activity past its deadline and neither done nor dropped."""

    def __init__(self, name):
        super().__init__(ActionPlan.id, name, options=None)

    def apply(self, query, value, alias=None):
        overdue = ActionPlan.id.in_(sa.select(Activity.plan_id).where(Activity.overdue))
        return query.filter(overdue if value == "1" else ~overdue)

    def operation(self):
        return gettext("equals")


def plan_status(view, context, model, name):
    return badge(model.status.label, PLAN_COLOURS.get(model.status, "secondary")) if model.status else ""


def review_badge(view, context, model, name):
    """The review date; amber when it has passed and the plan is still in force."""
    if not model.review_on:
        return ""
    if model.review_on < date.today() and model.status == PlanStatus.OPEN:
        return Markup('<span title="{}">{}</span>').format(
            gettext("The review date has passed."), badge(format_date(model.review_on), "warning")
        )
    return format_date(model.review_on)


def goals_count(view, context, model, name):
    return len(model.goals)


def overdue_count(view, context, model, name):
    n = len(model.overdue_activities)
    return badge(ngettext("%(num)s overdue", "%(num)s overdue", n), "danger") if n else ""


def activity_rows(activities) -> Markup:
    rows = []
    for a in activities:
        status = badge(a.status.label, ACTIVITY_COLOURS.get(a.status, "secondary"))
        deadline = format_date(a.deadline) if a.deadline else "—"
        if a.overdue:
            status += Markup(" ") + badge(gettext("overdue"), "danger")
            deadline = Markup('<strong class="text-danger">{}</strong>').format(deadline)
        rows.append(
            Markup(
                '<tr class="activity{}"><td>{}</td><td>{}</td><td class="text-nowrap">{}</td>'
                '<td class="text-nowrap">{}</td><td>{}</td></tr>'
            ).format(
                " table-danger overdue" if a.overdue else "",
                a.text,
                a.responsible_party,
                deadline,
                status,
                a.assessed or "",
            )
        )
    return Markup("").join(rows)


def goals_details(view, context, model, name):
    """Each goal with its obstacles and, beneath it, its activities; overdue ones in red with the deadline."""
    head = Markup("<thead><tr>{}</tr></thead>").format(
        Markup("").join(
            Markup("<th>{}</th>").format(t)
            for t in (
                gettext("Activity"),
                gettext("Responsible"),
                gettext("Deadline"),
                gettext("Status"),
                gettext("How fulfilment was assessed"),
            )
        )
    )
    bodies = []
    for goal in model.goals:
        obstacles = (
            Markup(' <small class="font-weight-normal text-muted">— {}: {}</small>').format(
                gettext("Obstacles"), goal.obstacles
            )
            if goal.obstacles
            else ""
        )
        activities = [a for a in model.activities if a.goal_id == goal.id]
        rows = activity_rows(activities) or Markup('<tr><td colspan="5" class="text-muted small">{}</td></tr>').format(
            gettext("No activities under this goal yet.")
        )
        bodies.append(
            Markup('<tbody class="goal"><tr class="table-active"><th colspan="5">{}{}</th></tr>{}</tbody>').format(
                goal, obstacles, rows
            )
        )
    loose = [a for a in model.activities if a.goal_id is None]
    if loose:
        bodies.append(
            Markup('<tbody class="goal-less"><tr class="table-active"><th colspan="5">{}</th></tr>{}</tbody>').format(
                gettext("Not under a goal"), activity_rows(loose)
            )
        )
    if not bodies:
        return ""
    return Markup('<table class="table table-sm mb-0 plan-goals">{}{}</table>').format(head, Markup("").join(bodies))


def print_link(view, context, model, name):
    return Markup('<a class="btn btn-outline-secondary btn-sm print-plan" href="{}" target="_blank">{}</a>').format(
        view.get_url(".print_view", id=model.id), gettext("Print the plan")
    )
