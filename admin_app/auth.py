"""Sign-in with Flask-Security-Too, and the roles each register allows."""

from flask_security import SQLAlchemyUserDatastore, hash_password

from models import Role, RoleName, User, db

user_datastore = SQLAlchemyUserDatastore(db, User, Role)

ROLE_DESCRIPTIONS = {
    RoleName.ADMIN: "Users, roles and reference data",
    RoleName.HEAD: "Sees everything, confirms invoices and reports",
    RoleName.CASE_MANAGER: "Clients, case work, providers and offers",
    RoleName.ACCOUNTANT: "Deliveries, invoices, payments; no health data",
    RoleName.REGISTRAR: "Letter register only",
}


def init_app(app, security) -> None:
    """Bind Flask-Security-Too to the app with our user store."""
    security.init_app(app, user_datastore)


def ensure_roles() -> None:
    """Create the five roles when missing (idempotent)."""
    for name, description in ROLE_DESCRIPTIONS.items():
        user_datastore.find_or_create_role(name=name.value, description=description)
    db.session.commit()


def create_user(email: str, password: str, roles: list[str], full_name: str = "") -> User:
    """Create an active user with hashed password and the given roles."""
    ensure_roles()
    user = user_datastore.create_user(
        email=email.strip().lower(),
        password=hash_password(password),
        full_name=full_name,
        roles=[RoleName(r).value for r in roles],
    )
    db.session.commit()
    return user
