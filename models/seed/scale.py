"""A national register's worth of data for ``flask --app admin_app seed-scale``.

Believable and valid, never real people: personal codes and registry codes carry valid check
digits, clients eligible for the pilot are the only participants, every delivery is priced from
the price list of its day by a provider under a signed contract, and its amount is quantity ×
unit price rounded half up. Reference data (municipalities, the catalogue, providers,
procurements, case managers) goes through the ORM; clients, deliveries and case work are
written in bulk (``models.seed.bulk``: COPY on PostgreSQL), so 100,000 clients and a million
deliveries take minutes.
"""

import random
import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from .. import codes
from ..base import db
from ..casework import Assessment, CaseStep, Counselling, LifeArea, NeedLevel
from ..catalogue import ServiceComponent
from ..clients import Client
from ..deliveries import ServiceDelivery, line_amount
from ..invoices import month_end, month_start
from ..procurements import Procurement, procurement_components
from ..providers import Municipality, Provider
from ..users import User
from . import demo_data as data
from .bulk import insert_rows, reset_sequences
from .demo import _components, _municipalities

SEED = 7
MONTHS = 12
# Components with a yearly cap are left out: random deliveries could pass it.
DELIVERED = ("ISTE-01", "ISTE-02", "ISTE-03", "ISTE-04", "ISTE-05", "ISTE-07", "ISTE-09", "ISTE-10", "ISTE-12")
QUANTITIES = [Decimal(n) / 2 for n in range(1, 13)]  # 0.5 … 6 units
CONTRACT = (date(2024, 1, 1), date(2027, 12, 31))
# Reference data the migrations ship: --force-empty keeps it.
SHIPPED = ("qol_instrument", "qol_item")
AREAS = tuple(area.value for area in LifeArea)


def is_empty() -> bool:
    """True when the database holds no clients, providers or deliveries."""
    tables = (Client, Provider, ServiceDelivery)
    return not any(db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables)


