"""Sign-in with Flask-Security-Too, and the roles each register allows."""

from flask_login import user_logged_out
from flask_security import SQLAlchemyUserDatastore, TwoFactorVerifyCodeForm, hash_password, user_authenticated

from models import Role, RoleName, User, db

from .access_rules import SHOWS_NO_PERSON, declare_endpoints

user_datastore = SQLAlchemyUserDatastore(db, User, Role)

ROLE_DESCRIPTIONS = {
    RoleName.ADMIN: "Users, roles and reference data",
    RoleName.HEAD: "Sees everything, confirms invoices and reports",
    RoleName.CASE_MANAGER: "Clients, case work, providers and offers",
    RoleName.ACCOUNTANT: "Deliveries, invoices, payments; no health data",
    RoleName.REGISTRAR: "Letter register only",
}


class LockedCodeForm(TwoFactorVerifyCodeForm):
    """The second step of signing in: refused while the account is locked, before the code is
    looked at, so codes cannot be guessed past the lock (each wrong one counts towards it)."""

    def validate(self, **kwargs) -> bool:
        if self.user is not None and not self.is_setup:
            errors: list[str] = []
            if self.user.is_locked(errors):
                self.code.errors = errors
                return False
        return super().validate(**kwargs)


def _signed_in(sender, user, **extra) -> None:
    user.signed_in()


def _signed_out(sender, user, **extra) -> None:
    # Signing out ends every session of the user, on every device: the cookie a browser had, or a
    # copy of it, opens nothing afterwards.
    if user is not None and getattr(user, "is_authenticated", False):
        user.end_sessions()


def init_app(app, security) -> None:
    """Bind Flask-Security-Too to the app with our user store; a whole sign-in restarts the count of
    failures, and signing out ends the user's sessions on the server."""
    security.init_app(app, user_datastore, two_factor_verify_code_form=LockedCodeForm)
    user_authenticated.connect(_signed_in, app)
    user_logged_out.connect(_signed_out, app)
    # Flask-Security's pages (signing in and out, passwords, the second factor) show no client's data.
    pages = ("login", "logout", "verify", "change_password", "static", "tf_select", "two_factor_rescue")
    pages += ("two_factor_setup", "two_factor_setup_validate", "two_factor_token_validation")
    declare_endpoints(app, SHOWS_NO_PERSON, *(f"security.{page}" for page in pages))


def ensure_roles() -> None:
    """Create the five roles when missing (idempotent)."""
    for name, description in ROLE_DESCRIPTIONS.items():
        user_datastore.find_or_create_role(name=name.value, description=description)
    db.session.commit()


def new_user(email: str, password: str, roles: list[str], full_name: str = "") -> User:
    """Add an active user with hashed password and the given roles to the session (not committed):
    the seed generators of ``models.seed`` are handed this, as they may not import the web layer."""
    return user_datastore.create_user(
        email=email.strip().lower(),
        password=hash_password(password),
        full_name=full_name,
        roles=[RoleName(r).value for r in roles],
    )


def create_user(email: str, password: str, roles: list[str], full_name: str = "") -> User:
    """Create and commit an active user with hashed password and the given roles."""
    ensure_roles()
    user = new_user(email, password, roles, full_name)
    db.session.commit()
    return user
