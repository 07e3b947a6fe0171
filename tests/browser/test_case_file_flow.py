"""A case manager, in a real browser, opens a client's case file and adds an activity to their action plan."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from admin_app.auth import create_user
from admin_app.views.plans import ActionPlanView
from models import ActionPlan, Activity, Goal, db
from tests.conftest import PASSWORD, create_client

EMAIL = "juhtumikorraldaja@rapla.ee"
ACTIVITY = "Käia kaks korda kuus töötukassa nõustaja juures"


def _save_button(page: Page):
    """The form's plain "Save" button (not "save and add another" / "save and continue")."""
    return page.locator("form.admin-form .submit-row input[type=submit]:not([name])")


#: Until the action-plan form edits activities inline (``activities-0-text`` …), the flow cannot finish;
#: the mark goes away by itself once ``ActionPlanView.inline_models`` is set.
PLAN_FORM_PENDING = pytest.mark.xfail(
    not getattr(ActionPlanView, "inline_models", None),
    reason="the action-plan form has no inline activities yet (admin_app/views/plans.py)",
    strict=True,
)


@pytest.mark.browser
@PLAN_FORM_PENDING
def test_case_manager_adds_a_plan_activity_from_the_case_file(app, page: Page):
    drawn_up = date.today() - timedelta(days=20)
    with app.app_context():
        user = create_user(EMAIL, PASSWORD, ["case_manager"], full_name="Kadri Kask")
        client = create_client(
            first_name="Mari", last_name="Maasikas", status="active", applied_on=drawn_up, case_manager_id=user.id
        )
        other = create_client(first_name="Teine", last_name="Klient", applied_on=drawn_up)
        plan = ActionPlan(client=client, drawn_up_on=drawn_up, responsible_id=user.id)
        plan.goals = [Goal(position=1, text="Leida töökoht"), Goal(position=2, text="Elada iseseisvalt")]
        db.session.add(plan)
        db.session.add(ActionPlan(client=other, drawn_up_on=drawn_up, activities=[Activity(text="Teise kliendi asi")]))
        db.session.commit()
        client_id, plan_id = client.id, plan.id
        goal_id = plan.goals[0].id
        db.session.remove()

    page.goto("/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("form[name=login_user_form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # The client list links each client to their case file.
    page.goto("/admin/clients/")
    page.locator(f"table.model-list a[href$='/admin/case-file/?client_id={client_id}']").click()
    page.wait_for_url(re.compile(rf"/admin/case-file/\?client_id={client_id}$"))
    expect(page.locator(".record-title")).to_have_text("Mari Maasikas")
    plans = page.locator("#case-plans")
    expect(plans).to_contain_text("Leida töökoht")
    expect(plans).not_to_contain_text("Teise kliendi asi")
    expect(page.locator("#case-plans a.add-link[data-register=action_plans]")).to_have_attribute(
        "href", re.compile(rf"client_id={client_id}")
    )

    # The plan's edit form, opened from the case file: add an activity under the first goal.
    page.locator(f"#case-plans .plan[data-plan='{plan_id}'] a.edit-plan").click()
    page.wait_for_url(re.compile(rf"/admin/action-plans/edit/\?id={plan_id}"))
    page.locator("#activities-button").click()
    page.fill("#activities-0-text", ACTIVITY)
    page.locator("#activities-0-goal").select_option(str(goal_id), force=True)
    _save_button(page).click()

    # Saved, and back on the case file: the activity is there, under its goal.
    page.wait_for_url(re.compile(rf"/admin/case-file/\?client_id={client_id}$"))
    goal = page.locator("#case-plans tbody.goal", has_text="Leida töökoht")
    expect(goal.locator("tr.activity")).to_have_count(1)
    expect(goal.locator("tr.activity")).to_contain_text(ACTIVITY)

    with app.app_context():
        saved = db.session.scalars(sa.select(Activity).where(Activity.text == ACTIVITY)).one()
        assert (saved.plan_id, saved.goal_id) == (plan_id, goal_id)
        db.session.remove()