def seed(
    clients: int,
    deliveries: int,
    *,
    new_user: Callable[..., User],
    today: date | None = None,
    echo: Callable = print,
) -> dict[str, int]:
    """Fill an empty database; return how many rows of each kind were written. The roles must exist;
    ``new_user(email, password, roles, full_name)`` adds a user to the session (the web layer's)."""
    today = today or date.today()
    rng = random.Random(SEED)
    municipalities = list(_municipalities().values())
    components = _components()
    managers = _case_managers(max(3, clients // 2500), new_user)
    providers = _providers(rng, max(12, clients // 500), municipalities)
    db.session.flush()
    suppliers = _contracts(rng, providers, components)
    db.session.flush()
    counts = {"providers": len(providers), "case managers": len(managers)}
    echo(f"reference data: {len(municipalities)} municipalities, {len(providers)} providers")

    base = [p.id for p in providers if p.is_base_support]
    first_id = (db.session.scalar(sa.select(sa.func.max(Client.id))) or 0) + 1
    rows = _client_rows(rng, first_id, clients, today, [m.id for m in municipalities], [u.id for u in managers], base)
    counts["clients"] = insert_rows(Client.__table__, CLIENT_COLUMNS, rows)
    reset_sequences(Client.__table__)
    echo(f"clients: {counts['clients']}")

    participants = db.session.execute(
        sa.select(Client.id, Client.case_manager_id, Client.applied_on)
        .where(Client.target_group == "pilot", Client.status == "active")
        .order_by(Client.id)
    ).all()
    if participants and deliveries:
        months = _months(today)
        rows = _delivery_rows(rng, deliveries, [p.id for p in participants], months, suppliers, components)
        counts["deliveries"] = insert_rows(ServiceDelivery.__table__, DELIVERY_COLUMNS, rows)
        echo(f"deliveries: {counts['deliveries']} in {months[0]:%m.%Y}–{months[-1]:%m.%Y}")
    counts.update(_casework(rng, participants, today))
    echo(f"case work: {counts['case steps']} steps, {counts['assessments']} assessments")
    db.session.commit()
    return counts


def _case_managers(n: int, new_user: Callable[..., User]) -> list[User]:
    """Case managers who own the clients; they sign in only after an admin sets a password."""
    users = []
    for i in range(n):
        first, last = data.FEMALE[i % len(data.FEMALE)], data.LAST[(i * 7) % len(data.LAST)]
        email = f"juhtumikorraldaja{i + 1}@scale.example"
        user = db.session.scalar(sa.select(User).where(User.email == email))
        users.append(user or new_user(email, secrets.token_urlsafe(24), ["case_manager"], f"{first} {last}"))
    db.session.flush()  # the clients' rows name their case manager by id
    return users


def _providers(rng: random.Random, n: int, municipalities: list[Municipality]) -> list[Provider]:
    kinds = ("Tugikeskus MTÜ", "Hoolekandeteenused OÜ", "Päevakeskus SA", "Teraapiakeskus OÜ", "Kogukonnateenused OÜ")
    providers = []
    for i in range(n):
        place = municipalities[i % len(municipalities)]
        town = place.name.removesuffix(" vald")
        provider = Provider(
            registry_code=codes.make_registry_code(("10", "11", "12", "80", "90")[i % 5], 50000 + i),
            name=f"{town} {kinds[i % len(kinds)]} {i // len(kinds) + 1}",
            municipality=place,
            contact_person=f"{rng.choice(data.FEMALE + data.MALE)} {rng.choice(data.LAST)}",
            email=f"info{i}@teenus.example",
            iban=codes.make_iban("22", 1_000_000 + i),
            is_base_support=i % 3 == 0,
            is_component=True,
            is_supplementary=i % 4 == 0,
        )
        db.session.add(provider)
        providers.append(provider)
    return providers


def _contracts(rng, providers: list[Provider], components: dict[str, ServiceComponent]) -> dict[str, list[int]]:
    """One contracted procurement per delivered component, won by a few providers each (one winner
    per procurement, so several procurements per component); returns the providers per code."""
    suppliers: dict[str, list[int]] = {}
    number = 400000
    for code in DELIVERED:
        for provider in rng.sample(providers, k=min(3, len(providers))):
            number += 1
            procurement = Procurement(
                reference_number=str(number),
                title=f"{components[code].name}: raamleping {provider.name}",
                procedure_type="simple",
                estimated_value=Decimal("45000.00"),
                status="contracted",
                published_on=date(2023, 10, 2),
                tender_deadline=date(2023, 10, 23),
                decision_on=date(2023, 11, 13),
                contract_on=date(2023, 12, 4),
                contract_start=CONTRACT[0],
                contract_end=CONTRACT[1],
                winner=provider,
                components=[components[code]],
            )
            db.session.add(procurement)
            suppliers.setdefault(code, []).append(provider)
    db.session.flush()
    return {code: [p.id for p in found] for code, found in suppliers.items()}


CLIENT_COLUMNS = (
    "id",
    "personal_code",
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address",
    "municipality_id",
    "target_group",
    "case_manager_id",
    "status",
    "applied_on",
    "entry_date",
    "exit_date",
    "exit_reason",
    "consent_given",
    "consent_date",
    "base_provider_id",
    "disability",
    "main_diagnosis",
    "on_state_services",
    "in_other_project",
)
STREETS = ("Tamme", "Kase", "Pärna", "Vahtra", "Kooli", "Aia", "Pargi", "Jaama", "Tallinna", "Pikk", "Mäe")
EARLIEST_BIRTH = date(1966, 1, 1)
BIRTH_DAYS = (date(2006, 12, 31) - EARLIEST_BIRTH).days  # aged 19 to 60 in 2026


def _client_rows(rng, first_id, n, today, municipality_ids, manager_ids, base_ids) -> Iterator[tuple]:
    """Clients: two thirds pilot participants (eligible, mostly active), the rest youth and special
    needs. Client ``i`` is born on day ``i mod BIRTH_DAYS`` with serial ``i div BIRTH_DAYS``, so
    personal codes never repeat."""
    for i in range(n):
        sex = "MF"[rng.random() < 0.5]
        born = EARLIEST_BIRTH + timedelta(days=i % BIRTH_DAYS)
        first = rng.choice(data.FEMALE if sex == "F" else data.MALE)
        last = rng.choice(data.LAST)
        roll = rng.random()
        group = "pilot" if roll < 0.67 else ("youth" if roll < 0.85 else "special_needs")
        applied = today - timedelta(days=rng.randint(450, 2000))
        status, entry, exit_on, reason = "active", applied + timedelta(days=rng.randint(10, 40)), None, None
        state = rng.random()
        if state < 0.08:
            status, entry = "applicant", None
        elif state < 0.14:
            status, exit_on = "exited", today - timedelta(days=rng.randint(30, 300))
            reason = rng.choice(("goals_met", "moved", "declined", "state_service"))
        elif state < 0.17:
            status = "paused"
        diagnosis = rng.choice(data.PILOT_DIAGNOSES) if group == "pilot" else None
        disability = rng.choice(("severe", "profound", "permanent")) if group == "pilot" else "none"
        yield (
            first_id + i,
            codes.make_personal_code(born, sex, i // BIRTH_DAYS),
            first,
            last,
            born,
            sex,
            f"5{rng.randint(1000000, 9999999)}",
            None,
            f"{rng.choice(STREETS)} tn {rng.randint(1, 60)}",
            rng.choice(municipality_ids),
            group,
            manager_ids[i % len(manager_ids)],
            status,
            applied,
            entry,
            exit_on,
            reason,
            True,
            applied,
            rng.choice(base_ids) if group == "pilot" and base_ids else None,
            disability,
            diagnosis,
            False,
            False,
        )


DELIVERY_COLUMNS = (
    "client_id",
    "provider_id",
    "component_id",
    "mode",
    "delivered_on",
    "quantity",
    "unit_price",
    "amount",
)


def _months(today: date) -> list[date]:
    """The first days of the last ``MONTHS`` full months, oldest first."""
    first, months = month_start(today), []
    for _ in range(MONTHS):
        first = month_start(first - timedelta(days=1))
        months.append(first)
    return months[::-1]


def _delivery_rows(rng, n, client_ids, months, suppliers, components) -> Iterator[tuple]:
    """``n`` deliveries spread evenly over ``months`` to active participants who entered before
    them; each client keeps its provider per component, as a person does."""
    priced = {}
    for code in DELIVERED:
        component = components[code]
        for mode in {p.mode for p in component.prices}:
            priced[(code, mode)] = component
    choices = sorted(priced)
    for i in range(n):
        first = months[i % len(months)]
        day = first + timedelta(days=rng.randint(0, (month_end(first) - first).days))
        client = client_ids[rng.randrange(len(client_ids))]
        code, mode = choices[(client + i // len(client_ids)) % len(choices)]
        component = priced[(code, mode)]
        provider = suppliers[code][client % len(suppliers[code])]
        unit_price = component.price_on(day, mode).unit_price
        quantity = rng.choice(QUANTITIES)
        yield (client, provider, component.id, mode, day, quantity, unit_price, line_amount(quantity, unit_price))


LEVEL_COLUMNS = tuple(f"{area}_level" for area in AREAS)
NEED_LEVELS = tuple(NeedLevel)


def _casework(rng, participants, today: date) -> dict[str, int]:
    """For every participant the steps of an opened case (application, assessment, decision) and an
    assessment; for one in ten counselling too. The first participant is the busy one."""
    steps, assessments, counselling = [], [], []
    for n, (client_id, manager_id, applied) in enumerate(participants):
        steps.append((client_id, "application", applied, manager_id))
        assessed = applied + timedelta(days=rng.randint(3, 9))
        steps.append((client_id, "assessed", assessed, manager_id))
        steps.append((client_id, "decision", assessed + timedelta(days=2), manager_id))
        levels = [rng.choice(NEED_LEVELS) for _ in LEVEL_COLUMNS]
        assessments.append((client_id, assessed, manager_id, "Abivajadus hinnatud.", "services", *levels))
        times = 40 if n == 0 else (rng.randint(1, 4) if n % 10 == 0 else 0)
        for _ in range(times):
            held = today - timedelta(days=rng.randint(1, 365))
            topic = rng.choice(("rehabilitation", "special_welfare", "public_services", "social_rights"))
            counselling.append(("client", client_id, topic, rng.choice(("meeting", "phone")), held, manager_id))
    return {
        "case steps": insert_rows(CaseStep.__table__, ("client_id", "kind", "done_on", "by_id"), steps),
        "assessments": insert_rows(
            Assessment.__table__,
            ("client_id", "assessed_on", "assessor_id", "summary", "decision", *LEVEL_COLUMNS),
            assessments,
        ),
        "counselling": insert_rows(
            Counselling.__table__, ("party", "client_id", "topic", "channel", "held_on", "by_id"), counselling
        ),
    }


def busiest_client() -> int | None:
    """The client with the most deliveries (the case file a benchmark opens)."""
    return db.session.scalar(
        sa.select(ServiceDelivery.client_id)
        .group_by(ServiceDelivery.client_id)
        .order_by(sa.func.count().desc(), ServiceDelivery.client_id)
        .limit(1)
    )


__all__ = ["busiest_client", "is_empty", "seed", "procurement_components"]
