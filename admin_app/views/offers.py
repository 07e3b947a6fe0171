"""Lisatoetuste pakkumised: the offer register, with offers for one support side by side."""

from itertools import groupby

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import validators

from models import Offer, OfferStatus, Provider, offer_errors
from models.base import db

from ..access_rules import shows_no_person
from ..registers.base import MANAGERS, RegisterView, badge
from ..registers.importing import ImportMixin

STATUS_COLOURS = {
    OfferStatus.ASKED: "secondary",
    OfferStatus.RECEIVED: "info",
    OfferStatus.ACCEPTED: "success",
    OfferStatus.DECLINED: "dark",
    OfferStatus.EXPIRED: "warning",
}


def _status(view, context, model, name):
    status = model.current_status
    return badge(status.label, STATUS_COLOURS[status])


class CurrentStatusFilter(BaseSQLAFilter):
    """Filter by the status as of today, so expired offers are found without anyone editing them."""

    def apply(self, query, value, alias=None):
        return query.filter(Offer.current_status == value)

    def operation(self):
        return gettext("equals")


def _usable(offer) -> bool:
    """An offer with a price that can still be accepted (or already is)."""
    return offer.price is not None and offer.current_status in (OfferStatus.RECEIVED, OfferStatus.ACCEPTED)


def _supplementary_providers():
    return db.session.scalars(select(Provider).where(Provider.is_supplementary).order_by(Provider.name))


class OfferView(ImportMixin, RegisterView):
    """Offers asked from supplementary-support providers."""

    import_register = "offers"
    read_roles = ("head", "case_manager", "accountant")
    write_roles = MANAGERS
    rules = offer_errors

    column_list = ("provider", "component", "price", "unit", "asked_on", "received_on", "valid_until", "status")
    column_details_list = (
        "provider",
        "component",
        "price",
        "unit",
        "asked_on",
        "received_on",
        "valid_until",
        "status",
        "notes",
    )
    column_labels = {
        "provider": _l("Provider"),
        "provider.name": _l("Provider"),
        "component": _l("Support asked for"),
        "component.name": _l("Support asked for"),
        "price": _l("Price"),
        "unit": _l("Unit"),
        "asked_on": _l("Asked"),
        "received_on": _l("Received"),
        "valid_until": _l("Valid until"),
        "status": _l("Status"),
        "notes": _l("Notes"),
    }
    column_formatters = {"status": _status}
    column_formatters_detail = {"status": _status}
    column_searchable_list = ("provider.name", "component.name", "component.code")
    column_filters = (
        CurrentStatusFilter(Offer.status, _l("Status"), options=OfferStatus.choices()),
        "component.name",
        "provider.name",
        "asked_on",
        "valid_until",
    )
    column_sortable_list = (
        ("provider", "provider.name"),
        ("component", "component.code"),
        "price",
        "asked_on",
        "received_on",
        "valid_until",
        "status",
    )
    column_default_sort = ("asked_on", True)
    column_editable_list = ("price", "received_on", "valid_until")

    form_columns = (
        "provider",
        "component",
        "price",
        "unit",
        "asked_on",
        "received_on",
        "valid_until",
        "status",
        "notes",
    )
    form_args = {
        "provider": {
            "validators": [validators.InputRequired()],
            "query_factory": _supplementary_providers,
            "description": _l("Only supplementary-support providers are listed."),
        },
        "component": {"validators": [validators.InputRequired()]},
        "asked_on": {"validators": [validators.InputRequired()]},
    }

    @action("compare", _l("Compare side by side"))
    def action_compare(self, ids):
        return redirect(url_for(".compare_view", ids=",".join(ids)))

    #: "All N matching": compare every offer the search and filters find (e.g. all for one support).
    all_matching_actions = ("compare",)
    #: More columns than this do not fit side by side on the office's 1366 px screen.
    COMPARE_MAX = 10

    def compare_all(self, keys: list[int]):
        if len(keys) > self.COMPARE_MAX:
            flash(
                gettext(
                    "Narrow the list to at most %(max)s offers to compare them side by side.", max=self.COMPARE_MAX
                ),
                "warning",
            )
            return None
        return redirect(url_for(".compare_view", ids=",".join(str(k) for k in keys)))

    @shows_no_person
    @expose("/compare/")
    def compare_view(self):
        """The chosen offers grouped by the support asked for, one column per offer, cheapest first."""
        try:
            ids = [int(i) for i in request.args.get("ids", "").split(",") if i]
        except ValueError:
            ids = []
        offers = db.session.scalars(
            select(Offer).options(joinedload(Offer.provider), joinedload(Offer.component)).where(Offer.id.in_(ids))
        ).all()
        if len(offers) < 2:
            flash(gettext("Choose at least two offers to compare."), "warning")
            return redirect(url_for(".index_view"))
        # Offers that can still be taken come first, cheapest first; expired, declined and unpriced follow.
        offers.sort(key=lambda o: (o.component.code, not _usable(o), o.price is None, o.price or 0))
        groups = [(component, list(items)) for component, items in groupby(offers, key=lambda o: o.component)]
        best = {items[0].id for _, items in groups if _usable(items[0])}
        if len(groups) > 1:
            flash(
                ngettext(
                    "The offers are for %(num)s different supports; each is compared on its own.",
                    "The offers are for %(num)s different supports; each is compared on its own.",
                    len(groups),
                ),
                "info",
            )
        return self.render("admin/offer_compare.html", groups=groups, best=best)


def register(admin) -> None:
    admin.add_view(OfferView(Offer, db, name=_l("Offers"), endpoint="offers", url="offers", category=_l("Registers")))
