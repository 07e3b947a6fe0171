"""The register screens: one module per register (clients, providers, letters, …), each a subclass of
``admin_app.registers.base.RegisterView``, registered in the menu by ``register_views`` below. A
register's helpers that only it uses sit beside it (``letter_format``, ``letter_files`` and
``plan_columns``). The rules they apply live in ``models``; the views call them. Imported by the app
factory (``admin_app``) only."""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin import babel as flask_admin_texts
from flask_admin import translations as flask_admin_translations
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from models import (
    ActionPlan,
    Activity,
    Client,
    ClientStatus,
    FollowUp,
    Inspection,
    Letter,
    Offer,
    PlanStatus,
    Procurement,
    Provider,
    ProviderStaff,
    User,
    Violation,
    db,
    one_year_due,
)
from models.access import client_condition, stood_in_for
from models.youth_casework import youth_attention

from ..access_rules import shows_no_person
from ..registers.access import scoped
from ..registers.base import SecuredMixin
from . import (
    audit,
    casefile,
    casework,
    catalogue,
    clients,
    deliveries,
    downloads,
    invoices,
    letters,
    materials,
    meetings,
    offers,
    plans,
    procurements,
    providers,
    quality,
    questionnaires,
    reports,
    star,
    substitutions,
    supervision,
    users,
    youth_guarantee,
)
from .letters import letters_needing_attention, may_see


def _column(attribute):
    """The table column behind a model attribute or a column."""
    prop = getattr(attribute, "property", None)
    return prop.columns[0] if prop is not None else attribute


def list_filter(view, attribute, kind: type) -> str | None:
    """The key of ``view``'s list filter of class ``kind`` on ``attribute`` (as in ``flt0_<key>``), if any."""
    for key, (_, flt) in view._filter_args.items():
        if type(flt) is kind and _column(flt.column) is _column(attribute):
            return key
    return None


