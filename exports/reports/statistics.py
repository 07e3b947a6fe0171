"""Statistics for a year (or any period): participants by target group, age band and status; need
assessments, action plans, counselling by topic, meetings by kind."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from exports.tabular import Column, Kind
from models import (
    ActionPlan,
    Assessment,
    Client,
    ClientStatus,
    Counselling,
    CounsellingTopic,
    Material,
    Meeting,
    MeetingKind,
    TargetGroup,
    db,
)
from models.clients import taking_part

from .report import Chart, Report, Table, register

#: Age bands (lowest age of each), the age reached by the last day of the period.
AGE_BANDS = (0, 18, 30, 45, 55, 65)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def age_band_labels() -> list[str]:
    labels = []
    for low, high in zip(AGE_BANDS, (*AGE_BANDS[1:], None), strict=True):
        if low == 0:
            labels.append(gettext("under %(n)s", n=high))
        elif high is None:
            labels.append(gettext("%(n)s and over", n=low))
        else:
            labels.append(f"{low}–{high - 1}")
    return labels


def _counts(column, *where) -> dict:
    return dict(db.session.execute(sa.select(column, sa.func.count()).where(*where).group_by(column)).all())


def _target_groups(start, end) -> Table:
    in_period = _counts(Client.target_group, taking_part(start, end))
    entered = _counts(Client.target_group, Client.entry_date.between(start, end))
    left = _counts(Client.target_group, Client.exit_date.between(start, end))
    rows = [[str(g), in_period.get(g, 0), entered.get(g, 0), left.get(g, 0)] for g in TargetGroup]
    rows.append([gettext("All"), *(sum(r[i] for r in rows) for i in (1, 2, 3))])
    return Table(
        gettext("Participants by target group"),
        [
            Column(gettext("Target group")),
            Column(gettext("Taking part in the period"), Kind.NUMBER),
            Column(gettext("Entered"), Kind.NUMBER),
            Column(gettext("Left"), Kind.NUMBER),
        ],
        rows,
        Chart("bar", 0, (1,)),
    )


def _age_bands(start, end) -> Table:
    limits = [years_before(end, low) for low in AGE_BANDS[1:]]
    band = sa.case(*((Client.birth_date > limit, n) for n, limit in enumerate(limits)), else_=len(limits))
    found = _counts(band, taking_part(start, end))
    labels = age_band_labels()
    return Table(
        gettext("Participants by age on %(day)s", day=f"{end:%d.%m.%Y}"),
        [Column(gettext("Age")), Column(gettext("Participants"), Kind.NUMBER)],
        [[label, found.get(n, 0)] for n, label in enumerate(labels)],
        Chart("column", 0, (1,)),
    )


def _statuses() -> Table:
    found = _counts(Client.status)
    return Table(
        gettext("Clients in the register by status today"),
        [Column(gettext("Status")), Column(gettext("Clients"), Kind.NUMBER)],
        [[str(s), found.get(s, 0)] for s in ClientStatus],
        Chart("column", 0, (1,)),
    )


def _case_work(start, end) -> Table:
    def n(model, column):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(column.between(start, end)))

    rows = [
        [gettext("Need assessments"), n(Assessment, Assessment.assessed_on)],
        [gettext("Action plans drawn up"), n(ActionPlan, ActionPlan.drawn_up_on)],
        [gettext("Counselling"), n(Counselling, Counselling.held_on)],
        [gettext("Meetings"), n(Meeting, Meeting.held_on)],
        [gettext("Information materials"), n(Material, Material.sent_on)],
    ]
    return Table(
        gettext("Case work in the period"),
        [Column(gettext("Record")), Column(gettext("Number"), Kind.NUMBER)],
        rows,
        Chart("bar", 0, (1,)),
    )


def _by_choice(title, label, column, choices, date_column, start, end) -> Table:
    found = _counts(column, date_column.between(start, end))
    return Table(
        title,
        [Column(label), Column(gettext("Number"), Kind.NUMBER)],
        [[str(c), found.get(c, 0)] for c in choices],
        Chart("bar", 0, (1,)),
    )


@register(
    "statistics",
    _l("Statistics for the year"),
    _l("Participants by target group, age and status; assessments, plans, counselling by topic, meetings by kind."),
)
def build(start, end) -> Report:
    report = Report("statistics", gettext("Statistics for the year"), start, end)
    report.tables = [
        _target_groups(start, end),
        _age_bands(start, end),
        _statuses(),
        _case_work(start, end),
        _by_choice(
            gettext("Counselling by topic"),
            gettext("Topic"),
            Counselling.topic,
            CounsellingTopic,
            Counselling.held_on,
            start,
            end,
        ),
        _by_choice(
            gettext("Meetings by kind"), gettext("Kind"), Meeting.kind, MeetingKind, Meeting.held_on, start, end
        ),
    ]
    return report
