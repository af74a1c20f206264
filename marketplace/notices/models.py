from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.challenges.models import Challenge
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type
from marketplace.extensions import db
from marketplace.notices.states import ObjectionState


class Notice(IdMixin, db.Model):
    """The public notice (公示) of a challenge's ranking and proposed winner."""

    __tablename__ = "notices"
    __audit_type__ = "notice"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_rounds.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: open until the admin finalizes
    ranking: Mapped[list] = mapped_column(sa.JSON)  # [{rank, submission_id, provider_id, provider_name, score}]
    winner_submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # an objection was upheld
    # 递补: the awarded winner withdrew or was disqualified before the contract; this notice was
    # superseded by a new one proposing the next-ranked entry.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # On the substitute notice (递补公示): whose place it takes, why, and how (withdrawn | disqualified).
    replaced_submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))
    substitute_cause: Mapped[str | None] = mapped_column(sa.String(16))
    substitute_reason: Mapped[str | None] = mapped_column(sa.Text)

    challenge: Mapped[Challenge] = relationship()


class Objection(IdMixin, TimestampMixin, db.Model):
    """异议 lodged by a participating provider during the notice."""

    __tablename__ = "objections"
    __audit_type__ = "objection"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[ObjectionState] = mapped_column(enum_type(ObjectionState, "objection_state"),
                                                  default=ObjectionState.pending)
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Upheld: "evaluators" (named evaluators re-score) or "round" (the whole round re-scores).
    scope: Mapped[str | None] = mapped_column(sa.String(16))
    rescore_evaluator_ids: Mapped[list | None] = mapped_column(sa.JSON)
    panel_note: Mapped[str | None] = mapped_column(sa.Text)  # for the panel only, never public

    challenge: Mapped[Challenge] = relationship()
    provider = relationship("Organisation")
