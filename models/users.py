"""Users and their roles (Flask-Security-Too's user model), the sign-in lock, and the end of sessions."""

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_security import RoleMixin, UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, Versioned, db, utcnow


class RoleName(Choice):
    ADMIN = "admin", _l("Administrator")
    HEAD = "head", _l("Head of department")
    CASE_MANAGER = "case_manager", _l("Case manager")
    ACCOUNTANT = "accountant", _l("Accountant")
    REGISTRAR = "registrar", _l("Registrar")


roles_users = sa.Table(
    "roles_users",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role_id", sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Role(db.Model, RoleMixin):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    description: Mapped[str | None] = mapped_column(sa.String(255))
    permissions: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        try:
            return str(RoleName(self.name))
        except ValueError:
            return self.name


class User(Versioned, db.Model, UserMixin):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    password: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    fs_uniquifier: Mapped[str] = mapped_column(sa.String(64), unique=True)
    confirmed_at: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    # Failed sign-ins in a row, and the moment a lock after too many of them ends (UTC).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # The optional second factor (Flask-Security-Too's two-factor with an authenticator app).
    tf_primary_method: Mapped[str | None] = mapped_column(sa.String(64))
    tf_totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    tf_phone_number: Mapped[str | None] = mapped_column(sa.String(128))
    roles: Mapped[list[Role]] = relationship(secondary=roles_users, backref="users", lazy="selectin")

    def __str__(self) -> str:
        return self.full_name or self.email

    def has_any_role(self, names) -> bool:
        """True when the user holds one of ``names``."""
        mine = {r.name for r in self.roles}
        return bool(mine & {str(getattr(n, "value", n)) for n in names})

    def track_failed_authn(self, auth_type: str, tfa: bool = False) -> None:
        """Count a failed sign-in; the one that reaches SIGNIN_MAX_FAILURES locks the account.

        One UPDATE that reads and writes the count in the database, not a versioned save of the
        user: two wrong passwords typed at the same moment both count, and neither of them meets
        a "changed by someone else" refusal meant for people editing the user's record."""
        super().track_failed_authn(auth_type, tfa)
        table = User.__table__
        reached = table.c.failed_logins + 1 >= current_app.config["SIGNIN_MAX_FAILURES"]
        lock = utcnow() + timedelta(minutes=_lock_minutes())
        self._write(
            failed_logins=sa.case((reached, 0), else_=table.c.failed_logins + 1),
            locked_until=sa.case((reached, lock), else_=table.c.locked_until),
        )

    def is_locked(self, form_error: list[str] | None = None) -> bool:
        """Flask-Security asks this after the password was right, and the two-step sign-in before it
        checks a code: refused while locked. A right password alone does not restart the count (a
        guesser of second-factor codes would have it restarted after each password); only a whole
        sign-in does, in ``signed_in``."""
        if self.locked_until is not None and self.locked_until > utcnow():
            if form_error is not None:
                # With generic responses on (our setting) "sign-in failed" replaces it on the password
                # form, so a locked account tells a guesser nothing about the password just tried.
                message = _l("Too many failed sign-ins; try again in %(minutes)s minutes.", minutes=_lock_minutes())
                form_error.append(str(message))
            return True
        return False

    def signed_in(self) -> None:
        """A whole sign-in succeeded (the password, and the second factor when the user has one):
        the count of failures starts again."""
        if self.failed_logins or self.locked_until:
            self._write(failed_logins=0, locked_until=None)

    def verify_and_update_password(self, password: str) -> bool:
        """Flask-Security's check; a hash it brings up to date is the same password, so it keeps the
        user's sessions (see ``_sessions_end_on_a_change``)."""
        self._same_password = True
        return super().verify_and_update_password(password)

    def end_sessions(self) -> None:
        """Every session and remember cookie of this user stops working (signing out, "sign out
        everywhere"): Flask-Security finds the signed-in user by ``fs_uniquifier``, and a new one no
        cookie holds is written. Straight to the row like the counters: no version raised, so an
        administrator's open form of the user still saves."""
        self._write(fs_uniquifier=new_uniquifier())

    def _write(self, **values) -> None:
        """Write sign-in state straight to the row (no version raised, no audit of a password guess)
        and read it back."""
        db.session.execute(sa.update(User.__table__).where(User.__table__.c.id == self.id).values(**values))
        db.session.commit()
        db.session.refresh(self, list(values))


def new_uniquifier() -> str:
    return uuid.uuid4().hex


def end_sessions(user_ids) -> int:
    """Sign the users ``user_ids`` out on every device; returns how many there were."""
    users = db.session.scalars(sa.select(User).where(User.id.in_(user_ids))).all()
    for user in users:
        user.end_sessions()
    return len(users)


#: What changes who a user is or may be: each ends the user's sessions.
SESSION_ENDING = ("password", "active", "roles")


@sa.event.listens_for(User, "before_update")
def _sessions_end_on_a_change(mapper, connection, user: User) -> None:
    """A new password, a role given or taken, a deactivation (or a reactivation): every cookie the
    user held before stops working, whichever path saved it (form, list, action, command). Flask-
    Security's own password change gives a new ``fs_uniquifier`` itself and signs the changer in again
    with it; that one is kept. A password hash renewed at sign-in is the same password."""
    state = sa.inspect(user)
    if state.attrs.fs_uniquifier.history.has_changes():
        return
    changed = {key for key in SESSION_ENDING if state.attrs[key].history.has_changes()}
    if user.__dict__.pop("_same_password", False):
        changed.discard("password")
    if changed:
        user.fs_uniquifier = new_uniquifier()


def _lock_minutes() -> int:
    return current_app.config["SIGNIN_LOCK_MINUTES"]
