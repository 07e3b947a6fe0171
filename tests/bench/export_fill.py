"""The export benchmark's data: a scratch database filled by bulk inserts (``export_bench``)."""

import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

FIRST = ("Mari", "Jüri", "Kati", "Peeter", "Anu", "Toomas", "Liis", "Märt", "Õie", "Ülle")
LAST = ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel")


def _environment(database: str, instance: Path) -> None:
    os.environ["DATABASE_URL"] = database
    os.environ["JUHTUM_INSTANCE"] = str(instance)
    os.environ["JUHTUM_CONFIG"] = "development"
    os.environ["JUHTUM_LANGUAGE"] = "et"


def _app():
    import logging

    from admin_app import create_app

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def fill(database: str, instance: Path, clients: int, deliveries: int = 0) -> None:
    """Schema by the migrations, then ``clients`` clients by bulk inserts of 10,000 rows."""
    _environment(database, instance)
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from models import Client, Municipality, User, codes, db

    app = _app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            downgrade(revision="base")
        upgrade()
        db.session.add_all(Municipality(name=f"Vald {n}", county="Raplamaa") for n in range(20))
        db.session.add_all(
            User(
                email=f"kj{n}@vald.ee",
                full_name=f"Juhtumikorraldaja {n}",
                active=True,
                fs_uniquifier=f"bench-{n}",
                password="x",
            )
            for n in range(10)
        )
        db.session.commit()
        municipalities = db.session.scalars(sa.select(Municipality.id)).all()
        managers = db.session.scalars(sa.select(User.id)).all()
        start = time.perf_counter()
        batch = []
        for n in range(clients):
            born = date(1950, 1, 1) + timedelta(days=(n * 37) % (365 * 55))
            sex = "F" if n % 2 else "M"
            entered = date(2024, 1, 1) + timedelta(days=n % 900) if n % 4 else None
            batch.append(
                dict(
                    personal_code=codes.make_personal_code(born, sex, n),
                    birth_date=born,
                    sex=sex,
                    first_name=FIRST[n % len(FIRST)],
                    last_name=f"{LAST[(n // 10) % len(LAST)]}{n}",
                    target_group=("pilot", "youth", "special_needs")[n % 3],
                    status="active" if entered else "applicant",
                    entry_date=entered,
                    applied_on=(entered or date(2026, 1, 1)) - timedelta(days=30),
                    municipality_id=municipalities[n % len(municipalities)],
                    case_manager_id=managers[n % len(managers)],
                    disability="severe",
                    phone=f"+372 5{n % 10_000_000:07d}",
                )
            )
            if len(batch) == 10_000:
                db.session.execute(sa.insert(Client), batch)
                batch = []
        if batch:
            db.session.execute(sa.insert(Client), batch)
        db.session.commit()
        print(f"filled {clients:,} clients in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        if deliveries:
            _fill_deliveries(deliveries)


def _fill_deliveries(count: int) -> None:
    """``count`` deliveries over twelve months, spread over the clients, 20 providers and 12 components."""
    from decimal import ROUND_HALF_UP, Decimal

    import sqlalchemy as sa

    from models import Client, Provider, ServiceComponent, ServiceDelivery, codes, db

    start = time.perf_counter()
    db.session.execute(
        sa.insert(Provider),
        [
            dict(registry_code=codes.make_registry_code("10", n), name=f"Teenus OÜ {n}", is_component=True, active=True)
            for n in range(20)
        ],
    )
    db.session.execute(
        sa.insert(ServiceComponent),
        [dict(code=f"ISTE-{n:02d}", name=f"Teenuskomponent {n}", area="mental_health", unit="hour") for n in range(12)],
    )
    providers = db.session.scalars(sa.select(Provider.id)).all()
    components = db.session.scalars(sa.select(ServiceComponent.id)).all()
    clients = db.session.scalars(sa.select(Client.id).where(Client.entry_date.is_not(None))).all()
    batch = []
    for n in range(count):
        price = Decimal(20 + (n % 7) * 5)
        quantity = Decimal(1 + n % 4) + Decimal("0.5") * (n % 2)
        batch.append(
            dict(
                client_id=clients[n % len(clients)],
                provider_id=providers[n % len(providers)],
                component_id=components[n % len(components)],
                mode="individual",
                delivered_on=date(2025, 12, 1) + timedelta(days=n % 365),
                quantity=quantity,
                unit_price=price,
                amount=(quantity * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            )
        )
        if len(batch) == 20_000:
            db.session.execute(sa.insert(ServiceDelivery), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(ServiceDelivery), batch)
    db.session.commit()
    print(f"filled {count:,} deliveries in {time.perf_counter() - start:.1f} s", file=sys.stderr)
