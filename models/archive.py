"""Archiving, not deleting: clients, providers and letters are archived (hidden from daily lists,
kept for reports and case files); only the administrator deletes one, after the retention period."""

from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


class Archivable:
    """``archived_on`` and ``archived_by``: set by *Archive*, cleared by *Restore*."""

    archived_on: Mapped[date | None] = mapped_column(index=True)

    @declared_attr
    def archived_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    @declared_attr
    def archived_by(cls):
        return relationship("User", foreign_keys=[cls.archived_by_id])

    @property
    def archived(self) -> bool:
        return self.archived_on is not None

    def archive(self, user, today: date | None = None) -> None:
        if self.archived_on is None:
            self.archived_on = today or date.today()
            self.archived_by = user

    def restore(self) -> None:
        self.archived_on = None
        self.archived_by = None


def deletable_from(record: Archivable) -> date | None:
    """The first day ``record`` may be deleted: the retention period after archiving (None: not archived)."""
    if record.archived_on is None:
        return None
    return record.archived_on + relativedelta(years=current_app.config["RETENTION_YEARS"])


def deletion_errors(record: Archivable, today: date | None = None) -> dict[str, str]:
    """Why ``record`` may not be deleted yet (empty when it may)."""
    first = deletable_from(record)
    if first is None:
        return {"archived_on": str(_l("Only an archived record can be deleted; archive it instead."))}
    if (today or date.today()) < first:
        return {
            "archived_on": str(
                _l(
                    "It is kept for %(years)s years after archiving: it can be deleted from %(day)s.",
                    years=current_app.config["RETENTION_YEARS"],
                    day=f"{first:%d.%m.%Y}",
                )
            )
        }
    return {}
