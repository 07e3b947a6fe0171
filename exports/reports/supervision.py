"""The supervision map: providers × kinds of violation found in the period, each cell coloured by the
most severe violation in it; open violations and those past their deadline counted beside."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from exports.tabular import Column, Kind
from models import Inspection, Provider, Severity, Violation, ViolationKind, ViolationStatus, db

from .report import Chart, Report, Table, register

RANK = {Severity.MINOR: 1, Severity.SIGNIFICANT: 2, Severity.SEVERE: 3}
SHADE = {1: "minor", 2: "significant", 3: "severe"}


def _map(start, end, today: date) -> Table:
    rank = sa.case(
        *((Violation.severity == severity, n) for severity, n in RANK.items()),
        else_=0,
    )
    is_open = Violation.status == ViolationStatus.OPEN
    past = sa.and_(is_open, Violation.remedy_by < today)
    found = db.session.execute(
        sa.select(
            Inspection.provider_id,
            Violation.kind,
            sa.func.count(),
            sa.func.max(rank),
            sa.func.sum(sa.case((is_open, 1), else_=0)),
            sa.func.sum(sa.case((past, 1), else_=0)),
        )
        .join(Violation.inspection)
        .where(Inspection.inspected_on.between(start, end))
        .group_by(Inspection.provider_id, Violation.kind)
    ).all()
    kinds = list(ViolationKind)
    cells: dict[int, dict] = {}
    for provider_id, kind, n, worst, open_n, past_n in found:
        cell = cells.setdefault(provider_id, {"open": 0, "past": 0})
        cell[kind] = (n, worst)
        cell["open"] += int(open_n or 0)
        cell["past"] += int(past_n or 0)
    names = dict(db.session.execute(sa.select(Provider.id, Provider.name).where(Provider.id.in_(cells))).all())
    rows, shades = [], []
    for provider_id in sorted(cells, key=lambda pid: names[pid]):
        cell = cells[provider_id]
        counts = [cell.get(kind, (0, 0)) for kind in kinds]
        rows.append(
            [names[provider_id], *(n for n, _ in counts), sum(n for n, _ in counts), cell["open"], cell["past"]]
        )
        shades.append([None, *(SHADE.get(w) for _, w in counts), None, None, "past" if cell["past"] else None])
    return Table(
        title=gettext("Violations by provider and kind"),
        columns=[
            Column(gettext("Provider")),
            *(Column(str(kind), Kind.NUMBER) for kind in kinds),
            Column(gettext("All"), Kind.NUMBER),
            Column(gettext("Open"), Kind.NUMBER),
            Column(gettext("Open past deadline"), Kind.NUMBER),
        ],
        rows=rows,
        shades=shades,
        chart=Chart("bar", 0, tuple(range(1, len(kinds) + 1)), stacked=True),
        note=gettext(
            "Violations found at inspections in the period. A cell's colour is its most severe violation: "
            "yellow minor, orange significant, red severe."
        ),
    )


@register(
    "supervision",
    _l("Supervision map"),
    _l("Providers and the kinds of violation found, coloured by severity; open and past-deadline ones counted."),
)
def build(start, end, today: date | None = None) -> Report:
    report = Report("supervision", gettext("Supervision map"), start, end)
    report.tables = [_map(start, end, today or date.today())]
    return report
