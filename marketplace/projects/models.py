from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.db import IdMixin, TimestampMixin, UTCDateTime, enum_type, utcnow
from marketplace.core.money import fen_to_yuan
from marketplace.extensions import db
from marketplace.projects.states import (
    AcceptanceStatus,
    Conclusion,
    GateRequestStatus,
    MilestoneStatus,
    ProjectKind,
    ProjectStage,
    ReportStatus,
)


class Project(IdMixin, TimestampMixin, db.Model):
    """A project in the key-project library (重点项目库), from an award or entered directly."""

    __tablename__ = "projects"
    __audit_type__ = "project"
    __table_args__ = (
        # Payments never exceed the approved budget: kept by the database, not only by Python.
        sa.CheckConstraint("paid_fen <= approved_fen", name="paid_within_approved"),
        sa.CheckConstraint("paid_fen >= 0", name="paid_non_negative"),
        sa.CheckConstraint("approved_fen >= 0", name="approved_non_negative"),
        sa.Index("ix_projects_department_stage", "department_id", "stage"),
        sa.Index("ix_projects_stage_domain", "stage", "domain"),
    )

    title: Mapped[str] = mapped_column(sa.String(200))
    domain: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    solution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("solutions.id"))
    challenge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # 递补: the main project of a substitute winner whose racing pilot had already closed at the
    # first award (the pilot keeps the entry; this project continues it).
    pilot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id"))
    stage: Mapped[ProjectStage] = mapped_column(enum_type(ProjectStage, "project_stage"),
                                                default=ProjectStage.application)
    kind: Mapped[ProjectKind] = mapped_column(enum_type(ProjectKind, "project_kind"), default=ProjectKind.main,
                                              server_default=ProjectKind.main.value)
    approved_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    rectify_by: Mapped[date | None] = mapped_column(sa.Date)
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Organisation] = relationship(foreign_keys=[department_id])
    provider: Mapped[Organisation | None] = relationship(foreign_keys=[provider_id])
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="project", order_by="[Milestone.due_date, Milestone.id]", cascade="all, delete-orphan")

    @property
    def approved_yuan(self):
        return fen_to_yuan(self.approved_fen)

    @property
    def paid_yuan(self):
        return fen_to_yuan(self.paid_fen)

    @property
    def remaining_fen(self):
        return self.approved_fen - self.paid_fen


class GateApproval(IdMixin, TimestampMixin, db.Model):
    """One role's approval of the gate that leaves a stage (the last one moves the project)."""

    __tablename__ = "project_gate_approvals"
    __table_args__ = (sa.UniqueConstraint("project_id", "stage", "role"),)

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    stage: Mapped[ProjectStage] = mapped_column(enum_type(ProjectStage, "project_stage"))
    role: Mapped[str] = mapped_column(sa.String(20))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User] = relationship()


class GateRequest(IdMixin, TimestampMixin, db.Model):
    """A request to open the gate out of a stage (申请进入下一阶段): the stage stays; an approver
    approves it (the project moves on) or returns it with a reason. One pending request a project."""

    __tablename__ = "project_gate_requests"
    __audit_type__ = "gate_request"
    __table_args__ = (
        sa.Index("uq_gate_requests_one_pending", "project_id", unique=True,
                 postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'")),
    )

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    stage: Mapped[ProjectStage] = mapped_column(enum_type(ProjectStage, "project_stage"))
    status: Mapped[GateRequestStatus] = mapped_column(enum_type(GateRequestStatus, "gate_request_status"),
                                                      default=GateRequestStatus.pending)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why it was returned

    project: Mapped[Project] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ProjectDocument(IdMixin, TimestampMixin, db.Model):
    """A document of a stage (可研报告, 立项批复, 招标结果, 验收报告 …); the bytes are a StoredFile."""

    __tablename__ = "project_documents"
    __table_args__ = (sa.Index("ix_project_documents_project_stage", "project_id", "stage"),)

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    stage: Mapped[ProjectStage] = mapped_column(enum_type(ProjectStage, "project_stage"))
    title: Mapped[str] = mapped_column(sa.String(200))
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("files.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    file = relationship("StoredFile")


class Milestone(IdMixin, TimestampMixin, db.Model):
    """A milestone with a due date and an owner. Overdue: past its due date and not confirmed
    complete."""

    __tablename__ = "milestones"
    __audit_type__ = "milestone"
    __table_args__ = (
        sa.CheckConstraint("percent BETWEEN 0 AND 100", name="percent_range"),
        sa.Index("ix_milestones_status_due", "status", "due_date"),
    )

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_date: Mapped[date] = mapped_column(sa.Date)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # What evidence is due (race milestones: the same for every racer, set by the challenge).
    evidence: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[MilestoneStatus] = mapped_column(enum_type(MilestoneStatus, "milestone_status"),
                                                    default=MilestoneStatus.open)
    percent: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")  # last confirmed
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The dates the due-soon and overdue warnings went out, so that each goes out once.
    warned_due_soon_for: Mapped[date | None] = mapped_column(sa.Date)
    warned_overdue_for: Mapped[date | None] = mapped_column(sa.Date)

    project: Mapped[Project] = relationship(back_populates="milestones")
    owner: Mapped[User] = relationship()
    reports: Mapped[list["ProgressReport"]] = relationship(
        back_populates="milestone", order_by="ProgressReport.id", cascade="all, delete-orphan")

    def is_overdue(self, today: date) -> bool:
        return is_overdue(self.due_date, self.status, today)


def is_overdue(due_date: date, status: MilestoneStatus, today: date) -> bool:
    """Past its due date (a milestone due today is not late yet) and not confirmed complete."""
    return status != MilestoneStatus.completed and due_date < today


class ProgressReport(IdMixin, TimestampMixin, db.Model):
    """The provider's progress report on a milestone; the department confirms or returns it."""

    __tablename__ = "progress_reports"
    __audit_type__ = "progress_report"
    __table_args__ = (sa.CheckConstraint("percent BETWEEN 0 AND 100", name="percent_range"),)

    milestone_id: Mapped[int] = mapped_column(sa.ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    percent: Mapped[int] = mapped_column(sa.Integer)
    narrative: Mapped[str] = mapped_column(sa.Text)
    # Measured indicators against the challenge's quantified outcomes (实测指标), free text.
    indicators: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus, "report_status"),
                                                 default=ReportStatus.submitted)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    milestone: Mapped[Milestone] = relationship(back_populates="reports")
    project: Mapped[Project] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])


