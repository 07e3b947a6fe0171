"""Järelevalve: inspections of providers and of the services clients get, and the violations found."""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .clients import Client
from .meetings import kept
from .providers import Provider


class ViolationKind(Choice):
    QUALIFICATION = "qualification", _l("Qualification")
    NOT_AS_PLANNED = "not_as_planned", _l("Service not delivered as planned")
    DOCUMENTATION = "documentation", _l("Documentation")
    SAFETY = "safety", _l("Safety")
    CLIENT_RIGHTS = "client_rights", _l("Client rights")
    BILLING = "billing", _l("Billing")


class Severity(Choice):
    MINOR = "minor", _l("Minor")
    SIGNIFICANT = "significant", _l("Significant")
    SEVERE = "severe", _l("Severe")


class ViolationStatus(Choice):
    OPEN = "open", _l("Open")
    REMEDIED = "remedied", _l("Remedied")
    NOT_REMEDIED = "not_remedied", _l("Not remedied")


class Inspection(Versioned, db.Model):
    """Kontroll: an inspection of a provider, and where it applies of one client's service."""

    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    provider: Mapped[Provider] = relationship()
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="SET NULL"), index=True)
    client: Mapped[Client | None] = relationship()
    inspected_on: Mapped[date] = mapped_column(index=True)
    inspector: Mapped[str] = mapped_column(sa.String(200), index=True)
    findings: Mapped[str | None] = mapped_column(sa.Text)
    violations: Mapped[list["Violation"]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="Violation.remedy_by"
    )

    def __str__(self) -> str:
        return f"{self.provider} {self.inspected_on:%d.%m.%Y}" if self.inspected_on else str(self.provider)


class Violation(db.Model):
    """Rikkumine: a violation found, how severe, by when it must be remedied, and whether it was."""

    __tablename__ = "violation"
    __table_args__ = (
        choice_check("kind", ViolationKind),
        choice_check("severity", Severity),
        choice_check("status", ViolationStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    inspection: Mapped[Inspection] = relationship(back_populates="violations")
    kind: Mapped[ViolationKind] = mapped_column(ChoiceType(ViolationKind), index=True)
    severity: Mapped[Severity] = mapped_column(ChoiceType(Severity), default=Severity.MINOR)
    description: Mapped[str | None] = mapped_column(sa.Text)
    remedy_by: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[ViolationStatus] = mapped_column(
        ChoiceType(ViolationStatus), default=ViolationStatus.OPEN, index=True
    )
    remedied_on: Mapped[date | None]

    def __str__(self) -> str:
        return f"{self.kind} ({self.severity})"

    @hybrid_property
    def overdue(self) -> bool:
        """Open and past its deadline to remedy."""
        return self.status == ViolationStatus.OPEN and self.remedy_by is not None and self.remedy_by < date.today()

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls):
        return sa.and_(cls.status == ViolationStatus.OPEN.value, cls.remedy_by < sa.func.current_date())


def violation_errors(v: Violation, i: Inspection) -> dict[str, str]:
    """What is wrong with one violation found at inspection ``i``, by the violation's field."""
    errors: dict[str, str] = {}
    if v.remedy_by and i.inspected_on and v.remedy_by < i.inspected_on:
        errors["remedy_by"] = str(_l("A deadline to remedy cannot be before the inspection."))
    if v.status == ViolationStatus.REMEDIED and not v.remedied_on:
        errors["remedied_on"] = str(_l("Give the date a violation was remedied."))
    elif v.remedied_on and i.inspected_on and v.remedied_on < i.inspected_on:
        errors["remedied_on"] = str(_l("A violation cannot be remedied before it was found."))
    elif v.remedied_on and v.remedied_on > date.today():
        errors["remedied_on"] = str(_l("This date is in the future."))
    if v.remedied_on and v.status != ViolationStatus.REMEDIED:
        errors["status"] = str(_l("A remedy date is given, but the status is not 'Remedied'."))
    return errors


def inspection_errors(i: Inspection) -> dict[str, str]:
    """What is wrong with an inspection and its violations, by field; the violations' problems
    under ``violations``."""
    errors: dict[str, str] = {}
    if i.inspected_on and i.inspected_on > date.today():
        errors["inspected_on"] = str(_l("This date is in the future."))
    if not (i.inspector or "").strip():
        errors["inspector"] = str(_l("Name the inspector."))
    problems = [message for v in kept(i.violations) for message in violation_errors(v, i).values()]
    if problems:
        errors["violations"] = " ".join(dict.fromkeys(problems))
    return errors
