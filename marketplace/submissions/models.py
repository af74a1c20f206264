from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.challenges.models import Challenge
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type
from marketplace.core.money import fen_to_yuan
from marketplace.extensions import db
from marketplace.submissions.states import SubmissionState  # also imported from here by older code

_LIVE_SQL = "state <> 'withdrawn'"


class Submission(IdMixin, TimestampMixin, db.Model):
    """A provider's entry (揭榜方案). Sealed until the challenge deadline."""

    __tablename__ = "submissions"
    __audit_type__ = "submission"
    __table_args__ = (
        # One live entry per provider per challenge, kept by the database too.
        sa.Index("uq_submissions_live_per_provider", "challenge_id", "provider_id", unique=True,
                 sqlite_where=sa.text(_LIVE_SQL), postgresql_where=sa.text(_LIVE_SQL)),
        sa.Index("ix_submissions_challenge_state", "challenge_id", "state"),
        sa.CheckConstraint("price_fen >= 0", name="price_non_negative"),
    )

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[SubmissionState] = mapped_column(
        enum_type(SubmissionState, "submission_state"), default=SubmissionState.submitted
    )
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    summary: Mapped[str] = mapped_column(sa.Text)
    technical_plan: Mapped[str] = mapped_column(sa.Text)
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    timeline: Mapped[str] = mapped_column(sa.Text)
    team: Mapped[str] = mapped_column(sa.Text, default="")
    # Server time of the latest version: the tie-breaker "earlier final submission".
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excluded_reason: Mapped[str | None] = mapped_column(sa.Text)

    challenge: Mapped[Challenge] = relationship()
    provider: Mapped[Organisation] = relationship()
    versions: Mapped[list["SubmissionVersion"]] = relationship(
        back_populates="submission", order_by="SubmissionVersion.version", cascade="all, delete-orphan"
    )

    @property
    def price_yuan(self):
        return fen_to_yuan(self.price_fen)

    @property
    def entry_number(self) -> str:
        """The receipt's entry number (回执编号), e.g. JB-000042-0007."""
        return f"JB-{self.challenge_id:06d}-{self.id:04d}"


class SubmissionVersion(IdMixin, db.Model):
    """An immutable snapshot of each version of an entry, with its files' SHA-256: the receipt."""

    __tablename__ = "submission_versions"
    __table_args__ = (sa.UniqueConstraint("submission_id", "version"),)

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    change: Mapped[str] = mapped_column(sa.String(40))  # created, edited, file_added, file_removed, withdrawn
    summary: Mapped[str] = mapped_column(sa.Text)
    technical_plan: Mapped[str] = mapped_column(sa.Text)
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    timeline: Mapped[str] = mapped_column(sa.Text)
    team: Mapped[str] = mapped_column(sa.Text, default="")
    files: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{id, name, size, sha256}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    submission: Mapped[Submission] = relationship(back_populates="versions")


