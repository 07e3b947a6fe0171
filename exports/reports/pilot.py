"""The SKA pilot report: participants at the start and end of the period, who entered and who left
(and why), by target group; the services paid for, by component, by area and by provider, in units
and euros; the information materials forwarded or published."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from exports.tabular import Column, Kind
from models import Area, Client, ExitReason, Material, MaterialKind, Provider, ServiceComponent, TargetGroup, db
from models.deliveries import ServiceDelivery as D
from models.invoicing import payable

from .report import Chart, Report, Table, register


def _counts(column, *where) -> dict:
    return dict(db.session.execute(sa.select(column, sa.func.count()).where(*where).group_by(column)).all())


def _participants(start, end) -> Table:
    entered_by = Client.entry_date.is_not(None)
    at_start = _counts(
        Client.target_group,
        entered_by,
        Client.entry_date < start,
        sa.or_(Client.exit_date.is_(None), Client.exit_date >= start),
    )
    entered = _counts(Client.target_group, Client.entry_date.between(start, end))
    left = _counts(Client.target_group, entered_by, Client.exit_date.between(start, end))
    at_end = _counts(
        Client.target_group,
        entered_by,
        Client.entry_date <= end,
        sa.or_(Client.exit_date.is_(None), Client.exit_date > end),
    )
    rows = [[str(g), at_start.get(g, 0), entered.get(g, 0), left.get(g, 0), at_end.get(g, 0)] for g in TargetGroup]
    rows.append([gettext("All"), *(sum(r[i] for r in rows) for i in range(1, 5))])
    return Table(
        gettext("Participants"),
        [
            Column(gettext("Target group")),
            Column(gettext("At the start"), Kind.NUMBER),
            Column(gettext("Entered"), Kind.NUMBER),
            Column(gettext("Left"), Kind.NUMBER),
            Column(gettext("At the end"), Kind.NUMBER),
        ],
        rows,
        Chart("column", 0, (1, 4)),
        gettext(
            "At the start: entered before the first day and not left before it. At the end: entered by the last "
            "day and not left by it. At the start + entered − left = at the end."
        ),
    )


def _left(start, end) -> Table:
    found = _counts(Client.exit_reason, Client.entry_date.is_not(None), Client.exit_date.between(start, end))
    rows = [[str(reason), found.get(reason, 0)] for reason in ExitReason]
    if found.get(None):
        rows.append([gettext("Not given"), found[None]])
    return Table(
        gettext("Who left, and why"),
        [Column(gettext("Reason")), Column(gettext("Participants"), Kind.NUMBER)],
        rows,
        Chart("bar", 0, (1,)),
    )


def _delivered(start, end):
    """Deliveries of the period that SKA pays for (the invoice's own rule)."""
    return payable(start, end)


def _services_by_component(start, end) -> Table:
    rows = db.session.execute(
        sa.select(
            ServiceComponent.code,
            ServiceComponent.name,
            ServiceComponent.area,
            ServiceComponent.unit,
            sa.func.sum(D.quantity),
            sa.func.sum(D.amount),
        )
        .join(D.component)
        .where(_delivered(start, end))
        .group_by(
            ServiceComponent.id,
            ServiceComponent.code,
            ServiceComponent.name,
            ServiceComponent.area,
            ServiceComponent.unit,
        )
        .order_by(ServiceComponent.code)
    ).all()
    return Table(
        gettext("Services by component"),
        [
            Column(gettext("Component")),
            Column(gettext("Area")),
            Column(gettext("Unit")),
            Column(gettext("Units"), Kind.NUMBER),
            Column(gettext("Euros"), Kind.MONEY),
        ],
        [
            [f"{code} {name}", str(area), str(unit), _cents(units), _cents(euros)]
            for code, name, area, unit, units, euros in rows
        ],
        Chart("bar", 0, (4,)),
    )


def _services_by_area(start, end) -> Table:
    found = {
        area: (units, euros)
        for area, units, euros in db.session.execute(
            sa.select(ServiceComponent.area, sa.func.sum(D.quantity), sa.func.sum(D.amount))
            .join(D.component)
            .where(_delivered(start, end))
            .group_by(ServiceComponent.area)
        )
    }
    rows = [[str(area), *(_cents(v) for v in found[area])] for area in Area if area in found]
    return Table(
        gettext("Services by area"),
        [Column(gettext("Area")), Column(gettext("Units"), Kind.NUMBER), Column(gettext("Euros"), Kind.MONEY)],
        rows,
        Chart("bar", 0, (2,)),
    )


def _services_by_provider(start, end) -> Table:
    rows = db.session.execute(
        sa.select(
            Provider.name, sa.func.count(sa.distinct(D.client_id)), sa.func.sum(D.quantity), sa.func.sum(D.amount)
        )
        .join(D.provider)
        .where(_delivered(start, end))
        .group_by(Provider.id, Provider.name)
        .order_by(Provider.name)
    ).all()
    return Table(
        gettext("Services by provider"),
        [
            Column(gettext("Provider")),
            Column(gettext("Participants served"), Kind.NUMBER),
            Column(gettext("Units"), Kind.NUMBER),
            Column(gettext("Euros"), Kind.MONEY),
        ],
        [[name, clients, _cents(units), _cents(euros)] for name, clients, units, euros in rows],
        Chart("bar", 0, (3,)),
    )


def _materials(start, end) -> Table:
    found = _counts(Material.kind, Material.sent_on.between(start, end))
    return Table(
        gettext("Information materials"),
        [Column(gettext("Kind")), Column(gettext("Number"), Kind.NUMBER)],
        [[str(kind), found.get(kind, 0)] for kind in MaterialKind],
        Chart("bar", 0, (1,)),
    )


def _cents(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


@register(
    "ska-pilot",
    _l("SKA pilot report"),
    _l(
        "Participants at the start and end, who entered and who left; services by component, area and provider "
        "in units and euros; information materials."
    ),
)
def build(start, end) -> Report:
    report = Report("ska-pilot", gettext("SKA pilot report"), start, end)
    report.tables = [
        _participants(start, end),
        _left(start, end),
        _services_by_component(start, end),
        _services_by_area(start, end),
        _services_by_provider(start, end),
        _materials(start, end),
    ]
    return report
