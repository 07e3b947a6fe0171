"""Server time and SQL statements of each register's list page at a municipality's size.

Run with ``make bench``; prints a table, asserts nothing about speed.
"""

import statistics
import time
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event

from models import Client, ComponentPrice, Offer, Provider, ProviderStaff, ServiceComponent, codes, db

CLIENTS = 5000
PROVIDERS = 300
RUNS = 15
PAGES = [
    "/admin/clients/",
    "/admin/clients/?search=Karu12",
    "/admin/clients/?page_size=100",
    "/admin/providers/",
    "/admin/offers/",
    "/admin/service-components/",
    "/admin/procurements/",
]


def _fill():
    db.session.execute(
        sa.insert(Provider),
        [
            dict(
                registry_code=codes.make_registry_code("10", n),
                name=f"Teenus OÜ {n}",
                is_base_support=n % 3 == 0,
                is_component=True,
                is_supplementary=n % 2 == 0,
                active=True,
            )
            for n in range(PROVIDERS)
        ],
    )
    provider_ids = db.session.scalars(sa.select(Provider.id)).all()
    db.session.execute(
        sa.insert(ProviderStaff),
        [dict(provider_id=p, name=f"Töötaja {p}", certificate_valid_until=date(2027, 1, 1)) for p in provider_ids],
    )
    components = [
        ServiceComponent(code=f"K{n:03d}", name=f"Komponent {n}", area="other", unit="hour") for n in range(30)
    ]
    for c in components:
        c.prices.append(ComponentPrice(unit_price=Decimal("25.00"), valid_from=date(2026, 1, 1)))
    db.session.add_all(components)
    db.session.flush()
    db.session.execute(
        sa.insert(Offer),
        [
            dict(
                provider_id=provider_ids[n % len(provider_ids)],
                component_id=components[n % 30].id,
                asked_on=date(2026, 1 + n % 12, 1),
                status="asked",
                unit="hour",
            )
            for n in range(2000)
        ],
    )
    rows = []
    for n in range(CLIENTS):
        born = date(1960 + n % 45, 1 + n % 12, 1 + n % 28)
        sex = "MF"[n % 2]
        rows.append(
            dict(
                personal_code=codes.make_personal_code(born, sex, n),
                first_name="Kati",
                last_name=f"Karu{n}",
                birth_date=born,
                sex=sex,
                target_group="pilot",
                status="applicant",
                disability="severe",
                base_provider_id=provider_ids[n % len(provider_ids)],
            )
        )
    db.session.execute(sa.insert(Client), rows)
    db.session.commit()


def test_list_pages(app, login_as):
    with app.app_context():
        _fill()
    client = login_as("head")
    statements = []

    def count(*args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    print(f"\n{app.config['BACKEND']}: {CLIENTS} clients, {PROVIDERS} providers, 2000 offers; {RUNS} runs each")
    print(f"{'page':45} {'median ms':>10} {'p95 ms':>8} {'SQL':>5}")
    for url in PAGES:
        timings = []
        for _ in range(RUNS):
            statements.clear()
            event.listen(engine, "before_cursor_execute", count)
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            event.remove(engine, "before_cursor_execute", count)
            assert response.status_code == 200
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
        print(f"{url:45} {statistics.median(timings):10.1f} {p95:8.1f} {len(statements):5d}")
