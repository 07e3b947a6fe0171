"""Demo data: a believable Rapla vald for ``flask --app admin_app seed-demo``.

Every person, company and code is invented: personal codes, registry codes and IBANs are
generated with valid check digits from a fixed random seed, so the data is the same on
every run (dates that must stay meaningful, such as certificate expiry and offer validity,
are counted from today). Everything is loaded in one transaction and every record is put
through the domain's rule function first, so a failure leaves nothing half-loaded.

The demo users get random passwords, written once to ``demo-logins.txt`` under the
instance folder (readable by the owner only) and shown by ``print_logins``.
"""

import os
import random
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy import select

from .. import codes
from ..access import Substitution, substitution_errors
from ..base import RuleViolation, db
from ..catalogue import ComponentPrice, ServiceComponent, component_errors
from ..clients import Client, NetworkMember, client_errors
from ..offers import Offer, offer_errors
from ..procurements import Bid, Procurement, procurement_errors
from ..providers import Municipality, Provider, ProviderStaff, municipality_errors, provider_errors
from ..users import User
from ..youth_guarantee import mail_template
from . import demo_casework, demo_deliveries, demo_letters, demo_youth
from . import demo_data as data

SEED = 2026
LOGINS_FILE = "demo-logins.txt"
_ASCII = str.maketrans("äöõüšžÄÖÕÜŠŽ", "aoouszAOOUSZ")


def load(instance_path, new_user: Callable[..., User]) -> str:
    """Load the demo municipality into the database; return a one-paragraph summary.

    Municipalities, service components and users that already exist (by name, code or
    e-mail) are reused as they are; an existing user's password is left alone. The roles must
    exist; ``new_user(email, password, roles, full_name)`` adds a user to the session (the web
    layer's, which hashes the password as sign-in expects).
    """
    rng = random.Random(SEED)
    today = date.today()
    logins_path = Path(instance_path) / LOGINS_FILE
    pending = None
    try:
        users, logins = _users(read_logins(instance_path), new_user)
        municipalities = _municipalities()
        providers = _providers(rng, municipalities)
        components = _components()
        db.session.flush()  # the procurement rules compare bidders by id
        procurements = _procurements(today, providers, components)
        offers = _offers(today, providers, components)
        clients = _clients(rng, today, municipalities, providers, users)
        db.session.flush()
        casework = demo_casework.load(rng, today, clients, providers, users)
        db.session.flush()  # pricing a delivery looks up contracts and offers in the database
        deliveries = demo_deliveries.load(today, clients, providers, components, SEED + 4)
        letters = demo_letters.load(today, clients, users)
        _holiday(today, users)
        mail_template()  # the youth guarantee's first-contact e-mail, there for the head to edit
        demo_youth.load(today, [u for u in users.values() if u.has_any_role(["case_manager"])])
        pending = _write_logins(logins_path, logins)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if pending:
            pending.unlink(missing_ok=True)
        raise
    os.replace(pending, logins_path)
    head = next(users[email] for role, email, _ in data.USERS if role == "head")
    invoices = demo_deliveries.invoice_earlier_months(today, head)
    staff = sum(len(p.staff) for p in providers.values())
    prices = sum(len(c.prices) for c in components.values())
    bids = sum(len(p.bids) for p in procurements)
    network = sum(len(c.network) for c in clients)
    return (
        f"Loaded demo data for {data.MUNICIPALITIES[0][0]}: {len(municipalities)} municipalities, "
        f"{len(providers)} providers ({staff} staff), {len(components)} service components ({prices} prices), "
        f"{len(procurements)} procurements ({bids} tenders), {len(offers)} offers, "
        f"{len(clients)} clients ({network} network members) and {len(users)} users. "
        f"{demo_casework.summary(casework)} {letters} citizens' letters. "
        f"{deliveries} service deliveries in the last {demo_deliveries.MONTHS} months: "
        f"{invoices} months invoiced, the last ready to invoice. "
        f"The demo sign-ins are in {logins_path} (readable by you only)."
    )


def print_logins(instance_path) -> None:
    """Print the demo sign-ins kept in the instance folder; nothing when there are none."""
    rows = read_logins(instance_path)
    if not rows:
        return
    port = os.environ.get("PORT", "5000")
    click.echo(f"Sign in at http://127.0.0.1:{port}/ with one of:")
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def read_logins(instance_path) -> list[tuple[str, str, str]]:
    """(role, e-mail, password) rows of the logins file (empty when there is none)."""
    path = Path(instance_path) / LOGINS_FILE
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    return [(row[0], row[1], row[2]) for row in rows if len(row) == 3 and not row[0].startswith("#")]


def _valid(record, rule) -> None:
    """Raise ``RuleViolation`` naming the record when ``rule`` finds anything wrong."""
    errors = rule(record)
    if errors:
        raise RuleViolation({f"{type(record).__name__} {record}: {field}": msg for field, msg in errors.items()})


