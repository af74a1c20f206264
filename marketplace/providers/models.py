from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type, utcnow
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.providers.states import PartnerState

_LIVE_SQL = "state IN ('applied', 'admitted', 'suspended')"


class PartnerApplication(IdMixin, TimestampMixin, db.Model):
    """An application to the partner list; once admitted, it is the provider's listing."""

    __tablename__ = "partner_applications"
    __audit_type__ = "partner_application"
    __table_args__ = (
        sa.Index(
            "uq_partner_applications_live_per_org",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text(_LIVE_SQL),
            postgresql_where=sa.text(_LIVE_SQL),
        ),
        sa.Index("ix_partner_applications_state_valid", "state", "valid_until"),
    )

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    credit_code: Mapped[str] = mapped_column(sa.String(18))
    qualifications: Mapped[str] = mapped_column(sa.Text, default="")
    reference_cases: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[PartnerState] = mapped_column(
        enum_type(PartnerState, "partner_state"), default=PartnerState.applied
    )
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    domain_rows: Mapped[list["ApplicationDomain"]] = relationship(
        cascade="all, delete-orphan", order_by="ApplicationDomain.domain", lazy="selectin"
    )

    @property
    def domains(self) -> list[str]:
        return [row.domain for row in self.domain_rows]

    @property
    def is_past_validity(self) -> bool:
        return self.valid_until is not None and self.valid_until < today_shanghai()

    @property
    def effective_state(self) -> PartnerState:
        """An admitted listing whose validity date has passed is expired in effect."""
        if self.state == PartnerState.admitted and self.is_past_validity:
            return PartnerState.expired
        return self.state

    @property
    def is_admitted(self) -> bool:
        return self.effective_state == PartnerState.admitted


class ApplicationDomain(db.Model):
    __tablename__ = "partner_application_domains"
    __table_args__ = (sa.Index("ix_partner_application_domains_domain", "domain", "application_id"),)

    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner_applications.id", ondelete="CASCADE"), primary_key=True
    )
    domain: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class Solution(IdMixin, TimestampMixin, db.Model):
    """A productised solution in the catalogue (解决方案清单)."""

    __tablename__ = "solutions"
    __audit_type__ = "solution"
    __table_args__ = (sa.Index("ix_solutions_domain_active", "domain", "is_active"),)

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    domain: Mapped[str] = mapped_column(sa.String(20))
    summary: Mapped[str] = mapped_column(sa.Text)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
