"""Infomaterjalid: what was forwarded to SKA or published on the municipality's website, with the file."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .files import StoredFile
from .users import User


class MaterialKind(Choice):
    FORWARDED_TO_SKA = "forwarded_to_ska", _l("Forwarded to SKA")
    PUBLISHED = "published", _l("Published on the municipality's website")


class Material(Versioned, db.Model):
    """Infomaterjal: a leaflet, guide or notice, where it went and when."""

    __tablename__ = "material"
    __table_args__ = (choice_check("kind", MaterialKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300), index=True)
    kind: Mapped[MaterialKind] = mapped_column(ChoiceType(MaterialKind), index=True)
    sent_on: Mapped[date] = mapped_column(index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    by: Mapped[User | None] = relationship()
    url: Mapped[str | None] = mapped_column(sa.String(500))
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: The attached file, kept in the database; it goes with the record (replaced, removed or deleted).
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id"), index=True, unique=True)
    document: Mapped[StoredFile | None] = relationship(cascade="all, delete-orphan", single_parent=True, lazy="joined")

    def __str__(self) -> str:
        return self.title


def material_errors(m: Material) -> dict[str, str]:
    """What is wrong with an information material record, by field."""
    errors: dict[str, str] = {}
    if not (m.title or "").strip():
        errors["title"] = str(_l("Give the title."))
    if m.sent_on and m.sent_on > date.today():
        errors["sent_on"] = str(_l("This date is in the future."))
    if m.url and not m.url.startswith(("https://", "http://")):
        errors["url"] = str(_l("Give a web address starting with https://."))
    return errors
