"""Noortegarantii: the outreach records of the youth guarantee list rounds, their contact attempts and
statuses; importing a round (``youth_import``), assigning case managers and sending the first-contact
e-mail in bulk, making a client of a young person who wants help, and the e-mail template."""

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from models import (
    AttemptChannel,
    AttemptOutcome,
    ContactAttempt,
    OffTermsReason,
    Outreach,
    OutreachStatus,
    RuleViolation,
    YouthMailTemplate,
    make_client,
    outreach_errors,
)
from models.base import db
from models.youth_guarantee import attempt_errors, mail_template, mail_template_errors

from ..access_rules import shows_no_person
from ..background import start_job
from ..registers.base import RegisterView, badge, label
from ..registers.shared import CASE_WORKERS, RememberedInline, RowRules, case_workers, signed_in_user
from ..youth_mail import send_first_mails, sent_message
from .youth_import import import_page

STATUS_COLOURS = {
    OutreachStatus.NOT_CONTACTED: "light",
    OutreachStatus.NO_ANSWER: "info",
    OutreachStatus.UNREACHABLE: "dark",
    OutreachStatus.WANTS_HELP: "warning",
    OutreachStatus.DOES_NOT_WANT: "secondary",
    OutreachStatus.NOT_ON_TERMS: "secondary",
    OutreachStatus.BECAME_CLIENT: "success",
    OutreachStatus.CLOSED: "secondary",
}


def _status(view, context, model, name):
    text = badge(label(model.status), STATUS_COLOURS[model.status])
    if model.off_terms_reason:
        text += Markup(" <small>{}</small>").format(label(model.off_terms_reason))
    return text


def _attempts(view, context, model, name):
    return Markup("<br>").join(
        Markup("{} {} – {}{}").format(
            f"{a.made_on:%d.%m.%Y}", label(a.channel), label(a.outcome), f" ({a.by})" if a.by else ""
        )
        for a in model.attempts
    )


def _client(view, context, model, name):
    if model.client_id is None:
        return ""
    return Markup('<a href="{}">{}</a>').format(
        url_for("case_file.index", client_id=model.client_id), gettext("Open the case file")
    )


class AttemptInline(RememberedInline):
    form_columns = ("id", "made_on", "channel", "outcome", "by", "note")
    form_label = _l("Contact attempts")
    column_labels = {
        "made_on": _l("Date"),
        "channel": _l("Channel"),
        "outcome": _l("Outcome"),
        "by": _l("Made by"),
        "note": _l("Note"),
    }
    form_args = {"by": {"query_factory": case_workers}}

    def __init__(self, model, **kwargs):
        self.form_choices = {"channel": AttemptChannel.choices(), "outcome": AttemptOutcome.choices()}
        super().__init__(model, **kwargs)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if model.by is None and model.by_id is None:
            model.by = signed_in_user()


