"""The youth guarantee round report: for each round whose list arrived in the period, how much of the
list was reached (list size, contacted, reached, wants help, became a client, does not want help, not
on the terms, median days to first contact), compared with the round before it; the same per case
manager; and those not on the terms by reason. The figures are ``models.youth_casework``'s."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from exports.tabular import Column, Kind
from models import YouthRound, db
from models.youth_casework import FIGURES, earlier_round, round_figures, round_managers
from models.youth_guarantee import OffTermsReason

from .report import Chart, Report, Table, register

KEYS = [key for key, _ in FIGURES]


def _columns(first: str) -> list[Column]:
    return [Column(first)] + [Column(str(label), Kind.NUMBER) for _, label in FIGURES]


def _row(first: str, figures: dict) -> list:
    return [first] + [Decimal(str(v)) if isinstance(v, float) else v for v in (figures[k] for k in KEYS)]


def _rounds(start, end) -> list[YouthRound]:
    return list(
        db.session.scalars(
            sa.select(YouthRound).where(YouthRound.received_on.between(start, end)).order_by(YouthRound.received_on)
        )
    )


@register(
    "youth-guarantee",
    _l("Youth guarantee rounds"),
    _l("How much of each list was reached, per round and per case manager, compared with the round before."),
)
def build(start, end) -> Report:
    report = Report("youth-guarantee", gettext("Youth guarantee rounds"), start, end)
    rows, managers, reasons = [], [], []
    for round_ in _rounds(start, end):
        figures = round_figures(round_.id)
        rows.append(_row(str(round_), figures))
        before = earlier_round(round_)
        if before is not None:
            label = gettext("%(round)s: the earlier round %(before)s", round=str(round_), before=str(before))
            rows.append(_row(label, round_figures(before.id)))
        for user in round_managers(round_.id):
            managers.append(_row(f"{round_} · {user}", round_figures(round_.id, user.id)))
        for reason in OffTermsReason:
            n = figures["reasons"].get(reason, 0)
            if n:
                reasons.append([str(round_), str(reason.label), n])
    report.tables = [
        Table(
            gettext("Rounds"),
            _columns(gettext("Round")),
            rows,
            chart=Chart("column", 0, (1, 2, 3, 4, 5)),
            note=gettext(
                "Wants help counts those who became clients too. Reached: wants help, does not want help, "
                "not on the terms or became a client. Days to first contact from the day the list arrived."
            ),
        ),
        Table(gettext("Per case manager"), _columns(gettext("Round and case manager")), managers),
        Table(
            gettext("Not on the terms, by reason"),
            [Column(gettext("Round")), Column(gettext("Reason")), Column(gettext("Young people"), Kind.NUMBER)],
            reasons,
        ),
    ]
    return report
