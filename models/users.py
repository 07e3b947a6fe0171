"""Users and their roles (Flask-Security-Too's user model)."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_security import RoleMixin, UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, Versioned, db


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
    sa.Column("role_id", sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
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
    roles: Mapped[list[Role]] = relationship(secondary=roles_users, backref="users", lazy="selectin")

    def __str__(self) -> str:
        return self.full_name or self.email

    def has_any_role(self, names) -> bool:
        """True when the user holds one of ``names``."""
        mine = {r.name for r in self.roles}
        return bool(mine & {str(getattr(n, "value", n)) for n in names})
