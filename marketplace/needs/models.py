from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type, utcnow
from marketplace.core.money import fen_to_yuan
from marketplace.extensions import db
from marketplace.needs.states import NeedState

KEYWORD_SEPARATOR = " "  # keywords are single words (no spaces); stored space-separated


class NeedBatch(IdMixin, TimestampMixin, db.Model):
    """第N批场景需求清单: accepted needs released together."""

    __tablename__ = "need_batches"
    __audit_type__ = "need_batch"
    __table_args__ = (sa.CheckConstraint("number >= 1", name="number_positive"),)

    number: Mapped[int] = mapped_column(sa.Integer, unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    needs: Mapped[list["Need"]] = relationship(back_populates="batch", order_by="Need.id")

    @property
    def is_published(self):
        return self.published_at is not None


class Need(IdMixin, TimestampMixin, db.Model):
    """A scenario need (场景需求) submitted by a department or 街道."""

    __tablename__ = "needs"
    __audit_type__ = "need"
    __table_args__ = (
        sa.CheckConstraint("budget_fen IS NULL OR budget_fen >= 0", name="budget_non_negative"),
        sa.CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
        sa.CheckConstraint("state <> 'merged' OR merged_into_id IS NOT NULL", name="merged_has_survivor"),
        sa.CheckConstraint("state NOT IN ('published', 'converted') OR assignee_id IS NOT NULL",
                           name="accepted_has_assignee"),
        sa.Index("ix_needs_state_submitted", "state", "submitted_at"),
        sa.Index("ix_needs_domain_state", "domain", "state"),
    )

    submitter_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    domain: Mapped[str] = mapped_column(sa.String(20))
    problem: Mapped[str] = mapped_column(sa.Text)
    scenario: Mapped[str] = mapped_column(sa.Text)
    beneficiaries: Mapped[str] = mapped_column(sa.Text)
    expected_outcomes: Mapped[str] = mapped_column(sa.Text)
    data_available: Mapped[str] = mapped_column(sa.Text, default="")
    keywords: Mapped[str] = mapped_column(sa.String(200), default="")
    budget_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    budget_source: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[NeedState] = mapped_column(enum_type(NeedState, "need_state"), default=NeedState.submitted)
    # Written to the submitter (what to fix, why not, where it goes); never shown to the public.
    feedback: Mapped[str | None] = mapped_column(sa.Text)
    # The office's own remarks while triaging: admins only.
    triage_note: Mapped[str | None] = mapped_column(sa.Text)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("need_batches.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    submitter: Mapped[Organisation] = relationship(foreign_keys=[submitter_id])
    submitted_by: Mapped[User | None] = relationship()
    assignee: Mapped[Organisation | None] = relationship(foreign_keys=[assignee_id])
    merged_into: Mapped["Need | None"] = relationship(remote_side="Need.id", back_populates="merged_needs")
    merged_needs: Mapped[list["Need"]] = relationship(back_populates="merged_into", order_by="Need.id")
    batch: Mapped[NeedBatch | None] = relationship(back_populates="needs")

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in (self.keywords or "").split(KEYWORD_SEPARATOR) if k]

    @property
    def budget_yuan(self):
        return fen_to_yuan(self.budget_fen)

    @property
    def is_public(self):
        return self.published_at is not None and self.state in (NeedState.published, NeedState.converted)


class DomainSubscription(db.Model):
    """A user following a scenario domain: told when a need batch (and, with issue 10, a
    challenge) in that domain is published."""

    __tablename__ = "domain_subscriptions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[str] = mapped_column(sa.String(20), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