def _users(earlier, new_user: Callable[..., User]) -> tuple[dict[str, User], list[tuple[str, str, str]]]:
    """The demo users by e-mail, and their (role, e-mail, password) sign-ins.

    A user who already exists keeps their password; their earlier line in the logins
    file, if there is one, is kept.
    """
    emails = [email for _, email, _ in data.USERS]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    earlier = {email: (role, email, password) for role, email, password in earlier}
    logins = []
    for role, email, full_name in data.USERS:
        if email in users:
            if email in earlier:
                logins.append(earlier[email])
            continue
        password = secrets.token_urlsafe(15)  # 20 characters
        users[email] = new_user(email, password, [role], full_name)
        logins.append((role, email, password))
    return users, logins


def _holiday(today: date, users) -> Substitution:
    """One case manager on holiday and a colleague standing in, so the substitute sees their clients."""
    managers = [u for u in users.values() if u.has_any_role(["case_manager"])]
    absent, substitute = managers[1], managers[0]
    substitution = Substitution(
        absent=absent,
        substitute=substitute,
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=11),
        note="Puhkus",
    )
    _valid(substitution, substitution_errors)
    db.session.add(substitution)
    return substitution


def _write_logins(path: Path, logins) -> Path:
    """Write the sign-ins next to ``path`` (owner-only) and return that file, to be renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pending = path.with_name(path.name + ".new")
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("# role  email  password  (demo users; delete this file when you no longer need it)\n")
        f.writelines(f"{role}  {email}  {password}\n" for role, email, password in logins)
    os.chmod(pending, 0o600)
    return pending


def _municipalities() -> dict[str, Municipality]:
    """The municipalities of Raplamaa and its neighbours, by name."""
    names = [name for name, _, _ in data.MUNICIPALITIES]
    found = {m.name: m for m in db.session.scalars(select(Municipality).where(Municipality.name.in_(names)))}
    for name, county, registry_code in data.MUNICIPALITIES:
        if name not in found:
            found[name] = m = Municipality(name=name, county=county, registry_code=registry_code)
            _valid(m, municipality_errors)
            db.session.add(m)
    return found


def _person(rng: random.Random, female: bool | None = None) -> tuple[str, str, bool]:
    """An invented first name, last name and whether the person is female."""
    female = rng.random() < 0.55 if female is None else female
    return rng.choice(data.FEMALE if female else data.MALE), rng.choice(data.LAST), female


def _phone(rng: random.Random) -> str:
    return f"+372 5{rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _slug(text: str) -> str:
    return "-".join(text.translate(_ASCII).lower().split())


def _providers(rng: random.Random, municipalities) -> dict[str, Provider]:
    """Providers with their staff; certificates expired, expiring soon and valid."""
    today = date.today()
    providers, serials = {}, rng.sample(range(10000, 99999), len(data.PROVIDERS))
    for row, serial in zip(data.PROVIDERS, serials, strict=True):
        name, prefix, kinds, municipality, contact, bank, notes, staff = row
        p = Provider(
            registry_code=codes.make_registry_code(prefix, serial),
            name=name,
            municipality=municipalities[municipality],
            contact_person=contact,
            email=f"info@{_slug(name.rsplit(' ', 1)[0])}.example",
            phone=_phone(rng),
            iban=codes.make_iban(bank, rng.randint(10**9, 10**11)),
            is_base_support="b" in kinds,
            is_component="c" in kinds,
            is_supplementary="s" in kinds,
            notes=notes,
        )
        for qualification, days in staff:
            first, last, _ = _person(rng)
            p.staff.append(
                ProviderStaff(
                    name=f"{first} {last}",
                    qualification=data.QUALIFICATIONS[qualification],
                    certificate_number=None if days is None else str(rng.randint(100000, 999999)),
                    certificate_valid_until=None if days is None else today + timedelta(days=days),
                )
            )
        _valid(p, provider_errors)
        providers[name] = p
    db.session.add_all(providers.values())
    return providers


def _components() -> dict[str, ServiceComponent]:
    """The catalogue with a 2025 price list and a current one from 2026, per mode."""
    codes_ = [row[0] for row in data.COMPONENTS]
    found = {c.code: c for c in db.session.scalars(select(ServiceComponent).where(ServiceComponent.code.in_(codes_)))}
    for code, name, area, unit, cap, requirements, qualification, prices in data.COMPONENTS:
        if code in found:
            continue
        c = ServiceComponent(
            code=code,
            name=name,
            area=area,
            unit=unit,
            yearly_cap=Decimal(cap) if cap else None,
            provider_requirements=requirements,
            staff_qualification=qualification,
        )
        for mode, (old, new) in prices.items():
            start, end = data.PRICE_2025
            c.prices.append(ComponentPrice(mode=mode, unit_price=Decimal(old), valid_from=start, valid_until=end))
            c.prices.append(ComponentPrice(mode=mode, unit_price=Decimal(new), valid_from=data.PRICE_2026_FROM))
        _valid(c, component_errors)
        db.session.add(c)
        found[code] = c
    return found


def _procurements(today: date, providers, components) -> list[Procurement]:
    """One contracted procurement and one whose tenders are being evaluated."""
    result = []
    for spec in data.PROCUREMENTS:
        spec = dict(spec)
        if "published_days_ago" in spec:
            spec["published_on"] = today - timedelta(days=spec.pop("published_days_ago"))
            spec["tender_deadline"] = today - timedelta(days=spec.pop("deadline_days_ago"))
        bids, winner = spec.pop("bids"), spec.pop("winner")
        p = Procurement(
            **{k: v for k, v in spec.items() if k not in ("components", "estimated_value")},
            estimated_value=Decimal(spec["estimated_value"]),
            components=[components[code] for code in spec["components"]],
            winner=providers[winner] if winner else None,
        )
        for i, (name, price) in enumerate(bids):
            p.bids.append(
                Bid(provider=providers[name], price=Decimal(price), received_on=p.tender_deadline - timedelta(days=i))
            )
        _valid(p, procurement_errors)
        result.append(p)
    db.session.add_all(result)
    return result


def _offers(today: date, providers, components) -> list[Offer]:
    """Offers from supplementary providers, in every status, several per support."""
    result = []
    for name, code, status, price, asked_ago, received_after, valid_for, notes in data.OFFERS:
        asked = today - timedelta(days=asked_ago)
        o = Offer(
            provider=providers[name],
            component=components[code],
            unit=components[code].unit,
            status=status,
            price=Decimal(price) if price else None,
            asked_on=asked,
            received_on=asked + timedelta(days=received_after) if received_after is not None else None,
            valid_until=asked + timedelta(days=valid_for) if valid_for is not None else None,
            notes=notes,
        )
        _valid(o, offer_errors)
        result.append(o)
    db.session.add_all(result)
    return result


def _clients(rng: random.Random, today: date, municipalities, providers, users) -> list[Client]:
    """About forty clients: pilot participants, young people and people with special needs."""
    managers = [u for u in users.values() if u.has_any_role(["case_manager"])]
    pilot_managers = [u for u in managers if u.email.endswith("@rapla.example")]
    youth_managers = [u for u in managers if u not in pilot_managers]
    base = sorted((p for p in providers.values() if p.is_base_support), key=lambda p: p.name)
    specs = [(g, s, rng.randint(*ages), {}, None) for g, s, n, ages in data.CLIENT_GROUPS for _ in range(n)]
    specs += [("pilot", "applicant", age, extra, note) for age, extra, note in data.INELIGIBLE_APPLICANTS]
    used, result = set(), []
    for group, status, age, extra, note in specs:
        first, last, female = _person(rng)
        born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        code = codes.make_personal_code(born, "F" if female else "M", rng.randint(1, 999))
        while code in used:
            code = codes.make_personal_code(born, "F" if female else "M", rng.randint(1, 999))
        used.add(code)
        home = "Rapla vald" if group == "pilot" else "Väike-Maarja vald"
        places = data.PLACES[home]
        settlement, streets = rng.choices(places, weights=[len(streets) for _, streets in places])[0]
        joined = today - timedelta(days=rng.randint(200, 700))
        c = Client(
            personal_code=code,
            first_name=first,
            last_name=last,
            birth_date=born,
            sex="F" if female else "M",
            phone=_phone(rng),
            email=f"{first}.{last}@post.example".translate(_ASCII).lower() if rng.random() < 0.4 else None,
            address=f"{rng.choice(streets)} {rng.randint(1, 40)}, {settlement}, {home}",
            municipality=municipalities[home],
            target_group=group,
            status=status,
            case_manager=_pick(rng, pilot_managers if group == "pilot" else youth_managers),
            notes=note,
        )
        if group == "pilot":
            c.disability = rng.choice(["severe", "severe", "profound", "permanent"])
            c.main_diagnosis = rng.choice(data.PILOT_DIAGNOSES)
            if status != "applicant":
                c.base_provider = rng.choice(base)
        elif group == "special_needs":
            c.disability = rng.choice(["moderate", "severe"])
            c.main_diagnosis = rng.choice(data.SPECIAL_NEEDS_DIAGNOSES)
        if status != "applicant" or rng.random() < 0.5:
            c.consent_given = True
            c.consent_date = joined if status != "applicant" else today - timedelta(days=rng.randint(1, 30))
        if status == "exited":
            c.exit_date = joined + timedelta(days=rng.randint(60, 180))
            c.exit_reason = rng.choice(data.EXIT_REASONS)
        for key, value in extra.items():
            setattr(c, key, value)
        for role in rng.sample(data.NETWORK_POOL, rng.choice([0, 1, 1, 2, 2, 3])):
            m_first, m_last, _ = _person(rng)
            c.network.append(
                NetworkMember(
                    role=role,
                    name=f"{m_first} {last if role == 'relative' else m_last}",
                    relation=rng.choice(data.NETWORK_ROLES[role]),
                    phone=_phone(rng),
                )
            )
        _valid(c, client_errors)
        result.append(c)
    db.session.add_all(result)
    return result


def _pick(rng: random.Random, choices: list):
    """One of ``choices``, or None when there are none (kept users may lack the role)."""
    return rng.choice(choices) if choices else None
