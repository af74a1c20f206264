"""The to-do workbench (工作台): what each role has waiting, counts first, each linking to its queue.

Every queue is counted by one grouped query and listed (its first few items) by one more; nothing
is loaded per item. Times are compared in UTC and shown in Beijing time; dates (milestones) are
Beijing dates.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from marketplace.accounts.models import Organisation, Role, User
from marketplace.challenges.models import Challenge, ChallengeDomain, Question
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.timeutil import format_datetime, format_until, today_shanghai
from marketplace.core.urls import link_for
from marketplace.extensions import db
from marketplace.matching.models import Invitation
from marketplace.matching.states import InvitationState
from marketplace.needs.models import Need
from marketplace.needs.states import CONVERTIBLE_STATES, NeedState
from marketplace.notices.models import Notice, Objection
from marketplace.notices.states import ObjectionState
from marketplace.projects.models import (
    Acceptance,
    AcceptanceMember,
    GateApproval,
    Milestone,
    ProgressReport,
    Project,
    ProjectDocument,
)
from marketplace.projects.states import (
    DOCUMENT_REQUIRED,
    GATE_ROLES,
    AcceptanceStatus,
    MilestoneStatus,
    ProjectStage,
    ReportStatus,
)
from marketplace.providers.models import ApplicationDomain, PartnerApplication
from marketplace.providers.queries import admitted_condition
from marketplace.providers.states import PartnerState
from marketplace.review.models import EvaluationRound, PanelMember
from marketplace.review.queries import conflicted_with_all_clause
from marketplace.review.states import RoundStatus, SheetStatus
from marketplace.submissions.models import Submission
from marketplace.submissions.queries import is_live

SHOWN = 5  # items listed under each count; the queue link shows the rest
SOON_DAYS = 7  # "coming": deadlines and milestones within this many days


@dataclass
class Row:
    text: str
    url: str
    note: str = ""
    urgent: bool = False


@dataclass
class Queue:
    key: str
    label: str
    count: int
    url: str | None = None  # the (filtered) queue page; None: the list here is the queue
    rows: list = field(default_factory=list)
    hint: str = ""
    urgent: bool = False


def _count(query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _scoring_days():
    return current_app.config.get("REVIEW_SCORING_DAYS", 7)


def _gate_ready():
    """A gate is waiting for its approvers once there is something to approve: an application;
    a stage that needs a document, with one uploaded; a build or roll-out stage whose milestones
    are all complete."""
    has_document = sa.exists().where(ProjectDocument.project_id == Project.id, ProjectDocument.stage == Project.stage)
    open_milestone = sa.exists().where(Milestone.project_id == Project.id, Milestone.status != MilestoneStatus.completed)
    return sa.or_(Project.stage == ProjectStage.application,
                  sa.and_(Project.stage.in_(list(DOCUMENT_REQUIRED)), has_document),
                  sa.and_(Project.stage.in_((ProjectStage.build, ProjectStage.rollout)), ~open_milestone))


def _builder(name):
    """Racers' pilot projects share the challenge's title: the provider tells them apart."""
    return f" · 承建：{name}" if name else ""


def _due(opened_at):
    return opened_at + timedelta(days=_scoring_days()) if opened_at else None


# --- admin -----------------------------------------------------------------------------------

def admin_workbench():
    now = utcnow()
    queues = []

    pending = sa.select(Challenge.id, Challenge.title, Challenge.updated_at).where(
        Challenge.state == ChallengeState.pending_review)
    queues.append(Queue("challenges", "待审核榜单", _count(pending), link_for("challenges.admin_list"), rows=[
        Row(title, link_for("challenges.detail", challenge_id=cid), f"提交于 {format_datetime(at)}")
        for cid, title, at in db.session.execute(pending.order_by(Challenge.updated_at, Challenge.id).limit(SHOWN))]))

    admin_approved = sa.exists().where(GateApproval.project_id == Project.id, GateApproval.stage == ProjectStage.approval,
                                       GateApproval.role == "admin")
    open_acceptance = sa.exists().where(Acceptance.project_id == Project.id, Acceptance.status == AcceptanceStatus.open)
    gate_condition = sa.or_(sa.and_(Project.stage == ProjectStage.approval, ~admin_approved, _gate_ready()),
                            sa.and_(Project.stage == ProjectStage.acceptance, ~open_acceptance))
    by_stage = dict(db.session.execute(sa.select(Project.stage, sa.func.count()).where(gate_condition)
                                       .group_by(Project.stage)).all())
    gates = db.session.execute(sa.select(Project.id, Project.title, Project.stage, Organisation.name)
                               .outerjoin(Organisation, Organisation.id == Project.provider_id).where(gate_condition)
                               .order_by(Project.stage_changed_at, Project.id).limit(SHOWN)).all()
    queues.append(Queue(
        "gates", "项目关口待审批（立项/验收）", sum(by_stage.values()),
        link_for("projects.index", stage="approval") if by_stage.get(ProjectStage.approval) or not by_stage
        else link_for("projects.index", stage="acceptance"),
        hint=f"立项 {by_stage.get(ProjectStage.approval, 0)} · 待组织验收 {by_stage.get(ProjectStage.acceptance, 0)}",
        rows=[Row(title, link_for("projects.detail", project_id=pid),
                  ("立项待平台审批" if stage == ProjectStage.approval else "待组织验收") + _builder(provider))
              for pid, title, stage, provider in gates]))

    objections = (sa.select(Objection.challenge_id, Challenge.title, sa.func.count(), sa.func.min(Objection.created_at))
                  .join(Challenge, Challenge.id == Objection.challenge_id)
                  .where(Objection.state == ObjectionState.pending)
                  .group_by(Objection.challenge_id, Challenge.title))
    grouped = db.session.execute(objections.order_by(sa.func.min(Objection.created_at))).all()
    queues.append(Queue("objections", "待处理异议", sum(n for _, _, n, _ in grouped), rows=[
        Row(title, link_for("review.manage", challenge_id=cid), f"{n} 件，最早于 {format_datetime(first)} 提出")
        for cid, title, n, first in grouped[:SHOWN]]))

    queues.extend(_round_queues(now))

    applications = sa.select(PartnerApplication.id).where(PartnerApplication.state == PartnerState.applied)
    queues.append(Queue("applications", "待审核伙伴清单申请", _count(applications),
                        link_for("providers.admin_applications", state="applied")))

    needs = sa.select(Need.id, Need.title, Need.submitted_at).where(Need.state == NeedState.submitted)
    queues.append(Queue("needs", "待审查需求", _count(needs), link_for("needs.triage_queue"), rows=[
        Row(title, link_for("needs.detail", need_id=nid), f"提交于 {format_datetime(at)}")
        for nid, title, at in db.session.execute(needs.order_by(Need.submitted_at, Need.id).limit(SHOWN))]))
    return queues


def _round_queues(now):
    """Rounds to close or publish, and the evaluators who still owe a round (one grouped query for
    the rounds, one for the members)."""
    # A member conflicted with every entry owes no sheet (review's sheet_done).
    not_submitted = sa.case((sa.and_(PanelMember.sheet_status != SheetStatus.submitted,
                                     ~conflicted_with_all_clause()), 1), else_=0)
    unsigned = sa.case((PanelMember.report_signed_at.is_(None), 1), else_=0)
    rounds = db.session.execute(
        sa.select(EvaluationRound.id, EvaluationRound.name, EvaluationRound.position, EvaluationRound.status,
                  EvaluationRound.challenge_id, Challenge.title, sa.func.count(PanelMember.id),
                  sa.func.coalesce(sa.func.sum(not_submitted), 0), sa.func.coalesce(sa.func.sum(unsigned), 0))
        .join(Challenge, Challenge.id == EvaluationRound.challenge_id)
        .outerjoin(PanelMember, PanelMember.round_id == EvaluationRound.id)
        .where(EvaluationRound.status.in_((RoundStatus.open, RoundStatus.review)))
        .group_by(EvaluationRound.id, EvaluationRound.name, EvaluationRound.position, EvaluationRound.status,
                  EvaluationRound.challenge_id, Challenge.title)
        .order_by(EvaluationRound.id)).all()
    to_close, signing, to_publish = [], [], []
    for rid, name, position, status, cid, title, panel, missing_sheets, missing_signatures in rounds:
        label = f"{title} · 第 {position} 轮“{name}”"
        if status == RoundStatus.open and panel and not missing_sheets:
            to_close.append(Row(label, link_for("review.manage", challenge_id=cid), "评分表已全部提交，可结束评分"))
        elif status == RoundStatus.review and missing_signatures:
            signing.append(Row(label, link_for("review.results", round_id=rid), f"{missing_signatures} 名专家未签署评审报告"))
        elif status == RoundStatus.review:
            to_publish.append(Row(label, link_for("review.results", round_id=rid), "评审报告已全部签署，可发布结果"))
    queues = [
        Queue("rounds_close", "可结束评分的轮次", len(to_close), rows=to_close[:SHOWN]),
        Queue("rounds_review", "结果待签署或待发布", len(signing) + len(to_publish), rows=(to_publish + signing)[:SHOWN],
              hint=f"待发布 {len(to_publish)} · 待签署 {len(signing)}"),
    ]
    late = late_evaluators(now)
    overdue = sum(1 for group in late for m in group["members"] if m["overdue"])
    queues.append(Queue("late", "未完成评审的专家", sum(len(g["members"]) for g in late), urgent=bool(overdue),
                        hint=f"其中已过评分期限 {overdue} 名" if overdue else ""))
    return queues


def late_evaluators(now=None):
    """[{round, challenge title, due_at, members: [{id, name, owes, reminded_at, remindable, overdue}]}]:
    evaluators on open rounds whose sheet is not submitted and on rounds under review who have not
    signed the report, by round. One query."""
    now = now or utcnow()
    interval = timedelta(hours=current_app.config.get("REMIND_INTERVAL_HOURS", 12))
    # On an open round: a sheet not submitted, unless the member declared conflicts with every
    # entry (nothing to score, done for the round, as close_round counts it).
    owing = sa.or_(sa.and_(EvaluationRound.status == RoundStatus.open, PanelMember.sheet_status != SheetStatus.submitted,
                           ~conflicted_with_all_clause()),
                   sa.and_(EvaluationRound.status == RoundStatus.review, PanelMember.report_signed_at.is_(None)))
    rows = db.session.execute(
        sa.select(PanelMember.evaluator_id, User.name, PanelMember.declared_at, PanelMember.reminded_at,
                  EvaluationRound.id, EvaluationRound.name, EvaluationRound.position, EvaluationRound.status,
                  EvaluationRound.opened_at, EvaluationRound.challenge_id, Challenge.title)
        .join(EvaluationRound, EvaluationRound.id == PanelMember.round_id)
        .join(Challenge, Challenge.id == EvaluationRound.challenge_id)
        .join(User, User.id == PanelMember.evaluator_id)
        .where(owing).order_by(EvaluationRound.opened_at, EvaluationRound.id, User.name)).all()
    groups = {}
    for evaluator_id, name, declared_at, reminded_at, rid, rname, position, status, opened_at, cid, title in rows:
        due_at = _due(opened_at) if status == RoundStatus.open else None
        group = groups.setdefault(rid, {
            "round_id": rid, "challenge_id": cid, "label": f"{title} · 第 {position} 轮“{rname}”",
            "status": status, "due_at": due_at, "overdue": bool(due_at and due_at <= now), "members": []})
        if status == RoundStatus.open:
            owes = "尚未签署回避声明" if declared_at is None else "评分表未提交"
        else:
            owes = "评审报告未签署"
        group["members"].append({
            "id": evaluator_id, "name": name, "owes": owes, "reminded_at": reminded_at,
            "remindable": reminded_at is None or now - reminded_at >= interval, "overdue": group["overdue"]})
    return sorted(groups.values(), key=lambda g: (not g["overdue"], g["round_id"]))


# --- department --------------------------------------------------------------------------------

def department_workbench(user):
    org = user.organisation_id
    now, today = utcnow(), today_shanghai()
    queues = []

    drafts = dict(db.session.execute(
        sa.select(Challenge.status_reason.is_not(None), sa.func.count())
        .where(Challenge.department_id == org, Challenge.state == ChallengeState.draft)
        .group_by(Challenge.status_reason.is_not(None))).all())
    draft_rows = db.session.execute(
        sa.select(Challenge.id, Challenge.title, Challenge.status_reason)
        .where(Challenge.department_id == org, Challenge.state == ChallengeState.draft)
        .order_by(Challenge.status_reason.is_(None), Challenge.updated_at.desc(), Challenge.id.desc()).limit(SHOWN)).all()
    queues.append(Queue(
        "drafts", "草稿与退回修改的榜单", sum(drafts.values()),
        link_for("challenges.department_list", status="draft"), urgent=bool(drafts.get(True)),
        hint=f"退回修改 {drafts.get(True, 0)} · 草稿 {drafts.get(False, 0)}",
        rows=[Row(title, link_for("challenges.edit", challenge_id=cid), f"退回理由：{reason}" if reason else "草稿",
                  urgent=bool(reason)) for cid, title, reason in draft_rows]))

    questions = db.session.execute(
        sa.select(Challenge.id, Challenge.title, sa.func.count(Question.id), sa.func.min(Question.created_at))
        .join(Question, Question.challenge_id == Challenge.id)
        .where(Challenge.department_id == org, Challenge.state == ChallengeState.published, Question.answer.is_(None))
        .group_by(Challenge.id, Challenge.title).order_by(sa.func.min(Question.created_at))).all()
    queues.append(Queue("questions", "待答复的答疑", sum(n for _, _, n, _ in questions), rows=[
        Row(title, link_for("challenges.detail", challenge_id=cid, _anchor="clarifications"),
            f"{n} 个问题，最早于 {format_datetime(first)} 提出") for cid, title, n, first in questions[:SHOWN]]))

    gate_stages = [stage for stage, roles in GATE_ROLES.items() if "department" in roles]
    dept_approved = sa.exists().where(GateApproval.project_id == Project.id, GateApproval.stage == Project.stage,
                                      GateApproval.role == "department")
    open_acceptance = sa.exists().where(Acceptance.project_id == Project.id, Acceptance.status == AcceptanceStatus.open)
    gate_condition = sa.and_(Project.department_id == org, sa.or_(
        sa.and_(Project.stage.in_(gate_stages), ~dept_approved, _gate_ready()),
        sa.and_(Project.stage == ProjectStage.acceptance, ~open_acceptance)))
    gates = (sa.select(Project.id, Project.title, Project.stage, Organisation.name)
             .outerjoin(Organisation, Organisation.id == Project.provider_id).where(gate_condition))
    queues.append(Queue("gates", "待本单位审批的项目关口", _count(gates), link_for("projects.index"), rows=[
        Row(title, link_for("projects.detail", project_id=pid),
            ("待组织验收" if stage == ProjectStage.acceptance else f"“{stage.label}”阶段关口待审批") + _builder(provider))
        for pid, title, stage, provider in db.session.execute(
            gates.order_by(Project.stage_changed_at, Project.id).limit(SHOWN))]))

    reports = (sa.select(ProgressReport.id, ProgressReport.project_id, Project.title, Milestone.title,
                         ProgressReport.percent, ProgressReport.created_at, Organisation.name)
               .join(Project, Project.id == ProgressReport.project_id)
               .join(Milestone, Milestone.id == ProgressReport.milestone_id)
               .outerjoin(Organisation, Organisation.id == Project.provider_id)
               .where(Project.department_id == org, ProgressReport.status == ReportStatus.submitted))
    queues.append(Queue("reports", "待确认的进度报告", _count(reports), rows=[
        Row(f"{project} · {milestone}", link_for("projects.detail", project_id=pid),
            f"报告进度 {percent}%，提交于 {format_datetime(at)}" + _builder(provider))
        for _rid, pid, project, milestone, percent, at, provider in db.session.execute(
            reports.order_by(ProgressReport.created_at, ProgressReport.id).limit(SHOWN))]))

    overdue = (sa.select(Milestone.id, Milestone.project_id, Project.title, Milestone.title, Milestone.due_date)
               .join(Project, Project.id == Milestone.project_id)
               .where(Project.department_id == org, Project.stage != ProjectStage.terminated,
                      Milestone.status != MilestoneStatus.completed, Milestone.due_date < today))
    n_overdue = _count(overdue)
    queues.append(Queue("overdue", "逾期里程碑", n_overdue, link_for("projects.index", overdue=1), urgent=bool(n_overdue),
                        rows=[Row(f"{project} · {title}", link_for("projects.detail", project_id=pid),
                                  f"{due.isoformat()} 到期，已逾期 {(today - due).days} 天", urgent=True)
                              for _mid, pid, project, title, due in db.session.execute(
                                  overdue.order_by(Milestone.due_date, Milestone.id).limit(SHOWN))]))

    need_condition = sa.or_(sa.and_(Need.submitter_id == org, Need.state == NeedState.returned),
                            sa.and_(Need.assignee_id == org, Need.state.in_(CONVERTIBLE_STATES)))
    by_state = dict(db.session.execute(sa.select(Need.state, sa.func.count()).where(need_condition)
                                       .group_by(Need.state)).all())
    need_rows = db.session.execute(sa.select(Need.id, Need.title, Need.state).where(need_condition)
                                   .order_by(Need.updated_at.desc(), Need.id.desc()).limit(SHOWN)).all()
    returned = by_state.get(NeedState.returned, 0)
    queues.append(Queue(
        "needs", "待处理的需求", sum(by_state.values()),
        link_for("needs.mine", status="returned") if returned else link_for("needs.mine", status="accepted"),
        hint=f"退回修改 {returned} · 可转为榜单 {sum(by_state.values()) - returned}",
        rows=[Row(title, link_for("needs.detail", need_id=nid),
                  "退回修改，请修改后重新提交" if state == NeedState.returned else "已受理，可转为榜单")
              for nid, title, state in need_rows]))

    notices = db.session.execute(
        sa.select(Notice.challenge_id, Challenge.title, Notice.ends_at)
        .join(Challenge, Challenge.id == Notice.challenge_id)
        .where(Challenge.department_id == org, Challenge.state == ChallengeState.notice, Notice.withdrawn_at.is_(None))
        .order_by(Notice.ends_at, Notice.id)).all()
    queues.append(Queue("notices", "公示中的结果", len(notices), rows=[
        Row(title, link_for("notices.notice", challenge_id=cid),
            f"公示期至 {format_until(ends)} 止" if ends else "公示中", urgent=bool(ends and ends <= now))
        for cid, title, ends in notices[:SHOWN]]))
    return queues


DEPARTMENT_LINKS = [("本单位榜单", "challenges.department_list"), ("发布榜单", "challenges.new"),
                    ("项目库", "projects.index"), ("需求征集", "needs.mine")]


# --- provider ---------------------------------------------------------------------------------

def provider_listing(user):
    return db.session.scalar(sa.select(PartnerApplication).where(
        PartnerApplication.organisation_id == user.organisation_id, admitted_condition()))


def provider_workbench(user):
    org = user.organisation_id
    now, today = utcnow(), today_shanghai()
    soon = now + timedelta(days=SOON_DAYS)
    queues = []

    live = sa.exists().where(Submission.challenge_id == Challenge.id, Submission.provider_id == org, is_live())
    listing = provider_listing(user)
    if listing is not None:
        own_domains = sa.select(ApplicationDomain.domain).where(ApplicationDomain.application_id == listing.id)
        outside = sa.exists().where(ChallengeDomain.challenge_id == Challenge.id, ChallengeDomain.domain.not_in(own_domains))
        reach = sa.or_(live, ~outside)
    else:
        reach = live
    coming = db.session.execute(
        sa.select(Challenge.id, Challenge.title, Challenge.deadline, live)
        .where(Challenge.state == ChallengeState.published, Challenge.deadline > now, Challenge.deadline <= soon, reach)
        .order_by(Challenge.deadline, Challenge.id)).all()
    queues.append(Queue("deadlines", f"{SOON_DAYS} 天内截止的榜单", len(coming), link_for("challenges.index"), rows=[
        Row(title, link_for("challenges.detail", challenge_id=cid),
            f"{format_datetime(deadline)} 截止 · {'已揭榜，可在截止前修改' if entered else '尚未揭榜'}",
            urgent=not entered) for cid, title, deadline, entered in coming[:SHOWN]]))

    invitations = (sa.select(Invitation.id, Challenge.title, Challenge.deadline)
                   .join(Challenge, Challenge.id == Invitation.challenge_id)
                   .where(Invitation.provider_id == org, Invitation.state == InvitationState.invited,
                          Challenge.state == ChallengeState.published, Challenge.deadline > now))
    queues.append(Queue("invitations", "未查看的揭榜邀请", _count(invitations), link_for("matching.recommendations"), rows=[
        Row(title, link_for("matching.open_invitation", invitation_id=iid), f"{format_datetime(deadline)} 截止")
        for iid, title, deadline in db.session.execute(invitations.order_by(Challenge.deadline).limit(SHOWN))]))

    later = sa.orm.aliased(ProgressReport)
    returned = (sa.select(ProgressReport.id, ProgressReport.milestone_id, Project.title, Milestone.title,
                          ProgressReport.reason)
                .join(Project, Project.id == ProgressReport.project_id)
                .join(Milestone, Milestone.id == ProgressReport.milestone_id)
                .where(Project.provider_id == org, ProgressReport.status == ReportStatus.returned,
                       Milestone.status != MilestoneStatus.completed, Project.stage != ProjectStage.terminated,
                       ~sa.exists().where(later.milestone_id == ProgressReport.milestone_id, later.id > ProgressReport.id)))
    queues.append(Queue("returned_reports", "被退回的进度报告", _count(returned), rows=[
        Row(f"{project} · {milestone}", link_for("projects.report", milestone_id=mid), f"退回理由：{reason or ''}",
            urgent=True)
        for _rid, mid, project, milestone, reason in db.session.execute(returned.order_by(ProgressReport.id).limit(SHOWN))]))

    milestones = (sa.select(Milestone.id, Milestone.project_id, Project.title, Milestone.title, Milestone.due_date)
                  .join(Project, Project.id == Milestone.project_id)
                  .where(Project.provider_id == org, Project.stage != ProjectStage.terminated,
                         Milestone.status != MilestoneStatus.completed,
                         Milestone.due_date <= today + timedelta(days=SOON_DAYS)))
    n_milestones = _count(milestones)
    queues.append(Queue("milestones", f"{SOON_DAYS} 天内到期或已逾期的里程碑", n_milestones, link_for("projects.index"),
                        rows=[Row(f"{project} · {title}", link_for("projects.detail", project_id=pid),
                                  f"{due.isoformat()} 到期" + (f"，已逾期 {(today - due).days} 天" if due < today else ""),
                                  urgent=due < today)
                              for _mid, pid, project, title, due in db.session.execute(
                                  milestones.order_by(Milestone.due_date, Milestone.id).limit(SHOWN))]))

    results = (sa.select(Submission.id, Challenge.id, Challenge.title, Challenge.state)
               .join(Challenge, Challenge.id == Submission.challenge_id)
               .where(Submission.provider_id == org, is_live(),
                      sa.or_(Challenge.state == ChallengeState.notice,
                             sa.and_(Challenge.state == ChallengeState.awarded,
                                     Challenge.updated_at >= now - timedelta(days=30)))))
    queues.append(Queue("results", "评审结果（公示中及近 30 天挂帅）", _count(results), link_for("submissions.mine"), rows=[
        Row(title, link_for("notices.notice", challenge_id=cid),
            "公示中：如有异议请在公示期内提出" if state == ChallengeState.notice else "已挂帅，结果已公布")
        for _sid, cid, title, state in db.session.execute(results.order_by(Challenge.updated_at.desc()).limit(SHOWN))]))
    return queues


# --- evaluator -------------------------------------------------------------------------------

def evaluator_workbench(user):
    now = utcnow()
    rows = db.session.execute(
        sa.select(PanelMember.declared_at, PanelMember.sheet_status, PanelMember.report_signed_at,
                  EvaluationRound.id, EvaluationRound.name, EvaluationRound.position, EvaluationRound.status,
                  EvaluationRound.opened_at, Challenge.title, conflicted_with_all_clause())
        .join(EvaluationRound, EvaluationRound.id == PanelMember.round_id)
        .join(Challenge, Challenge.id == EvaluationRound.challenge_id)
        .where(PanelMember.evaluator_id == user.id,
               EvaluationRound.status.in_((RoundStatus.open, RoundStatus.review)))
        .order_by(EvaluationRound.opened_at, EvaluationRound.id)).all()
    declarations, sheets, reports = [], [], []
    for declared_at, sheet_status, signed_at, rid, name, position, status, opened_at, title, nothing_to_score in rows:
        label = f"{title} · 第 {position} 轮“{name}”"
        if status == RoundStatus.open:
            due = _due(opened_at)
            late = bool(due and due <= now)
            note = f"评分期限 {format_datetime(due)}" + ("（已逾期）" if late else "")
            if declared_at is None:
                declarations.append(Row(label, link_for("review.sheet", round_id=rid), note, urgent=late))
            elif sheet_status != SheetStatus.submitted and not nothing_to_score:
                sheets.append(Row(label, link_for("review.sheet", round_id=rid),
                                  f"{sheet_status.label} · {note}", urgent=late))
        elif signed_at is None:
            reports.append(Row(label, link_for("review.report", round_id=rid), "评审报告待签署"))
    acceptances = db.session.execute(
        sa.select(Acceptance.id, Project.title, Acceptance.attempt)
        .join(AcceptanceMember, AcceptanceMember.acceptance_id == Acceptance.id)
        .join(Project, Project.id == Acceptance.project_id)
        .where(AcceptanceMember.user_id == user.id, AcceptanceMember.signed_at.is_(None),
               Acceptance.status == AcceptanceStatus.open).order_by(Acceptance.id)).all()
    return [
        Queue("sheets", "待完成的评分表", len(sheets), link_for("review.assignments"), rows=sheets[:SHOWN],
              urgent=any(r.urgent for r in sheets)),
        Queue("declarations", "待签署的回避声明", len(declarations), link_for("review.assignments"),
              rows=declarations[:SHOWN], urgent=any(r.urgent for r in declarations)),
        Queue("reports", "待签署的评审报告", len(reports), link_for("review.assignments"), rows=reports[:SHOWN]),
        Queue("acceptances", "待签署的验收结论", len(acceptances), rows=[
            Row(f"{title}（第 {attempt} 次验收）", link_for("projects.acceptance", acceptance_id=aid))
            for aid, title, attempt in acceptances[:SHOWN]]),
    ]


def workbench_for(user):
    if user.role == Role.admin:
        return admin_workbench()
    if user.role == Role.department:
        return department_workbench(user)
    if user.role == Role.provider:
        return provider_workbench(user)
    return evaluator_workbench(user)