class HomeView(SecuredMixin, AdminIndexView):
    """Avaleht: what needs attention today, for the signed-in user."""

    read_roles = ("head", "case_manager", "accountant", "registrar")

    def _clients_url(self, user=None) -> str:
        """The client list showing active clients (of ``user`` as their case manager, when given)."""
        view = next(v for v in self.admin._views if v.endpoint == "clients")
        wanted = [(Client.status, ClientStatus.ACTIVE.value)]
        if user is not None:
            wanted.append((User.full_name, user.full_name))
        args = {}
        for n, (attribute, value) in enumerate(wanted):
            key = list_filter(view, attribute, FilterEqual)
            if key is not None:
                args[f"flt{n}_{key}"] = value
        return url_for("clients.index_view", **args)

    @staticmethod
    def attention(user_id: int | None, today: date | None = None) -> dict:
        """What needs a case worker's attention: overdue plan activities, quality-of-life one-year points
        due within 30 days or overdue, open violations past their deadline and overdue meeting follow-ups.
        For a case manager (``user_id``) only their clients and their follow-ups; for the head, all."""
        today = today or date.today()
        activities = (
            select(Activity)
            .join(Activity.plan)
            .join(ActionPlan.client)
            .where(Activity.overdue, ActionPlan.status == PlanStatus.OPEN.value)
            .options(contains_eager(Activity.plan).contains_eager(ActionPlan.client))
            .order_by(Activity.deadline, Activity.id)
        )
        violations = (
            select(Violation)
            .join(Violation.inspection)
            .outerjoin(Inspection.client)
            .where(Violation.overdue)
            .options(
                contains_eager(Violation.inspection).contains_eager(Inspection.client),
                contains_eager(Violation.inspection).joinedload(Inspection.provider),
            )
            .order_by(Violation.remedy_by, Violation.id)
        )
        follow_ups = (
            select(FollowUp)
            .join(FollowUp.meeting)
            .where(FollowUp.overdue)
            .options(contains_eager(FollowUp.meeting), joinedload(FollowUp.owner))
            .order_by(FollowUp.deadline, FollowUp.id)
        )
        due = one_year_due(30, today)
        if user_id is not None:
            # Their own clients and those of a colleague they stand in for today (see models.access).
            theirs = client_condition(user_id, today, unassigned=False)
            activities = activities.where(theirs)
            # Inspections of a provider as a whole concern every case manager; of one client's service, theirs.
            violations = violations.where(sa.or_(Inspection.client_id.is_(None), theirs))
            follow_ups = follow_ups.where(
                sa.or_(FollowUp.owner_id == user_id, FollowUp.owner_id.in_(stood_in_for(user_id, today)))
            )
            ids = set(db.session.scalars(select(Client.id).where(theirs)))
            due = [(client, day) for client, day in due if client.id in ids]
        return {
            "activities": db.session.scalars(activities).unique().all(),
            "qol_due": due,
            "violations": db.session.scalars(violations).unique().all(),
            "follow_ups": db.session.scalars(follow_ups).unique().all(),
            "today": today,
        }

    @shows_no_person
    @expose("/")
    def index(self):
        roles = {r.name for r in current_user.roles}
        figures = {}
        attention = None
        if roles & {"admin", "head", "case_manager"}:
            figures["clients"] = dict(
                db.session.execute(
                    scoped(select(Client.status, func.count()), Client)
                    .where(Client.archived_on.is_(None))
                    .group_by(Client.status)
                ).all()
            )
            figures["active_url"] = self._clients_url()
            # The head (and the administrator) sees every client; a case manager, their own.
            mine = "case_manager" in roles and not roles & {"admin", "head"}
            if "case_manager" in roles:
                figures["my_active"] = db.session.scalar(
                    select(func.count()).where(
                        Client.case_manager_id == current_user.id,
                        Client.status == ClientStatus.ACTIVE,
                        Client.archived_on.is_(None),
                    )
                )
                figures["my_active_url"] = self._clients_url(current_user)
            attention = self.attention(current_user.id if mine else None)
            attention["mine"] = mine
            attention["star"] = star.home_card(current_user.id if mine else None)
            attention["youth"] = youth_attention(
                current_user.id if mine else None, current_app.config["YOUTH_CONTACT_DAYS"]
            )
        if roles & {"admin", "head", "case_manager", "accountant"}:
            limit = date.today() + timedelta(days=current_app.config["CERTIFICATE_WARNING_DAYS"])
            figures["providers"] = db.session.scalar(
                select(func.count(Provider.id)).where(Provider.active, Provider.archived_on.is_(None))
            )
            figures["certificates"] = db.session.scalar(
                select(func.count(ProviderStaff.id)).where(ProviderStaff.certificate_valid_until <= limit)
            )
            figures["open_offers"] = db.session.scalar(
                select(func.count(Offer.id)).where(Offer.current_status.in_(["asked", "received"]))
            )
            figures["procurements"] = db.session.scalar(
                select(func.count(Procurement.id)).where(Procurement.status.in_(["published", "evaluation"]))
            )
        letters = self.letters(roles)
        return self.render(
            "admin/home.html",
            figures=figures,
            attention=attention,
            letters=letters,
            may_see=may_see,
            ClientStatus=ClientStatus,
        )

    @staticmethod
    def letters(roles: set[str]) -> dict | None:
        """Letters due within five working days or overdue: the case manager's own, every one for the head;
        for the registrar, how many open letters still wait for someone to answer them."""
        if not roles & {"admin", "head", "case_manager", "registrar"}:
            return None
        waiting = db.session.scalar(
            select(func.count(Letter.id)).where(Letter.answerer_id.is_(None), Letter.status.in_(["registered"]))
        )
        if not roles & {"admin", "head", "case_manager"}:
            return {"due": None, "unassigned": waiting}
        mine = not roles & {"admin", "head"}
        due = letters_needing_attention(current_user.id if mine else None)
        return {"due": due, "mine": mine, "unassigned": waiting, "today": date.today()}


def register_views(app) -> Admin:
    """Create the admin for ``app`` and add every register to it."""
    admin = Admin(
        app,
        name="juhtum",
        index_view=HomeView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(base_template="juhtum_base.html", fluid=True),
    )
    # Our catalogue of Flask-Admin's strings is read after its own, so that ours wins where both
    # say something (Admin's translations_path would put ours first, and the later one wins the
    # merge): Flask-Admin's Estonian calls a list's rows "esemed" (things).
    flask_admin_texts.domain._translation_directories = [
        flask_admin_translations.__path__[0],
        app.root_path + "/translations",
    ]
    for area in (
        clients,
        providers,
        offers,
        procurements,
        catalogue,
        casework,
        plans,
        star,
        meetings,
        quality,
        questionnaires,
        supervision,
        youth_guarantee,
        materials,
        deliveries,
        invoices,
        letters,
        casefile,
        reports,
        downloads,
        users,
        substitutions,
        audit,
    ):
        area.register(admin)
    return admin
