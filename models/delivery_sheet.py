"""Bulk entry of deliveries from an Excel sheet: every row checked, nothing saved unless all pass."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from .base import db
from .catalogue import PriceMode, ServiceComponent
from .clients import Client
from .deliveries import ServiceDelivery
from .delivery_rules import delivery_errors
from .providers import Provider

#: The columns of the sheet, in order, under a heading row.
COLUMNS = (
    _l("Personal ID code"),
    _l("Provider's registry code"),
    _l("Component code"),
    _l("Date"),
    _l("Period end"),
    _l("Quantity"),
    _l("Mode"),
    _l("Notes"),
)
MAX_ROWS = 5000


class SheetError(ValueError):
    """The file is not a sheet of deliveries at all."""


def _day(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(str(_l("'%(value)s' is not a date (dd.mm.yyyy).", value=text)))


def _quantity(value) -> Decimal:
    try:
        return Decimal(str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except (InvalidOperation, AttributeError):
        raise ValueError(str(_l("'%(value)s' is not a number.", value=value))) from None


def _modes() -> dict[str, PriceMode]:
    names = {}
    for mode in PriceMode:
        names[mode.value] = mode
        names[str(mode.label).lower()] = mode
    return names


def load_deliveries(stream, clients_where=None) -> tuple[int, list[tuple[int, str]]]:
    """Check every row of the first sheet in ``stream`` and save them all, or none. ``clients_where``
    limits the clients found (a case manager's scope): any other reads as no such client.

    Returns (rows saved, [(row number, problem), ...]); when any problem is found nothing is saved."""
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise SheetError(str(_l("The file is not an Excel workbook (.xlsx)."))) from None
    sheet = book.worksheets[0]
    clients, providers, components = {}, {}, {}
    modes = _modes()
    problems: list[tuple[int, str]] = []
    saved = 0
    try:
        for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), 2):
            values = list(row[: len(COLUMNS)]) + [None] * (len(COLUMNS) - len(row))
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            if number > MAX_ROWS + 1:
                problems.append((number, str(_l("At most %(n)s rows can be loaded at once.", n=MAX_ROWS))))
                break
            code, registry, component_code, day, end, quantity, mode, notes = values
            row_problems = []
            client = _find(clients, Client, Client.personal_code, code, clients_where)
            provider = _find(providers, Provider, Provider.registry_code, registry)
            component = _find(components, ServiceComponent, ServiceComponent.code, component_code)
            if client is None:
                row_problems.append(str(_l("No client with personal ID code %(value)s.", value=code or "—")))
            if provider is None:
                row_problems.append(str(_l("No provider with registry code %(value)s.", value=registry or "—")))
            if component is None:
                row_problems.append(str(_l("No service component with code %(value)s.", value=component_code or "—")))
            delivery = ServiceDelivery(client=client, provider=provider, component=component, notes=notes)
            try:
                delivery.delivered_on = _day(day)
                delivery.period_end = _day(end)
                delivery.quantity = _quantity(quantity)
            except ValueError as e:
                row_problems.append(str(e))
            chosen = modes.get(str(mode or PriceMode.INDIVIDUAL.value).strip().lower())
            if chosen is None:
                row_problems.append(str(_l("Unknown mode '%(value)s'.", value=mode)))
            delivery.mode = chosen or PriceMode.INDIVIDUAL
            if not row_problems and None not in (client, provider, component):
                row_problems.extend(delivery_errors(delivery).values())
            if row_problems:
                problems.extend((number, p) for p in row_problems)
                continue
            db.session.add(delivery)
            db.session.flush()  # so the next rows' yearly-cap check counts this one
            saved += 1
        if problems or not saved:
            db.session.rollback()
            if not problems:
                problems.append((0, str(_l("The sheet has no rows of deliveries under its heading row."))))
            return 0, problems
        db.session.commit()
        return saved, []
    except BaseException:
        db.session.rollback()
        raise
    finally:
        book.close()


def _find(cache: dict, model, column, value, where=None):
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed into a number cell
    key = str(value or "").strip()
    if not key:
        return None
    if key not in cache:
        with db.session.no_autoflush:
            query = sa.select(model).where(column == key)
            cache[key] = db.session.scalars(query if where is None else query.where(where)).first()
    return cache[key]