class Payment(IdMixin, TimestampMixin, db.Model):
    """A payment against the approved budget. Amounts in fen; the project row keeps the sum of
    the payments not voided. A payment is never edited or deleted: a wrong one is voided with a
    reason (作废) and entered again."""

    __tablename__ = "payments"
    __audit_type__ = "payment"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    paid_on: Mapped[date] = mapped_column(sa.Date)  # 付款日期 (Beijing date)
    voucher_no: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")  # 凭证号
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(sa.Text)

    project: Mapped[Project] = relationship()

    @property
    def amount_yuan(self):
        return fen_to_yuan(self.amount_fen)

    @property
    def voided(self):
        return self.voided_at is not None


class Acceptance(IdMixin, TimestampMixin, db.Model):
    """An acceptance (验收) meeting: a panel works through a checklist and signs a conclusion."""

    __tablename__ = "acceptances"
    __audit_type__ = "acceptance"
    __table_args__ = (sa.UniqueConstraint("project_id", "attempt"),)

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(sa.Integer, default=1)  # 2, 3 …: follow-up acceptances
    status: Mapped[AcceptanceStatus] = mapped_column(enum_type(AcceptanceStatus, "acceptance_status"),
                                                     default=AcceptanceStatus.open)
    conclusion: Mapped[Conclusion | None] = mapped_column(enum_type(Conclusion, "acceptance_conclusion"))
    rectify_by: Mapped[date | None] = mapped_column(sa.Date)
    findings: Mapped[str] = mapped_column(sa.Text, default="")
    convened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    members: Mapped[list["AcceptanceMember"]] = relationship(
        back_populates="acceptance", order_by="AcceptanceMember.user_id", cascade="all, delete-orphan")
    items: Mapped[list["ChecklistItem"]] = relationship(
        back_populates="acceptance", order_by="ChecklistItem.position", cascade="all, delete-orphan")


class AcceptanceMember(db.Model):
    """A panel member and their own signature (with an optional dissent), or the refusal to sign
    recorded by the department or the admin."""

    __tablename__ = "acceptance_members"

    acceptance_id: Mapped[int] = mapped_column(sa.ForeignKey("acceptances.id", ondelete="CASCADE"),
                                               primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    conclusion: Mapped[Conclusion | None] = mapped_column(enum_type(Conclusion, "acceptance_conclusion"))
    rectify_by: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dissent: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # 保留意见
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refusal_reason: Mapped[str | None] = mapped_column(sa.Text)
    refusal_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    acceptance: Mapped[Acceptance] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def settled(self):
        """Signed, or the refusal to sign is on record."""
        return self.signed_at is not None or self.refused_at is not None


class ChecklistItem(IdMixin, db.Model):
    __tablename__ = "acceptance_checklist_items"
    __table_args__ = (sa.UniqueConstraint("acceptance_id", "position"),)

    acceptance_id: Mapped[int] = mapped_column(sa.ForeignKey("acceptances.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    item: Mapped[str] = mapped_column(sa.String(300))
    passed: Mapped[bool | None] = mapped_column(sa.Boolean)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    acceptance: Mapped[Acceptance] = relationship(back_populates="items")
