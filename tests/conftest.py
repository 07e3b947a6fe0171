"""Fixtures: an app per database (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
built by running the migrations; a signed-in test client per role; keyword-only factories."""

import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

os.environ.setdefault("JUHTUM_CONFIG", "test")

from admin_app import create_app  # noqa: E402
from admin_app.auth import create_user, ensure_roles  # noqa: E402
from models import (  # noqa: E402
    Client,
    ComponentPrice,
    Municipality,
    Offer,
    Procurement,
    Provider,
    ServiceComponent,
    audit,
    codes,
    db,
)

PASSWORD = "test-parool-12345"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
_apps: dict = {}
# Reference data the migrations ship (the default questionnaire) survives the clean-up between tests.
KEEP = {
    "qol_instrument": (sa.text("id <> 1"),),
    "qol_item": (sa.text("instrument_id <> 1"),),
}


def _build_app(backend: str, tmp_path_factory):
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    os.environ["JUHTUM_INSTANCE"] = str(instance)
    if backend == "sqlite":
        url = f"sqlite:///{instance / 'test.db'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if backend == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    return app


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path_factory):
    """The app on one database, emptied after the test."""
    backend = request.param
    if backend not in _apps:
        _apps[backend] = _build_app(backend, tmp_path_factory)
    app = _apps[backend]
    app.config["BACKEND"] = backend
    with app.app_context():
        ensure_roles()
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                audit.wipe(conn, table, *KEEP.get(table.name, ()))
        db.session.remove()


@pytest.fixture
def ctx(app):
    """An app context for tests that talk to the database directly."""
    with app.app_context():
        yield db
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on ``url``, as a browser would read it."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """Open the form at ``form_url`` (default ``url``) and submit ``data`` with its CSRF token."""
    data = {**data, "csrf_token": csrf_token(client, form_url or url)}
    return client.post(url, data=data, **kwargs)


def sign_in(client, email: str, password: str = PASSWORD):
    return post_form(client, "/login", {"email": email, "password": password})


@pytest.fixture
def login_as(app, client):
    """``login_as("case_manager")`` creates a user with that role and signs the client in."""

    def _login(role: str, email: str | None = None):
        email = email or f"{role.replace('_', '-')}@test.ee"
        with app.app_context():
            create_user(email, PASSWORD, [role], full_name=role.replace("_", " ").title())
        response = sign_in(client, email)
        assert response.status_code == 302, "sign-in failed"
        return client

    return _login


def count(app, model, *where) -> int:
    """Rows of ``model`` in the database now, read in a fresh session."""
    with app.app_context():
        db.session.remove()
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def fetch(app, model, *where):
    """One row of ``model`` read in a fresh session (detached, attributes loaded)."""
    with app.app_context():
        db.session.remove()
        row = db.session.scalars(sa.select(model).where(*where)).one()
        db.session.expunge(row)
        return row


# Factories: keyword-only, valid by default, committed.
_serial = iter(range(1, 10**6))


def create_municipality(*, name: str | None = None, **overrides) -> Municipality:
    m = Municipality(name=name or f"Vald {next(_serial)}", county=overrides.pop("county", "Raplamaa"), **overrides)
    db.session.add(m)
    db.session.commit()
    return m


def create_provider(*, kinds=("component",), **overrides) -> Provider:
    n = next(_serial)
    values = dict(
        registry_code=codes.make_registry_code("10", n),
        name=f"Teenus OÜ {n}",
        is_base_support="base" in kinds,
        is_component="component" in kinds,
        is_supplementary="supplementary" in kinds,
        iban=codes.make_iban("22", n),
    )
    values.update(overrides)
    provider = Provider(**values)
    db.session.add(provider)
    db.session.commit()
    return provider


def create_component(*, price: str | None = "25.00", valid_from=date(2026, 1, 1), **overrides) -> ServiceComponent:
    n = next(_serial)
    values = dict(code=f"K{n:03d}", name=f"Komponent {n}", area="mental_health", unit="hour")
    values.update(overrides)
    component = ServiceComponent(**values)
    if price is not None:
        component.prices.append(ComponentPrice(unit_price=Decimal(price), valid_from=valid_from))
    db.session.add(component)
    db.session.commit()
    return component


def create_client(*, born=date(1980, 5, 17), sex="F", status="applicant", **overrides) -> Client:
    n = next(_serial)
    code = codes.make_personal_code(born, sex, n)
    values = dict(
        personal_code=code,
        birth_date=born,
        sex=sex,
        first_name="Kati",
        last_name=f"Karu{n}",
        target_group="pilot",
        status=status,
        disability="severe",
    )
    values.update(overrides)
    client = Client(**values)
    db.session.add(client)
    db.session.commit()
    return client


def create_offer(*, provider=None, component=None, **overrides) -> Offer:
    values = dict(
        provider=provider or create_provider(kinds=("supplementary",)),
        component=component or create_component(),
        asked_on=date(2026, 10, 1),
        status="asked",
    )
    values.update(overrides)
    offer = Offer(**values)
    db.session.add(offer)
    db.session.commit()
    return offer


def create_procurement(*, reference_number: str | None = None, **overrides) -> Procurement:
    values = dict(
        reference_number=reference_number or f"2{next(_serial):05d}",
        title="Isikukeskse erihoolekande teenuskomponendid",
        procedure_type="simple",
        estimated_value=Decimal("45000.00"),
    )
    values.update(overrides)
    procurement = Procurement(**values)
    db.session.add(procurement)
    db.session.commit()
    return procurement


#: The Big List of Naughty Strings (MIT licence, tests/data/blns.LICENSE), kept with the tests so a
#: fresh checkout needs nothing from outside.
BLNS_PATH = Path(__file__).parent / "data" / "blns.json"


def naughty_strings() -> list[str]:
    import json

    return json.loads(BLNS_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def shipped_questionnaire(app):
    """The quality-of-life questionnaire the migrations ship (id 1), put back as the migration made it
    when a test wiped every table (tests/models/test_demo.py does, reference data included)."""
    import ast

    from models import Instrument, InstrumentItem

    with app.app_context():
        if db.session.get(Instrument, 1) is None:
            migration = next((Path(__file__).parents[1] / "models/migrations/versions").glob("5d69eb465a88_*.py"))
            tree = ast.parse(migration.read_text(encoding="utf-8"))
            texts = next(
                ast.literal_eval(node.value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "texts" for t in node.targets)
            )
            instrument = Instrument(
                id=1, name="Elukvaliteedi küsimustik (8 küsimust)", scale_min=1, scale_max=5, active=True
            )
            instrument.items = [InstrumentItem(position=n, text=t) for n, t in enumerate(texts, 1)]
            db.session.add(instrument)
            db.session.commit()
        db.session.remove()


def create_letter(*, registered_on=date(2026, 10, 1), kind: str = "memorandum", today=None, **overrides):
    """A letter registered through the domain's own function (it gets its number and deadline)."""
    from models import Letter, save_letter

    n = next(_serial)
    values = dict(
        received_on=registered_on,
        registered_on=registered_on,
        kind=kind,
        channel="email",
        sender_kind="person",
        sender_name=f"Mari Maasikas{n}",
        sender_email=f"mari{n}@example.ee",
        subject=f"Kiri {n}",
    )
    values.update(overrides)
    letter = Letter(**values)
    save_letter(letter, today=today or max(date.today(), registered_on))
    db.session.commit()
    return letter
