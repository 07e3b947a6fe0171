"""A delivery's invoice and what it locks: the month's confirmed invoice with a line of the delivery's
key stands for a link per delivery (``ServiceDelivery.invoice``), and the rules the database is asked
to keep whoever writes: an invoiced delivery never changes, a confirmed invoice is never deleted, a
party on an invoice is never deleted. Imported by ``models`` so that the relation and the listeners
are in place before anything is read or written."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import foreign, relationship

from .base import RuleViolation, db
from .catalogue import ServiceComponent
from .clients import Client
from .deliveries import ServiceDelivery
from .invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from .portable import month_of
from .providers import Provider

#: What makes a line: deliveries of one component to one client by one provider at one price.
LINE_KEYS = ("client_id", "provider_id", "component_id", "mode", "unit_price")


def line_of(delivery, line) -> list:
    """``line`` (InvoiceLine or a table of its columns) is of ``delivery``'s key: client, provider,
    component, mode and unit price."""
    return [getattr(line, k) == getattr(delivery, k) for k in LINE_KEYS]


def confirmed_for(delivery, invoice) -> list:
    """``invoice`` (Invoice or a table of its columns) is the confirmed invoice of ``delivery``'s month."""
    return [
        invoice.kind == InvoiceKind.INVOICE.value,
        invoice.status != InvoiceStatus.DRAFT.value,
        invoice.month == month_of(delivery.delivered_on),
    ]


# A delivery's invoice is not written per delivery (confirming a national month would write 80,000
# wide, many-indexed rows): it is its month's confirmed invoice, which has a line of the delivery's
# key. The month's invoice is one (uq_invoice_one_per_month); once it is confirmed, its month's
# deliveries on it never change (the rules below, the delivery's own rules and, whoever writes,
# the database's triggers), so its lines keep saying exactly which deliveries it bills.
_billing = Invoice.__table__.alias("billing")
_line = InvoiceLine.__table__
ServiceDelivery.invoice = relationship(
    Invoice,
    secondary=_line.join(_billing, _billing.c.id == _line.c.invoice_id),
    primaryjoin=sa.and_(
        *[foreign(_line.c[k]) == getattr(ServiceDelivery, k) for k in LINE_KEYS],
        *confirmed_for(ServiceDelivery, _billing.c),
    ),
    secondaryjoin=Invoice.id == foreign(_line.c.invoice_id),
    viewonly=True,
    uselist=False,
)


def invoice_number_of_deliveries():
    """SQL correlated to ``ServiceDelivery``: the number of the confirmed invoice it is on, or NULL;
    read as a column of many deliveries at once (the export), two index look-ups a delivery."""
    billing, line = Invoice.__table__.alias("billing_number"), InvoiceLine.__table__.alias("line_of_delivery")
    query = sa.select(billing.c.number).select_from(line.join(billing, billing.c.id == line.c.invoice_id))
    query = query.where(*line_of(ServiceDelivery, line.c), *confirmed_for(ServiceDelivery, billing.c))
    return query.limit(1).correlate(ServiceDelivery).scalar_subquery()


# A confirmed invoice's line holds its deliveries as a foreign key would (the database refuses to
# delete them while it is there): whatever empties the tables in their order empties lines first.
InvoiceLine.__table__.add_is_dependent_on(ServiceDelivery.__table__)


# The rules the database is asked to keep whoever writes: an invoiced delivery never changes, a
# confirmed invoice is never deleted, a party on an invoice is never deleted.


def _committed(target, attribute: str):
    history = sa.inspect(target).attrs[attribute].history
    values = [*history.deleted, *history.unchanged]
    return values[0] if values else None


def locking_invoice(delivery_id: int | None, connection=None) -> str | None:
    """The number of the confirmed invoice the delivery ``delivery_id`` is on as the database has it
    (before the change being checked is written), or None."""
    if delivery_id is None:
        return None
    delivery = ServiceDelivery.__table__
    query = (
        sa.select(_billing.c.number)
        .select_from(delivery)
        .join(_line, sa.and_(*line_of(delivery.c, _line.c)))
        .join(_billing, sa.and_(_billing.c.id == _line.c.invoice_id, *confirmed_for(delivery.c, _billing.c)))
        .where(delivery.c.id == delivery_id)
        .limit(1)
    )
    if connection is not None:
        return connection.scalar(query)
    with db.session.no_autoflush:
        return db.session.scalar(query)


def _refuse_locked_delivery(mapper, connection, target) -> None:
    number = locking_invoice(target.id, connection)
    if number is not None:
        raise RuleViolation(
            {"invoice": str(_l("This delivery is on invoice %(number)s and can no longer change.", number=number))}
        )


def _refuse_confirmed_invoice_delete(mapper, connection, target) -> None:
    if _committed(target, "status") not in (None, InvoiceStatus.DRAFT):
        raise RuleViolation({"status": str(_l("A confirmed invoice is never deleted; issue a credit note instead."))})


def _refuse_invoiced_party(column, label):
    def listener(mapper, connection, target) -> None:
        row = connection.execute(
            sa.select(Invoice.number, Invoice.month)
            .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
            .where(column == target.id)
            .order_by(Invoice.month.desc())
            .limit(1)
        ).first()
        number = None if row is None else row.number or f"{_l('draft')} {row.month:%m.%Y}"
        if number is not None:
            raise RuleViolation(
                {
                    "id": str(
                        _l(
                            "%(what)s %(name)s is on invoice %(number)s and cannot be deleted.",
                            what=label,
                            name=target,
                            number=number,
                        )
                    )
                }
            )
        deliveries = connection.scalar(
            sa.select(sa.func.count())
            .select_from(ServiceDelivery)
            .where(getattr(ServiceDelivery, column.key) == target.id)
        )
        if deliveries:
            raise RuleViolation(
                {
                    "id": str(
                        _l(
                            "%(what)s %(name)s has %(n)s recorded service deliveries and cannot be deleted.",
                            what=label,
                            name=target,
                            n=deliveries,
                        )
                    )
                }
            )

    return listener


sa.event.listen(ServiceDelivery, "before_update", _refuse_locked_delivery)
sa.event.listen(ServiceDelivery, "before_delete", _refuse_locked_delivery)
sa.event.listen(Invoice, "before_delete", _refuse_confirmed_invoice_delete)
sa.event.listen(Provider, "before_delete", _refuse_invoiced_party(InvoiceLine.provider_id, _l("Provider")))
sa.event.listen(
    ServiceComponent, "before_delete", _refuse_invoiced_party(InvoiceLine.component_id, _l("Service component"))
)
sa.event.listen(Client, "before_delete", _refuse_invoiced_party(InvoiceLine.client_id, _l("Client")))
