from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.challenges.states import Aggregation, ChallengeState, RoundStatus
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type, utcnow
from marketplace.core.money import fen_to_yuan
from marketplace.extensions import db


class Challenge(IdMixin, TimestampMixin, db.Model):
    """A scenario challenge (榜单) posted by a department."""

    __tablename__ = "challenges"
    __audit_type__ = "challenge"
    __table_args__ = (
        sa.CheckConstraint("budget_fen >= 0", name="budget_non_negative"),
        sa.CheckConstraint("race_slots >= 1", name="race_slots_positive"),
        sa.CheckConstraint("min_submissions >= 1", name="min_submissions_positive"),
        sa.CheckConstraint("notice_days BETWEEN 0 AND 30", name="notice_days_range"),
        # The public list's sort orders and filters; keyset paging walks these (bench/README.md).
        # With one status the (state, …) indexes serve; the default list spans several states and
        # walks the plain (sort key, id) ones, filtering state as it goes.
        sa.Index("ix_challenges_state_published", "state", "published_at", "id"),
        sa.Index("ix_challenges_state_deadline", "state", "deadline", "id"),
        sa.Index("ix_challenges_state_budget", "state", "budget_fen", "id"),
        sa.Index("ix_challenges_published", "published_at", "id"),
        sa.Index("ix_challenges_deadline", "deadline", "id"),
        sa.Index("ix_challenges_budget", "budget_fen", "id"),
        sa.Index("ix_challenges_domain_state_published", "domain", "state", "published_at", "id"),
        sa.Index("ix_challenges_domain_published", "domain", "published_at", "id"),
        sa.Index("ix_challenges_domain_deadline", "domain", "deadline", "id"),
        sa.Index("ix_challenges_domain_budget", "domain", "budget_fen", "id"),
        sa.Index("ix_challenges_department_state", "department_id", "state"),
    )

    department_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    domain: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    pain_points: Mapped[str] = mapped_column(sa.Text, default="")
    outcomes: Mapped[str] = mapped_column(sa.Text, default="")
    contact: Mapped[str] = mapped_column(sa.String(200), default="")
    budget_fen: Mapped[int] = mapped_column(sa.BigInteger)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    race_slots: Mapped[int] = mapped_column(sa.Integer, default=1)
    min_submissions: Mapped[int] = mapped_column(sa.Integer, default=1)
    notice_days: Mapped[int] = mapped_column(sa.Integer, default=5)
    state: Mapped[ChallengeState] = mapped_column(
        enum_type(ChallengeState, "challenge_state"), default=ChallengeState.draft
    )
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The scenario need (需求征集) this challenge was made from; one challenge per need.
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("needs.id"), unique=True)

    department: Mapped[Organisation] = relationship()
    need = relationship("Need")
    created_by: Mapped[User | None] = relationship()
    domain_rows: Mapped[list["ChallengeDomain"]] = relationship(
        cascade="all, delete-orphan", order_by="ChallengeDomain.domain", lazy="selectin"
    )
    rounds: Mapped[list["EvaluationRound"]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="EvaluationRound.position",
    )

    @property
    def required_domains(self) -> list[str]:
        return [row.domain for row in self.domain_rows]

    @property
    def budget_yuan(self):
        return fen_to_yuan(self.budget_fen)

    def deadline_passed(self, now=None) -> bool:
        return (now or utcnow()) >= self.deadline


class ChallengeDomain(db.Model):
    """Capability domains a provider must cover to take the challenge (eligibility)."""

    __tablename__ = "challenge_domains"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class EvaluationRound(IdMixin, db.Model):
    """One round of the evaluation plan (方案评审, 中期评估, 终期评审 …)."""

    __tablename__ = "evaluation_rounds"
    __audit_type__ = "round"
    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "position"),
        sa.CheckConstraint("min_panel >= 1", name="min_panel_positive"),
        sa.CheckConstraint("advance_top IS NULL OR advance_top >= 1", name="advance_top_positive"),
    )

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(100))
    aggregation: Mapped[Aggregation] = mapped_column(enum_type(Aggregation, "aggregation"), default=Aggregation.mean)
    advance_top: Mapped[int | None] = mapped_column(sa.Integer)
    # A score threshold on the 0–100 scale, in hundredths (7500 = 75.00 points).
    advance_threshold_centi: Mapped[int | None] = mapped_column(sa.Integer)
    blind: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    min_panel: Mapped[int] = mapped_column(sa.Integer, default=3)
    # Ties break on this criterion (its position in the round); None: the highest-weighted one.
    tie_break_position: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[RoundStatus] = mapped_column(enum_type(RoundStatus, "round_status"), default=RoundStatus.setup)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_note: Mapped[str | None] = mapped_column(sa.Text)

    challenge: Mapped[Challenge] = relationship(back_populates="rounds")
    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Criterion.position", lazy="selectin"
    )

    @property
    def advance_threshold(self):
        return None if self.advance_threshold_centi is None else fen_to_yuan(self.advance_threshold_centi)

    @property
    def tie_break_criterion(self):
        if self.tie_break_position is not None:
            for criterion in self.criteria:
                if criterion.position == self.tie_break_position:
                    return criterion
        return max(self.criteria, key=lambda c: (c.weight, -c.position), default=None)

    @property
    def is_last(self) -> bool:
        return self.position == max(r.position for r in self.challenge.rounds)


class Criterion(IdMixin, db.Model):
    __tablename__ = "criteria"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "position"),
        sa.CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),
        sa.CheckConstraint("max_points > 0", name="max_points_positive"),
    )

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    weight: Mapped[int] = mapped_column(sa.Integer)
    max_points: Mapped[int] = mapped_column(sa.Integer)

    round: Mapped[EvaluationRound] = relationship(back_populates="criteria")


class Question(IdMixin, TimestampMixin, db.Model):
    """A clarification question (答疑). Published with its answer; the asker is never shown."""

    __tablename__ = "questions"
    __audit_type__ = "question"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    challenge: Mapped[Challenge] = relationship()


class ChallengeFollow(db.Model):
    """A user following a challenge (关注): told of answers, extensions, cancellation, deadline."""

    __tablename__ = "challenge_follows"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
