from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.challenges.models import Challenge
from marketplace.core.db import IdMixin, UTCDateTime, enum_type, utcnow
from marketplace.core.money import fen_to_yuan
from marketplace.extensions import db
from marketplace.review.states import Aggregation, RoundStatus, SheetStatus


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
    # Per-evaluator z-scores shown beside the raw aggregate (never replacing it), when asked for.
    normalise: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # The template version the round was copied from, if any: a later edit of the template makes a
    # new version and never reaches back into this copy.
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evaluation_templates.id"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_note: Mapped[str | None] = mapped_column(sa.Text)
    # The evaluation report (评审报告), frozen once every panel member has signed or refused.
    report: Mapped[dict | None] = mapped_column(sa.JSON)
    report_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    report_frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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
        sa.CheckConstraint("kind IN ('judged', 'price', 'metric')", name="criterion_kind"),
        sa.CheckConstraint("kind != 'metric' OR formula IS NOT NULL", name="metric_has_formula"),
    )

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    weight: Mapped[int] = mapped_column(sa.Integer)
    max_points: Mapped[int] = mapped_column(sa.Integer)
    # judged: the panel scores it; price: 综合评分法 price score; metric: computed from a declared value.
    kind: Mapped[str] = mapped_column(sa.String(10), default="judged", server_default="judged")
    formula: Mapped[dict | None] = mapped_column(sa.JSON)  # metric only; see scoring.check_formula
    guidance: Mapped[list | None] = mapped_column(sa.JSON)  # [{"band": "90–100", "text": …}] per score band

    round: Mapped[EvaluationRound] = relationship(back_populates="criteria")

    @property
    def computed(self) -> bool:
        return self.kind != "judged"


class EvaluationTemplate(IdMixin, db.Model):
    """A reusable evaluation plan (评审方案模板). Each edit is a new row, the next version of the same
    family; challenges copy one version's rounds and keep pointing at that row."""

    __tablename__ = "evaluation_templates"
    __audit_type__ = "evaluation_template"
    __table_args__ = (sa.UniqueConstraint("family_id", "version"),)

    family_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)  # the first version's id
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    key: Mapped[str | None] = mapped_column(sa.String(40))  # shipped templates: the seed's key
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    rounds: Mapped[list] = mapped_column(sa.JSON)  # the plan, as POST /challenges takes it
    current: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntryMetric(db.Model):
    """A metric value a provider declared for a metric criterion (e.g. designed PUE), exact text."""

    __tablename__ = "entry_metrics"

    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(40))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)




class MetricCheck(db.Model):
    """An evaluator's plausibility check of a declared metric value on their sheet (issue 13:
    metric criteria are computed, evaluators only confirm plausibility): 数值可信 or 存疑 (with a note)."""

    __tablename__ = "metric_checks"
    __table_args__ = (sa.CheckConstraint("verdict IN ('plausible', 'doubtful')", name="metric_check_verdict"),)

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("panel_members.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id", ondelete="CASCADE"), primary_key=True)
    verdict: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EvaluatorDomain(db.Model):
    """An expert's fields (专家库): the random draw picks evaluators matching the domain."""

    __tablename__ = "evaluator_domains"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[str] = mapped_column(sa.String(20), primary_key=True, index=True)


class PanelDraw(IdMixin, db.Model):
    """One random draw of a round's panel from the expert pool (专家库随机抽取): seed, candidates
    and the members drawn, so the draw can be replayed; a redraw carries its reason and keeps
    the members of the draw it replaced."""

    __tablename__ = "panel_draws"
    __audit_type__ = "panel_draw"

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_rounds.id", ondelete="CASCADE"), index=True)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    size: Mapped[int] = mapped_column(sa.Integer)
    candidates: Mapped[list] = mapped_column(sa.JSON)
    members: Mapped[list] = mapped_column(sa.JSON)
    previous_members: Mapped[list] = mapped_column(sa.JSON)  # the panel this draw replaced
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # required for a redraw
    drawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    drawn_by: Mapped[User | None] = relationship()


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
    return_reason: Mapped[str | None] = mapped_column(sa.Text)  # shown to this evaluator only
    report_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_dissent: Mapped[str | None] = mapped_column(sa.Text)  # 保留意见, written into the report
    report_refused: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # The admin's last reminder (催办) to this evaluator for this round: one per REMIND_INTERVAL.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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
