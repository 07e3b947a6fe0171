"""The rules of a service delivery, checked on every path that saves one: a positive quantity,
dates inside one month and not in the future, a month not yet invoiced, a client taking part, a price
from the price list or an accepted offer, and the component's yearly cap. They read both the
delivery and the invoices, so they live here, above ``deliveries`` and ``invoices``, and neither of
those imports the other's rules."""

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .base import db, money
from .catalogue import PriceMode
from .deliveries import ServiceDelivery, active_on, line_amount, price_for
from .invoice_locks import locking_invoice
from .invoices import invoiced_month


def delivery_errors(d: ServiceDelivery) -> dict[str, str]:
    """What is wrong with a delivery, by field; sets its unit price and amount when all is well."""
    errors: dict[str, str] = {}
    number = locking_invoice(d.id)
    if number is not None:
        return {"quantity": str(_l("This delivery is on invoice %(number)s and can no longer change.", number=number))}
    try:
        quantity = None if d.quantity is None else Decimal(d.quantity)
    except (InvalidOperation, TypeError):
        quantity = None
    if quantity is None or not quantity.is_finite() or quantity <= 0:
        errors["quantity"] = str(_l("The quantity must be greater than zero."))
    elif quantity != quantity.quantize(Decimal("0.01")):
        errors["quantity"] = str(_l("Give the quantity with at most two decimals."))
    day = d.delivered_on
    if day is None:
        errors["delivered_on"] = str(_l("Give the day of the delivery (or the first day of the period)."))
    elif d.period_end is not None:
        if d.period_end < day:
            errors["period_end"] = str(_l("The period ends before it starts."))
        elif (d.period_end.year, d.period_end.month) != (day.year, day.month):
            errors["period_end"] = str(_l("A period must stay within one calendar month, as invoices are monthly."))
    if day is not None and day > date.today():
        errors["delivered_on"] = str(_l("A delivery cannot be recorded for a day in the future."))
    elif day is not None:
        month = invoiced_month(day)
        if month is not None:
            errors["delivered_on"] = str(
                _l("%(month)s is already invoiced (invoice %(number)s).", month=f"{day:%m.%Y}", number=month)
            )
    if d.client is not None and day is not None and not active_on(d.client, day):
        errors["client"] = str(
            _l("%(client)s was not an active client on %(day)s.", client=d.client, day=f"{day:%d.%m.%Y}")
        )
    if d.provider is not None and d.component is not None and day is not None:
        try:
            d.unit_price, d.offer = price_for(d.provider, d.component, day, d.mode or PriceMode.INDIVIDUAL)
        except LookupError as e:
            errors["component"] = str(e)
    if not errors:
        d.amount = line_amount(quantity, d.unit_price)
        cap_error = _over_yearly_cap(d)
        if cap_error:
            errors["quantity"] = cap_error
    return errors


def _over_yearly_cap(d: ServiceDelivery) -> str | None:
    """Why the delivery would take the client past the component's yearly cap, if it would."""
    cap = d.component.yearly_cap
    if cap is None:
        return None
    year = d.delivered_on.year
    query = sa.select(sa.func.coalesce(sa.func.sum(ServiceDelivery.amount), 0)).where(
        ServiceDelivery.client_id == d.client.id,
        ServiceDelivery.component_id == d.component.id,
        ServiceDelivery.delivered_on.between(date(year, 1, 1), date(year, 12, 31)),
    )
    if d.id is not None:
        query = query.where(ServiceDelivery.id != d.id)
    with db.session.no_autoflush:
        used = Decimal(db.session.scalar(query))
    if used + d.amount > cap:
        return str(
            _l(
                "This would exceed the yearly cap of %(cap)s € for %(component)s (%(used)s € used in %(year)s).",
                cap=cap,
                component=d.component,
                used=money(used),
                year=year,
            )
        )
    return None