class OutreachView(RowRules, RegisterView):
    """Noortegarantii: one record per young person on a round, worked from first contact to a case."""

    read_roles = CASE_WORKERS
    write_roles = CASE_WORKERS
    rules = outreach_errors
    row_rules = (("attempts", attempt_errors),)
    can_create = False
    list_template = "admin/youth_list.html"

    column_list = ("round", "last_name", "first_name", "personal_code", "status", "case_manager", "attempts", "client")
    column_details_list = (
        "round",
        "earlier",
        "personal_code",
        "first_name",
        "last_name",
        "birth_date",
        "email",
        "phone",
        "address",
        "guardian_name",
        "guardian_phone",
        "guardian_email",
        "education",
        "employment",
        "status",
        "answer",
        "notes",
        "case_manager",
        "attempts",
        "client",
        "goal_reached_on",
        "follow_up_on",
    )
    column_labels = {
        "round": _l("Round"),
        "round.year": _l("Round year"),
        "earlier": _l("On an earlier round"),
        "personal_code": _l("Personal ID code"),
        "first_name": _l("First name"),
        "last_name": _l("Last name"),
        "birth_date": _l("Birth date"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "address": _l("Address"),
        "guardian_name": _l("Parent or guardian"),
        "guardian_phone": _l("Parent's or guardian's phone"),
        "guardian_email": _l("Parent's or guardian's e-mail"),
        "education": _l("Last education"),
        "employment": _l("Last employment"),
        "status": _l("Status"),
        "off_terms_reason": _l("Reason not on the terms"),
        "answer": _l("Answer"),
        "notes": _l("Notes"),
        "case_manager": _l("Case manager"),
        "case_manager.full_name": _l("Case manager"),
        "attempts": _l("Contact attempts"),
        "client": _l("Client"),
        "goal_reached_on": _l("Goal reached on"),
        "follow_up_on": _l("Follow-up on"),
    }
    column_formatters = {"status": _status, "attempts": _attempts, "client": _client}
    column_formatters_detail = column_formatters
    column_searchable_list = ("first_name", "last_name", "personal_code")
    column_filters = ("round.year", "status", "off_terms_reason", "case_manager.full_name", "follow_up_on")
    column_sortable_list = ("last_name", "first_name", "status", ("case_manager", "case_manager.full_name"))
    column_default_sort = [("round_id", True), ("last_name", False), ("id", False)]

    form_columns = (
        "status",
        "off_terms_reason",
        "answer",
        "notes",
        "case_manager",
        "email",
        "phone",
        "attempts",
        "goal_reached_on",
    )
    form_args = {"case_manager": {"query_factory": case_workers}}
    inline_models = (AttemptInline(ContactAttempt),)

    def __init__(self, model, session, **kwargs):
        self.form_choices = {"off_terms_reason": OffTermsReason.choices()}
        super().__init__(model, session, **kwargs)

    def get_query(self):
        return (
            super()
            .get_query()
            .options(joinedload(Outreach.round), selectinload(Outreach.attempts).joinedload(ContactAttempt.by))
        )

    # --- the whole filtered list, or the chosen rows ---

    def _chosen(self) -> list[Outreach]:
        """The records an assign or e-mail page acts on: ``ids`` (comma-separated), else the filtered list."""
        text = request.values.get("ids", "")
        if text:
            keys = self._action_keys(text.split(","))
            if keys is None:
                return []
            ids = self._listed(keys)
        else:
            ids = self.matching_keys()  # every page of the filtered list (AllMatchingMixin)
        return list(db.session.scalars(sa.select(Outreach).where(Outreach.id.in_(ids)).order_by(Outreach.id)))

    @shows_no_person
    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        if not self.may_write():
            return self.inaccessible_callback("import_view")
        return import_page(self)

    @shows_no_person
    @expose("/assign/", methods=("GET", "POST"))
    def assign_view(self):
        """Assign a case manager to the chosen records, or to all of the filtered list."""
        if not self.may_write():
            return self.inaccessible_callback("assign_view")
        records = self._chosen()
        managers = list(case_workers())
        if request.method == "POST":
            chosen = request.form.get("case_manager", "")
            manager = next((u for u in managers if str(u.id) == chosen), None) if chosen else None
            if chosen and manager is None:
                flash(gettext("Choose a case manager from the list."), "error")
            else:
                for r in records:
                    r.case_manager = manager
                db.session.commit()
                flash(ngettext("%(num)s record assigned.", "%(num)s records assigned.", len(records)), "success")
                return redirect(url_for(".index_view"))
        return self.render(
            "admin/youth_assign.html", records=records, managers=managers, ids=request.values.get("ids", "")
        )

    @shows_no_person
    @expose("/mail/", methods=("GET", "POST"))
    def mail_view(self):
        """Send the first-contact e-mail to the chosen or filtered records with an address; never twice."""
        if not self.may_write():
            return self.inaccessible_callback("mail_view")
        records = self._chosen()
        waiting = [r for r in records if r.email and r.first_mail_at is None]
        if request.method == "POST":
            ids = [r.id for r in waiting]
            if len(ids) > current_app.config["YOUTH_MAIL_BACKGROUND"]:
                title = gettext("First-contact e-mail to the young people (%(num)s)", num=len(ids))
                download = start_job("youth-first-mail", title=title, params={"ids": ids}, rows_total=len(ids))
                return redirect(url_for("downloads.progress", download_id=download.id))
            try:
                sent, failed = send_first_mails(ids, signed_in_user())
            except OSError as e:
                flash(gettext("The mail server could not be reached: %(error)s", error=str(e)), "error")
            else:
                flash(sent_message(sent, failed), "error" if failed else "success")
                return redirect(url_for(".index_view"))
        return self.render(
            "admin/youth_mail.html",
            records=records,
            waiting=waiting,
            ids=request.values.get("ids", ""),
            mail=db.session.scalar(sa.select(YouthMailTemplate).limit(1)),
        )

    @action("assign", _l("Assign a case manager"))
    def action_assign(self, ids):
        return redirect(url_for(".assign_view", ids=",".join(ids)))

    @action("mail", _l("Send the first-contact e-mail"))
    def action_mail(self, ids):
        return redirect(url_for(".mail_view", ids=",".join(ids)))

    @action("to_client", _l("Became a client"))
    def action_to_client(self, ids):
        """Each chosen young person who wants help becomes a client (or is linked to the one they are)."""
        made = linked = 0
        problems = []
        for record in db.session.scalars(sa.select(Outreach).where(Outreach.id.in_([int(i) for i in ids]))):
            try:
                with db.session.begin_nested():
                    _, created = make_client(record, signed_in_user())
            except RuleViolation as e:
                problems.append(f"{record}: {' '.join(e.errors.values())}")
                continue
            made, linked = made + created, linked + (not created)
        db.session.commit()
        if made or linked:
            flash(
                gettext("New clients: %(made)s; linked to an existing client: %(linked)s.", made=made, linked=linked),
                "success",
            )
        if problems:
            flash(gettext("Not made a client: %(problems)s", problems="; ".join(problems)), "error")
        return redirect(url_for(".index_view"))


class MailTemplateView(RegisterView):
    """The first-contact e-mail's text: the head edits it; case managers read it."""

    read_roles = CASE_WORKERS
    write_roles = ("head",)
    scope_by_client = False
    rules = mail_template_errors
    can_create = False
    can_delete = False
    column_list = ("subject", "body")
    column_default_sort = ("id", True)
    form_columns = ("subject", "body")
    column_labels = {"subject": _l("Subject"), "body": _l("Text")}
    column_descriptions = {"body": _l("{name} is replaced by the young person's first name, {round} by the round.")}

    def get_query(self):
        mail_template()  # the default text is there to edit from the start
        db.session.commit()
        return super().get_query()


def register(admin) -> None:
    admin.add_view(
        OutreachView(Outreach, db, name=_l("Youth guarantee"), endpoint="youth", url="youth", category=_l("Case work"))
    )
    admin.add_view(
        MailTemplateView(
            YouthMailTemplate,
            db,
            name=_l("Youth guarantee e-mail"),
            endpoint="youth_mail",
            url="youth-mail",
            category=_l("Case work"),
        )
    )
