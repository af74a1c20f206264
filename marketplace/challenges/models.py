from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.challenges.states import ChallengeState
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
        sa.CheckConstraint("pilot_budget_fen IS NULL OR pilot_budget_fen * race_slots <= budget_fen",
                           name="pilot_budget_within_budget"),
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
    # 试点经费: each racer's pilot budget (racers × pilot budget ≤ budget); only with a race.
    pilot_budget_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
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
    # The evaluation plan is review's (review/models.py); named by string so that this layer
    # does not import a higher one.
    rounds: Mapped[list["EvaluationRound"]] = relationship(  # noqa: F821
        back_populates="challenge", cascade="all, delete-orphan", order_by="EvaluationRound.position",
    )

    race_milestones: Mapped[list["RaceMilestone"]] = relationship(
        cascade="all, delete-orphan", order_by="RaceMilestone.position")

    @property
    def pilot_budget_yuan(self):
        return fen_to_yuan(self.pilot_budget_fen) if self.pilot_budget_fen is not None else None

    @property
    def required_domains(self) -> list[str]:
        return [row.domain for row in self.domain_rows]

    @property
    def budget_yuan(self):
        return fen_to_yuan(self.budget_fen)

    def deadline_passed(self, now=None) -> bool:
        return (now or utcnow()) >= self.deadline


class RaceMilestone(IdMixin, db.Model):
    """A unified pilot milestone (统一里程碑) of a horse race: the same for every racer, due
    `due_days` after the race starts."""

    __tablename__ = "race_milestones"
    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "position"),
        sa.CheckConstraint("due_days BETWEEN 1 AND 730", name="due_days_range"),
    )

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_days: Mapped[int] = mapped_column(sa.Integer)
    evidence: Mapped[str] = mapped_column(sa.Text, default="")


class ChallengeDomain(db.Model):
    """Capability domains a provider must cover to take the challenge (eligibility)."""

    __tablename__ = "challenge_domains"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


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
