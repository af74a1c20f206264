from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime
from marketplace.extensions import db


class Case(IdMixin, TimestampMixin, db.Model):
    """A best-practice case (最佳实践) in the public library: an accepted project, published by the
    admin with its measured outcomes and how to replicate it. Counts toward the excellent-provider
    directory (优秀服务商目录)."""

    __tablename__ = "cases"
    __audit_type__ = "case"
    __table_args__ = (sa.Index("ix_cases_domain_published", "domain", "published_at"),)

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), unique=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    solution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("solutions.id"))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    domain: Mapped[str] = mapped_column(sa.String(20))
    summary: Mapped[str] = mapped_column(sa.Text)
    outcomes: Mapped[str] = mapped_column(sa.Text)
    replication: Mapped[str] = mapped_column(sa.Text)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project = relationship("Project")
    provider: Mapped[Organisation | None] = relationship(foreign_keys=[provider_id])
    department: Mapped[Organisation] = relationship(foreign_keys=[department_id])
    solution = relationship("Solution")
