"""Demo service deliveries: the last three full months of the pilot's participants, ready to invoice.

Only combinations the rules allow are made: the contracted provider's components at price-list
rates, and the accepted offers' components at the offer's price. Every delivery is put through
``delivery_errors``, which prices it; one that breaks a rule stops the demo load.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from ..base import RuleViolation, db
from ..clients import Client, ClientStatus, TargetGroup
from ..deliveries import ServiceDelivery, accepted_offer, active_on, contracted
from ..delivery_rules import delivery_errors
from ..invoices import month_end, month_start

# (component code, mode, quantity range per delivery, deliveries a month, share of participants)
PLAN = [
    ("ISTE-04", "individual", (2, 6), (2, 4), 0.8),
    ("ISTE-01", "individual", (1, 2), (1, 2), 0.5),
    ("ISTE-02", "group", (1.5, 3), (1, 3), 0.35),
    ("ISTE-08", "individual", (2, 4), (1, 2), 0.25),
    ("ISTE-09", "individual", (1, 1.5), (1, 3), 0.3),
    ("ISTE-06", "individual", (1, 1), (1, 1), 0.05),
]
MONTHS = 3


def load(today: date, clients: list[Client], providers: dict, components: dict, seed: int) -> int:
    """Record the deliveries of the last ``MONTHS`` full months; return how many."""
    rng = random.Random(seed)
    participants = [c for c in clients if c.target_group == TargetGroup.PILOT and c.status != ClientStatus.APPLICANT]
    suppliers = {code: _supplier(code, providers, components, today) for code, *_ in PLAN}
    made = 0
    first = month_start(today)
    for _ in range(MONTHS):
        first = month_start(first - timedelta(days=1))
        last = month_end(first)
        for client in participants:
            for code, mode, quantity, per_month, share in PLAN:
                provider = suppliers[code]
                if provider is None or rng.random() > share:
                    continue
                for _n in range(rng.randint(*per_month)):
                    day = first + timedelta(days=rng.randint(0, (last - first).days))
                    if not active_on(client, day) or not _may_deliver(provider, components[code], day):
                        continue
                    amount = Decimal(str(round(rng.uniform(*quantity) * 2) / 2))
                    d = ServiceDelivery(
                        client=client,
                        provider=provider,
                        component=components[code],
                        mode=mode,
                        delivered_on=day,
                        quantity=amount,
                    )
                    errors = delivery_errors(d)
                    if errors:
                        raise RuleViolation(errors)
                    db.session.add(d)
                    db.session.flush()  # the yearly cap of the next one counts this one
                    made += 1
    return made


def _may_deliver(provider, component, day: date) -> bool:
    return accepted_offer(provider.id, component.id, day) is not None or contracted(provider.id, component.id, day)


def _supplier(code: str, providers: dict, components: dict, today: date):
    """The provider that may deliver ``code`` now (a contract or an accepted offer), if any."""
    component = components.get(code)
    if component is None:
        return None
    for provider in sorted(providers.values(), key=lambda p: p.name):
        if provider.id is not None and _may_deliver(provider, component, today - timedelta(days=1)):
            return provider
    return None


def invoice_earlier_months(today: date, by) -> int:
    """The two earlier months invoiced as the office would have done it: the oldest confirmed, sent
    and paid, the next confirmed and sent; last month is left for the head to invoice. Returns 2."""
    from ..invoicing import confirm_invoice, generate_invoice, mark_paid, mark_sent

    months, first = [], month_start(today)
    for _ in range(MONTHS):
        first = month_start(first - timedelta(days=1))
        months.append(first)
    for month in (months[-1], months[-2]):
        invoice = generate_invoice(month, by=by)
        confirm_invoice(invoice, by=by, today=month_end(month) + timedelta(days=5))
        mark_sent(invoice, by=by)
        if month == months[-1]:
            mark_paid(invoice, by=by)
    return 2
