from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.challenges.models import EvaluationRound
from marketplace.core.db import IdMixin, UTCDateTime, enum_type, utcnow
from marketplace.core.enums import LabeledEnum
from marketplace.extensions import db


class SheetStatus(LabeledEnum):
    pending = "pending", "未开始"
    draft = "draft", "草稿"
    submitted = "submitted", "已提交"


class EvaluatorDomain(db.Model):
    """An expert's fields (专家库): the random draw picks evaluators matching the domain."""

    __tablename__ = "evaluator_domains"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[str] = mapped_column(sa.String(20), primary_key=True, index=True)


class PanelMember(IdMixin, db.Model):
    """An evaluator on a round's panel, with their conflict declaration and their score sheet."""

    __tablename__ = "panel_members"
    __audit_type__ = "panel_member"
    __table_args__ = (sa.UniqueConstraint("round_id", "evaluator_id"),)  # one sheet per evaluator per round

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    evaluator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sheet_status: Mapped[SheetStatus] = mapped_column(enum_type(SheetStatus, "sheet_status"), default=SheetStatus.pending)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(sa.Text)

    round: Mapped[EvaluationRound] = relationship()
    evaluator: Mapped[User] = relationship()
    conflicts: Mapped[list["DeclaredConflict"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def conflict_provider_ids(self) -> set[int]:
        return {c.provider_id for c in self.conflicts}


class DeclaredConflict(db.Model):
    """回避: the evaluator declared a conflict with this provider organisation."""

    __tablename__ = "declared_conflicts"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("panel_members.id", ondelete="CASCADE"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), primary_key=True)


class Score(IdMixin, db.Model):
    __tablename__ = "scores"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "submission_id", "criterion_id"),
        sa.CheckConstraint("points_centi >= 0", name="points_non_negative"),
    )

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("panel_members.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    points_centi: Mapped[int] = mapped_column(sa.Integer)  # hundredths of a point
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoundEntry(IdMixin, db.Model):
    """An entry taking part in a round, and — once the round closes — its stored result."""

    __tablename__ = "round_entries"
    __table_args__ = (sa.UniqueConstraint("round_id", "submission_id"),)

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(10))  # 方案 A, B … shown in blind rounds
    score_centi: Mapped[int | None] = mapped_column(sa.Integer)
    rank: Mapped[int | None] = mapped_column(sa.Integer)
    advanced: Mapped[bool | None] = mapped_column(sa.Boolean)
    details: Mapped[dict | None] = mapped_column(sa.JSON)

    submission = relationship("Submission")
