"""Full-process project management (全过程管理): stages and their gates, documents, milestones,
progress reports, payments and acceptance (验收). DOMAIN.md step 8."""

from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrganisationKind, Role, User
from marketplace.audit.operations import record
from marketplace.core.db import utcnow
from marketplace.core.domains import DOMAINS
from marketplace.core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from marketplace.core.money import format_yuan, yuan_to_fen
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.projects import events
from marketplace.projects.models import (
    Acceptance,
    AcceptanceMember,
    ChecklistItem,
    GateApproval,
    GateRequest,
    Milestone,
    Payment,
    ProgressReport,
    Project,
    ProjectDocument,
)
from marketplace.projects.states import (
    ACCEPTANCE_MACHINE,
    ACCEPTANCE_ROLES,
    DOCUMENT_REQUIRED,
    GATE_REQUEST_MACHINE,
    GATE_ROLES,
    KIND_MACHINE,
    MILESTONE_MACHINE,
    ORDER,
    PAYMENT_STAGES,
    PROJECT_MACHINE,
    REPORT_MACHINE,
    SEVERITY,
    AcceptanceStatus,
    Conclusion,
    GateRequestStatus,
    MilestoneStatus,
    ProjectKind,
    ProjectStage,
    ReportStatus,
    next_stage,
)

S = ProjectStage
OWNER_TYPE = "project"  # documents: StoredFile.owner_type / owner_id = project id
REPORT_OWNER_TYPE = "progress_report"  # attachments of a progress report


def _snapshot(project):
    return {"stage": project.stage, "approved_fen": project.approved_fen, "paid_fen": project.paid_fen,
            "reason": project.status_reason, "rectify_by": project.rectify_by}


def _move(actor, project, action, *, reason=None, note=None):
    """Change the stage with a conditional UPDATE, so two requests racing on one gate move the
    project once: the loser sees a 409."""
    before = _snapshot(project)
    old = project.stage
    new = PROJECT_MACHINE.target(old, action)
    values = {"stage": new, "stage_changed_at": utcnow(), "updated_at": utcnow()}
    if reason is not None:
        values["status_reason"] = reason
    moved = db.session.execute(
        sa.update(Project).where(Project.id == project.id, Project.stage == old).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(project)
    if moved != 1:
        raise InvalidTransition(f"项目阶段已变更为“{project.stage.label}”，请刷新后重试")
    after = _snapshot(project)
    if note:
        after["note"] = note
    record(actor, f"project.{action}", project, before=before, after=after)
    if action == "terminate":
        request = pending_gate_request(project)
        if request is not None:  # a terminated project has no gate to pass
            _decide_gate_request(actor, request, "return", f"项目已终止：{reason}")
    return project


# --- creating -------------------------------------------------------------------------------

def _provider(provider_id):
    if provider_id is None:
        return None
    org = db.session.get(Organisation, provider_id)
    if org is None or org.kind != OrganisationKind.provider:
        raise ValidationFailed(fields={"provider_id": "请选择有效的服务商"})
    return org


def check_solution(solution_id, provider_id, field="solution_id"):
    if solution_id is None:
        return None
    from marketplace.providers.models import Solution

    solution = db.session.get(Solution, solution_id)
    if solution is None or solution.organisation_id != provider_id:
        raise ValidationFailed(fields={field: "请选择该服务商的解决方案"})
    return solution


def create_project(actor, *, title, domain, approved_budget_yuan, description="", provider_id=None,
                   solution_id=None, department_id=None, challenge_id=None, submission_id=None, announce=True):
    """申报: a department enters a project into the key-project library directly; it starts in
    `application`. (An awarded challenge makes one through `create_project_from_award`, whose
    award notice already tells everyone: announce=False says so to the subscribers, keeping it to
    one notice per person.)"""
    if department_id is None:
        if actor is None or actor.role != Role.department or actor.organisation_id is None:
            raise NotAllowed("只有发榜单位用户可以申报项目")
        department_id = actor.organisation_id
    if domain not in DOMAINS:
        raise ValidationFailed(fields={"domain": "请选择有效的场景领域"})
    provider = _provider(provider_id)
    check_solution(solution_id, provider_id)
    project = Project(
        title=title, domain=domain, description=description or "", department_id=department_id,
        provider_id=provider.id if provider else None, solution_id=solution_id, challenge_id=challenge_id,
        submission_id=submission_id, created_by_id=getattr(actor, "id", None), stage=S.application,
        approved_fen=yuan_to_fen(approved_budget_yuan), paid_fen=0,
    )
    db.session.add(project)
    db.session.flush()
    record(actor, "project.create", project, after={
        "title": title, "domain": domain, "department_id": department_id, "provider_id": project.provider_id,
        "approved_fen": project.approved_fen, "challenge_id": challenge_id, "submission_id": submission_id,
        "stage": project.stage})
    events.project_created.send(project, actor=actor, from_award=not announce)
    return project


def create_project_from_award(actor, challenge, submission):
    """挂帅: the awarded entry becomes a project in `application`, linked to the challenge and the
    entry. Its approved budget is the entry's price, but never more than the challenge's budget.
    After a horse race the winner's pilot is that project (promoted, same row). Calling it again
    for the same entry returns the project already made."""
    budget_fen = min(submission.price_fen, challenge.budget_fen)
    existing = db.session.scalar(sa.select(Project).where(Project.submission_id == submission.id))
    if existing is not None and existing.kind == ProjectKind.pilot and existing.stage == S.terminated:
        # 递补 after a race: the substitute's pilot closed at the first award; a new main project
        # continues it (linked), the pilot keeps its record.
        return _create_from_pilot(actor, challenge, existing, budget_fen)
    if existing is not None:
        if existing.kind == ProjectKind.pilot:
            promote_pilot(actor, existing, approved_fen=budget_fen)
        return existing
    if submission.challenge_id != challenge.id:
        raise Conflict("该方案不属于此榜单")
    from marketplace.core.money import fen_to_yuan

    return create_project(
        actor, title=challenge.title, domain=challenge.domain, approved_budget_yuan=fen_to_yuan(budget_fen),
        description=challenge.outcomes or challenge.description, provider_id=submission.provider_id,
        department_id=challenge.department_id, challenge_id=challenge.id, submission_id=submission.id,
        announce=False)


def _create_from_pilot(actor, challenge, pilot, budget_fen):
    made = db.session.scalar(sa.select(Project).where(Project.pilot_id == pilot.id))
    if made is not None:
        return made
    project = Project(
        title=challenge.title, domain=challenge.domain, description=challenge.outcomes or challenge.description,
        department_id=challenge.department_id, provider_id=pilot.provider_id, challenge_id=challenge.id,
        pilot_id=pilot.id, created_by_id=getattr(actor, "id", None), stage=S.application, kind=ProjectKind.main,
        approved_fen=budget_fen, paid_fen=0)
    db.session.add(project)
    db.session.flush()
    record(actor, "project.create_from_pilot", project, after={
        "title": project.title, "challenge_id": challenge.id, "pilot_id": pilot.id, "provider_id": pilot.provider_id,
        "approved_fen": budget_fen, "stage": project.stage})
    return project


def award_project(challenge):
    """The live main project an award put in the library (None when there is none)."""
    return db.session.scalar(sa.select(Project).where(
        Project.challenge_id == challenge.id, Project.kind == ProjectKind.main, Project.stage != S.terminated)
        .order_by(Project.id.desc()).limit(1))


# Before the contract: 建设 (build) starts once the procurement result is signed.
BEFORE_CONTRACT = ORDER[:ORDER.index(S.build)]


def withdraw_award_project(actor, challenge, *, reason):
    """递补: the awarded winner withdrew or was disqualified; its project ends with the reason.
    Only before the contract (申报 … 招标): from 建设 on the contract binds and there is no 递补
    (409). No live project (already terminated by the admin): nothing to end."""
    project = award_project(challenge)
    if project is None:
        return None
    if project.stage not in BEFORE_CONTRACT:
        raise Conflict(f"挂帅项目已进入“{project.stage.label}”阶段（合同已签订），不能递补")
    return _move(actor, project, "terminate", reason=f"挂帅单位退出，递补：{reason}")


# --- the horse race (赛马): pilot projects -----------------------------------------------------

def start_pilot(actor, challenge, submission, *, started_on):
    """试点: a racer's pilot project, made by the workflow when the race starts. It carries the
    challenge's unified milestones (due `due_days` after `started_on`), the pilot budget as its
    approved budget and the racer as provider; it stays in `application` (the main project's gates
    come after the award), and its provider reports progress and is paid as on any project.
    Calling it again for the same entry returns the pilot already made."""
    existing = db.session.scalar(sa.select(Project).where(Project.submission_id == submission.id))
    if existing is not None:
        return existing
    if submission.challenge_id != challenge.id:
        raise Conflict("该方案不属于此榜单")
    owner = db.session.get(User, submission.submitted_by_id) if submission.submitted_by_id else None
    if owner is None or not owner.is_active:
        owner = db.session.scalar(sa.select(User).where(User.organisation_id == submission.provider_id,
                                                        User.is_active).order_by(User.id).limit(1))
    if owner is None:
        raise Conflict("该服务商没有在用账号，无法建立试点项目")
    project = Project(
        title=f"{challenge.title}（试点）", domain=challenge.domain,
        description=challenge.outcomes or challenge.description, department_id=challenge.department_id,
        provider_id=submission.provider_id, challenge_id=challenge.id, submission_id=submission.id,
        created_by_id=getattr(actor, "id", None), stage=S.application, kind=ProjectKind.pilot,
        approved_fen=challenge.pilot_budget_fen or 0, paid_fen=0)
    db.session.add(project)
    for race_milestone in challenge.race_milestones:
        project.milestones.append(Milestone(
            title=race_milestone.title, due_date=started_on + timedelta(days=race_milestone.due_days),
            evidence=race_milestone.evidence, owner_id=owner.id, status=MilestoneStatus.open, percent=0))
    db.session.flush()
    record(actor, "project.start_pilot", project, after={
        "challenge_id": challenge.id, "submission_id": submission.id, "provider_id": project.provider_id,
        "approved_fen": project.approved_fen, "kind": project.kind, "started_on": started_on,
        "milestones": [[m.title, m.due_date] for m in project.milestones]})
    return project


def end_pilot(actor, project, *, reason):
    """末位淘汰 (or a lost race): the pilot ends (`terminated`) with the reason; what was paid is
    written into the reason as its settlement. Decided by the workflow, not by a person here."""
    if project.kind != ProjectKind.pilot:
        raise Conflict("只有试点项目可以因赛马淘汰而终止")
    if project.stage == S.terminated:
        return project
    settlement = f"试点经费已付 {format_yuan(project.paid_fen)} 元（批复 {format_yuan(project.approved_fen)} 元），按已付结清"
    return _move(actor, project, "terminate", reason=f"{reason}；{settlement}")


def promote_pilot(actor, project, *, approved_fen):
    """挂帅: the winner's pilot continues as the main project (same row, no duplicate), with the
    main project's approved budget (never below what the pilot was already paid)."""
    before = {"kind": project.kind, "approved_fen": project.approved_fen, "title": project.title}
    project.kind = KIND_MACHINE.target(project.kind, "promote")
    project.approved_fen = max(approved_fen, project.paid_fen)
    project.title = project.title.removesuffix("（试点）")
    db.session.flush()
    record(actor, "project.promote", project, before=before, after={
        "kind": project.kind, "approved_fen": project.approved_fen, "title": project.title})
    return project


def challenge_projects(challenge_id):
    """The projects of a challenge: the racers' pilots (and the winner's main project)."""
    return db.session.scalars(sa.select(Project).where(Project.challenge_id == challenge_id)
                              .order_by(Project.id)).all()


def assign_provider(actor, project, provider_id, solution_id=None):
    """招标 result for a directly entered project: the chosen provider (before the build starts)."""
    if project.stage not in (S.application, S.feasibility, S.approval, S.procurement):
        raise Conflict(f"项目处于“{project.stage.label}”阶段，不能再更换服务商")
    provider = _provider(provider_id)
    if provider is None:
        raise ValidationFailed(fields={"provider_id": "请选择服务商"})
    check_solution(solution_id, provider.id)
    before = {"provider_id": project.provider_id, "solution_id": project.solution_id}
    project.provider_id, project.solution_id = provider.id, solution_id
    record(actor, "project.assign_provider", project, before=before,
           after={"provider_id": provider.id, "solution_id": solution_id})
    events.provider_assigned.send(project, actor=actor)
    return project


# --- documents ------------------------------------------------------------------------------

def stage_documents(project):
    return db.session.scalars(
        sa.select(ProjectDocument).where(ProjectDocument.project_id == project.id).order_by(ProjectDocument.id)
        .options(sa.orm.selectinload(ProjectDocument.file))
    ).all()


def missing_documents(project, stage=None, documents=None):
    """What must be uploaded before the project can leave `stage` (default: its current one).
    `documents`: the project's documents when the caller has them loaded already."""
    stage = stage or project.stage
    required = DOCUMENT_REQUIRED.get(stage)
    if required is None:
        return []
    if documents is not None:
        count = sum(1 for d in documents if d.stage == stage)
    else:
        count = db.session.scalar(sa.select(sa.func.count(ProjectDocument.id)).where(
            ProjectDocument.project_id == project.id, ProjectDocument.stage == stage))
    return [] if count else [required]


def _require_documents(project):
    missing = missing_documents(project)
    if missing:
        raise Conflict(f"离开“{project.stage.label}”阶段前须上传本阶段文件：{'、'.join(missing)}",
                       code="documents_missing", fields={"documents": "、".join(missing)})


def add_document(actor, project, *, stage, title, upload):
    """A stage document (可研报告, 立项批复 …), for the current stage or one already passed."""
    if project.stage == S.terminated:
        raise Conflict("项目已终止，不能再上传文件")
    stage = ProjectStage.get(stage) if not isinstance(stage, ProjectStage) else stage
    if stage is None or stage == S.terminated:
        raise ValidationFailed(fields={"stage": "请选择有效的阶段"})
    if ORDER.index(stage) > ORDER.index(project.stage):
        raise ValidationFailed(fields={"stage": f"项目尚未进入“{stage.label}”阶段，不能上传该阶段文件"})
    if not title:
        raise ValidationFailed(fields={"title": "请填写文件名称"})
    from marketplace.files.operations import store_upload

    stored = store_upload(actor, upload, owner_type=OWNER_TYPE, owner_id=project.id)
    document = ProjectDocument(project_id=project.id, stage=stage, title=title, file_id=stored.id,
                               uploaded_by_id=getattr(actor, "id", None))
    db.session.add(document)
    record(actor, "project.document", project, after={"stage": stage, "title": title, "file": stored.name,
                                                     "sha256": stored.sha256})
    return document


# --- gates ----------------------------------------------------------------------------------

def _actor_role(actor):
    return actor.role.value if actor is not None else None


def pending_gate_roles(project, approvals=None):
    """Roles still to approve the gate out of the current stage. `approvals`: the project's
    approvals (gate_approvals) when the caller has them loaded already."""
    roles = GATE_ROLES.get(project.stage, ())
    if approvals is not None:
        done = {a.role for a in approvals if a.stage == project.stage}
    else:
        done = set(db.session.scalars(sa.select(GateApproval.role).where(
            GateApproval.project_id == project.id, GateApproval.stage == project.stage)))
    return [r for r in roles if r not in done]


def gate_approvals(project):
    return db.session.scalars(sa.select(GateApproval).where(GateApproval.project_id == project.id)
                              .order_by(GateApproval.id)).all()


def advance_project(actor, project, *, to_stage, note=""):
    """Approve the gate out of the current stage: only to the next stage, only by a role allowed
    at that gate, and — leaving 可研, 立项, 招标 — only with that stage's document. 立项 needs the
    department and the platform admin; the last approval moves the project on."""
    target = ProjectStage.get(to_stage) if not isinstance(to_stage, ProjectStage) else to_stage
    if target is None:
        raise ValidationFailed(fields={"to_stage": "请选择有效的阶段"})
    if target == S.terminated:
        raise InvalidTransition("终止项目须由平台管理员执行“终止”操作并说明理由")
    if project.stage == S.acceptance and target == S.operation:
        raise InvalidTransition("验收阶段须由验收结论（通过）进入运营，请组织验收")
    expected = next_stage(project.stage)
    if expected is None or target != expected:
        PROJECT_MACHINE.target(project.stage, "advance")  # 409 for terminal stages
        raise InvalidTransition(f"当前阶段为“{project.stage.label}”，只能进入下一阶段“{expected.label}”")
    role = _actor_role(actor)
    roles = GATE_ROLES.get(project.stage, ())
    from marketplace.projects.permissions import can_approve_gate

    if role not in roles or not can_approve_gate(actor, project):
        raise NotAllowed(f"“{project.stage.label}”阶段的关口须由{'、'.join(_ROLE_LABELS[r] for r in roles)}审批")
    _require_documents(project)
    pending = pending_gate_roles(project)
    if role not in pending:
        raise Conflict("您已审批该关口，等待其他方审批")
    try:
        with db.session.begin_nested():
            db.session.add(GateApproval(project_id=project.id, stage=project.stage, role=role, user_id=actor.id,
                                        note=note or ""))
    except sa.exc.IntegrityError:  # the same role approved at the same moment in another request
        raise Conflict("该关口已由同一角色审批，请刷新页面") from None
    remaining = [r for r in pending if r != role]
    if remaining:
        record(actor, "project.gate_approve", project,
               after={"stage": project.stage, "role": role, "note": note, "waiting_for": remaining})
        events.gate_approved.send(project, actor=actor, role=role, waiting_for=remaining)
        return project
    left = project.stage
    request = pending_gate_request(project)
    _move(actor, project, "advance", note=note)
    if request is not None:
        _decide_gate_request(actor, request, "approve")
    events.project_advanced.send(project, actor=actor, left=left)
    return project


_ROLE_LABELS = {"department": "发榜单位", "admin": "平台管理员"}


# --- gate requests (申请进入下一阶段 / 退回) ---------------------------------------------------

def pending_gate_request(project, requests=None):
    """The request waiting at the gate, if any. `requests`: the project's requests (gate_requests)
    when the caller has them loaded already."""
    if requests is not None:
        return next((r for r in requests if r.status == GateRequestStatus.pending), None)
    return db.session.scalar(sa.select(GateRequest).where(GateRequest.project_id == project.id,
                                                          GateRequest.status == GateRequestStatus.pending))


def gate_requests(project):
    return db.session.scalars(sa.select(GateRequest).where(GateRequest.project_id == project.id)
                              .order_by(GateRequest.id)).all()


def request_gate(actor, project, *, note=""):
    """The project's department or its provider asks to leave the current stage (申请进入下一阶段).
    The stage stays; the approvers at that gate approve (the project moves on) or return the
    request with a reason. One pending request a project."""
    from marketplace.projects.permissions import can_request_gate

    if not can_request_gate(actor, project):
        raise NotAllowed("只有本项目的发榜单位或承建服务商可以申请进入下一阶段")
    if project.stage not in GATE_ROLES:
        if project.stage == S.acceptance:
            raise Conflict("验收阶段须由验收结论（通过）进入运营，不能申请关口审批")
        raise Conflict(f"项目处于“{project.stage.label}”阶段，不能申请进入下一阶段")
    if pending_gate_request(project) is not None:
        raise Conflict("已有待审批的关口申请，请等待审批结果")
    request = GateRequest(project_id=project.id, stage=project.stage, status=GateRequestStatus.pending,
                          note=(note or "").strip(), requested_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(request)
            db.session.flush()
    except sa.exc.IntegrityError:  # another request at the same moment
        raise Conflict("已有待审批的关口申请，请刷新页面") from None
    nxt = next_stage(project.stage)
    record(actor, "gate_request.create", request, after={
        "project_id": project.id, "stage": project.stage, "to_stage": nxt, "note": request.note,
        "status": request.status})
    events.gate_requested.send(request, actor=actor)
    return request


def _decide_gate_request(actor, request, action, reason=None):
    before = {"status": request.status}
    request.status = GATE_REQUEST_MACHINE.target(request.status, action)
    request.decided_by_id, request.decided_at, request.reason = getattr(actor, "id", None), utcnow(), reason
    db.session.flush()
    record(actor, f"gate_request.{action}", request, before=before,
           after={"status": request.status, "reason": reason, "project_id": request.project_id,
                  "stage": request.stage})
    return request


def return_gate_request(actor, project, *, reason):
    """An approver at the gate returns the pending request with a reason: the project stays in
    its stage and the gate starts again (approvals already given for it are withdrawn, and kept
    in the audit log). The requester's organisation and the department are told why."""
    from marketplace.projects.permissions import can_approve_gate

    reason = (reason or "").strip()
    if not can_approve_gate(actor, project):
        roles = GATE_ROLES.get(project.stage, ())
        raise NotAllowed(f"“{project.stage.label}”阶段的关口须由{'、'.join(_ROLE_LABELS[r] for r in roles) or '审批方'}审批")
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写退回理由"})
    request = pending_gate_request(project)
    if request is None or request.stage != project.stage:
        raise Conflict("没有待审批的关口申请")
    approvals = db.session.scalars(sa.select(GateApproval).where(
        GateApproval.project_id == project.id, GateApproval.stage == project.stage)).all()
    withdrawn = [{"role": a.role, "user_id": a.user_id, "note": a.note} for a in approvals]
    for approval in approvals:
        db.session.delete(approval)
    _decide_gate_request(actor, request, "return", reason)
    if withdrawn:
        record(actor, "project.gate_reset", project, before={"stage": project.stage, "approvals": withdrawn},
               after={"stage": project.stage, "approvals": [], "reason": reason})
    events.gate_returned.send(request, actor=actor, reason=reason)
    return request


def terminate_project(actor, project, *, reason):
    """The platform admin terminates a project before 运营, with a reason."""
    if actor is None or actor.role != Role.admin:
        raise NotAllowed("只有平台管理员可以终止项目")
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写终止理由"})
    _move(actor, project, "terminate", reason=reason)
    events.project_terminated.send(project, actor=actor, reason=reason)
    return project


# --- milestones and progress reports --------------------------------------------------------

def _check_open(project):
    if project.stage == S.terminated:
        raise Conflict("项目已终止")


def owner_candidates(project):
    org_ids = [project.department_id] + ([project.provider_id] if project.provider_id else [])
    return db.session.scalars(sa.select(User).where(User.organisation_id.in_(org_ids), User.is_active)
                              .order_by(User.organisation_id, User.name)).all()


def add_milestone(actor, project, *, title, due_date, owner_id):
    """A milestone with a due date and an owner from the department or the provider."""
    _check_open(project)
    if not isinstance(due_date, date):
        raise ValidationFailed(fields={"due_date": "请填写有效的日期"})
    if due_date < today_shanghai():
        raise ValidationFailed(fields={"due_date": "截止日期不能早于今天"})
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or owner not in owner_candidates(project):
        raise ValidationFailed(fields={"owner_id": "负责人须为本项目发榜单位或承建服务商的在用账号"})
    milestone = Milestone(title=title, due_date=due_date, owner_id=owner.id, status=MilestoneStatus.open, percent=0)
    project.milestones.append(milestone)
    db.session.flush()
    record(actor, "milestone.create", milestone, after={"project_id": project.id, "title": title,
                                                      "due_date": due_date, "owner_id": owner.id})
    events.milestone_added.send(milestone, actor=actor)
    return milestone


def submit_report(actor, milestone, *, percent, narrative, uploads=(), indicators=""):
    """The provider reports progress on a milestone: percent 0–100, a narrative, attachments."""
    project = milestone.project
    _check_open(project)
    from marketplace.projects.permissions import can_report_progress

    if not can_report_progress(actor, project):
        raise NotAllowed("只有承建服务商可以报告进度")
    if milestone.status == MilestoneStatus.completed:
        raise Conflict("该里程碑已确认完成")
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
        raise ValidationFailed(fields={"percent": "进度应为 0–100 的整数"})
    if not narrative:
        raise ValidationFailed(fields={"narrative": "请填写进度说明"})
    if any(r.status == ReportStatus.submitted for r in milestone.reports):
        raise Conflict("上一份进度报告尚待发榜单位确认")
    report = ProgressReport(project_id=project.id, percent=percent, narrative=narrative,
                            indicators=(indicators or "").strip(), status=ReportStatus.submitted,
                            submitted_by_id=actor.id)
    milestone.reports.append(report)
    db.session.flush()
    for upload in uploads:
        attach_report_file(actor, report, upload)
    record(actor, "progress_report.submit", report, after={"milestone_id": milestone.id, "percent": percent})
    events.report_submitted.send(report, actor=actor)
    return report


def attach_report_file(actor, report, upload):
    if report.status != ReportStatus.submitted:
        raise Conflict("只能为待确认的进度报告添加附件")
    from marketplace.files.operations import store_upload

    return store_upload(actor, upload, owner_type=REPORT_OWNER_TYPE, owner_id=report.id)


def report_files(report):
    from marketplace.files.operations import live_files

    return live_files(REPORT_OWNER_TYPE, report.id)


def _decide(actor, report, status, reason=None):
    if report.status != ReportStatus.submitted:
        raise Conflict(f"该进度报告{report.status.label}，不能重复处理")
    report.status = REPORT_MACHINE.target(report.status, "confirm" if status == ReportStatus.confirmed else "return")
    report.reason = reason
    report.decided_by_id, report.decided_at = actor.id, utcnow()


def confirm_report(actor, report):
    """The department confirms a report; a confirmed 100% completes the milestone."""
    _check_open(report.project)
    _decide(actor, report, ReportStatus.confirmed)
    milestone = report.milestone
    before = {"percent": milestone.percent, "status": milestone.status}
    milestone.percent = report.percent
    if report.percent == 100:
        milestone.status, milestone.completed_at = MILESTONE_MACHINE.target(milestone.status, "complete"), utcnow()
    record(actor, "progress_report.confirm", report, before=before,
           after={"percent": milestone.percent, "status": milestone.status})
    events.report_confirmed.send(report, actor=actor)
    return report


def return_report(actor, report, *, reason):
    """The department sends a report back with a reason; the provider answers with a new one."""
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写退回理由"})
    _check_open(report.project)
    _decide(actor, report, ReportStatus.returned, reason)
    record(actor, "progress_report.return", report, after={"reason": reason})
    events.report_returned.send(report, actor=actor, reason=reason)
    return report


def overdue_milestones_query(today=None, department_id=None):
    """Milestones past their due date and not confirmed complete, of live projects."""
    today = today or today_shanghai()
    query = (sa.select(Milestone).join(Project, Project.id == Milestone.project_id)
             .where(Milestone.status != MilestoneStatus.completed, Milestone.due_date < today,
                    Project.stage != S.terminated)
             .order_by(Milestone.due_date, Milestone.id))
    if department_id:
        query = query.where(Project.department_id == department_id)
    return query


def warn_due_milestones(today=None):
    """For `notify-due`: warn each open milestone's owner three days before its due date and on the
    day after it (overdue). Each warning goes out once per due date, however often cron runs."""
    today = today or today_shanghai()
    sent = 0
    live = (sa.select(Milestone).join(Project, Project.id == Milestone.project_id)
            .where(Milestone.status != MilestoneStatus.completed,
                   Project.stage.not_in([S.terminated, S.operation])))
    soon = db.session.scalars(live.where(
        Milestone.due_date <= today + timedelta(days=3), Milestone.due_date >= today,
        sa.or_(Milestone.warned_due_soon_for.is_(None), Milestone.warned_due_soon_for != Milestone.due_date))
    ).all()
    for milestone in soon:
        milestone.warned_due_soon_for = milestone.due_date
        events.milestone_due_soon.send(milestone, actor=None, days=(milestone.due_date - today).days)
        sent += 1
    late = db.session.scalars(live.where(
        Milestone.due_date <= today - timedelta(days=1),
        sa.or_(Milestone.warned_overdue_for.is_(None), Milestone.warned_overdue_for != Milestone.due_date))
    ).all()
    for milestone in late:
        milestone.warned_overdue_for = milestone.due_date
        record(None, "milestone.overdue", milestone, after={"due_date": milestone.due_date})
        events.milestone_overdue.send(milestone, actor=None)
        sent += 1
    return sent


# --- payments -------------------------------------------------------------------------------

def payments_open(project):
    """Payments are made once the project is approved (立项); a racer's pilot is paid from its
    pilot budget during the race, before any gate."""
    piloting = project.kind == ProjectKind.pilot and project.stage == S.application
    return project.stage in PAYMENT_STAGES or piloting


VOUCHER_MAX = 50


def record_payment(actor, project, *, amount_yuan, note="", paid_on=None, voucher_no=""):
    """A payment against the approved budget, with its date (付款日期, default today in Beijing;
    never in the future) and voucher number (凭证号; the page requires it, the API may leave it
    out). The sum of the payments not voided never exceeds the approved amount: a single
    conditional UPDATE adds the amount only while it still fits (the row lock serialises two
    requests at the same moment), and a CHECK constraint backs it up."""
    if not payments_open(project):
        raise Conflict(f"项目处于“{project.stage.label}”阶段，立项之后才能登记付款")
    amount_fen = yuan_to_fen(amount_yuan)
    errors = {}
    if amount_fen <= 0:
        errors["amount_yuan"] = "付款金额必须大于 0"
    today = today_shanghai()
    paid_on = paid_on or today
    if not isinstance(paid_on, date):
        errors["paid_on"] = "请填写有效的付款日期"
    elif paid_on > today:
        errors["paid_on"] = "付款日期不能晚于今天"
    voucher_no = (voucher_no or "").strip()
    if len(voucher_no) > VOUCHER_MAX:
        errors["voucher_no"] = f"凭证号不能超过 {VOUCHER_MAX} 个字符"
    elif voucher_no and db.session.scalar(sa.select(Payment.id).where(
            Payment.project_id == project.id, Payment.voucher_no == voucher_no, Payment.voided_at.is_(None))):
        errors["voucher_no"] = f"凭证号“{voucher_no}”已登记过一笔付款"
    if errors:
        raise ValidationFailed(fields=errors)
    row = db.session.execute(
        sa.update(Project)
        .where(Project.id == project.id, Project.paid_fen + amount_fen <= Project.approved_fen)
        .values(paid_fen=Project.paid_fen + amount_fen, updated_at=utcnow())
        .returning(Project.paid_fen)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.refresh(project)
    if row is None:
        raise ValidationFailed(fields={"amount_yuan": (
            f"付款后累计金额将超出批复预算：批复 {format_yuan(project.approved_fen)} 元，"
            f"已付 {format_yuan(project.paid_fen)} 元，剩余可付 {format_yuan(project.remaining_fen)} 元")})
    payment = Payment(project_id=project.id, amount_fen=amount_fen, note=note or "", paid_on=paid_on,
                      voucher_no=voucher_no, recorded_by_id=getattr(actor, "id", None))
    db.session.add(payment)
    db.session.flush()
    record(actor, "project.payment", project, before={"paid_fen": project.paid_fen - amount_fen},
           after={"paid_fen": project.paid_fen, "amount_fen": amount_fen, "payment_id": payment.id, "note": note,
                  "paid_on": paid_on, "voucher_no": voucher_no})
    events.payment_recorded.send(project, actor=actor, payment=payment)
    return payment


def void_payment(actor, payment, *, reason):
    """作废: a wrong payment is voided with a reason, never edited or deleted. It stays on the list
    (struck through) and no longer counts toward what was paid. The conditional UPDATE on the
    payment lets only one of two requests at the same moment void it; the project's sum goes
    down in one UPDATE of its row."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写作废理由"})
    project = payment.project
    voided = db.session.execute(
        sa.update(Payment).where(Payment.id == payment.id, Payment.voided_at.is_(None))
        .values(voided_at=utcnow(), voided_by_id=getattr(actor, "id", None), void_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if voided != 1:
        db.session.refresh(payment)
        raise Conflict("该笔付款已作废")
    before = project.paid_fen
    db.session.execute(
        sa.update(Project).where(Project.id == project.id)
        .values(paid_fen=Project.paid_fen - payment.amount_fen, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.refresh(payment)
    db.session.refresh(project)
    record(actor, "payment.void", payment, before={"voided": False, "paid_fen": before},
           after={"voided": True, "reason": reason, "project_id": project.id, "amount_fen": payment.amount_fen,
                  "voucher_no": payment.voucher_no, "paid_fen": project.paid_fen})
    events.payment_voided.send(project, actor=actor, payment=payment, reason=reason)
    return payment


def payments(project):
    return db.session.scalars(sa.select(Payment).where(Payment.project_id == project.id)
                              .order_by(Payment.paid_on, Payment.id)).all()


# --- acceptance (验收) ----------------------------------------------------------------------

def acceptances(project):
    return db.session.scalars(sa.select(Acceptance).where(Acceptance.project_id == project.id)
                              .order_by(Acceptance.attempt)
                              .options(sa.orm.selectinload(Acceptance.members).selectinload(AcceptanceMember.user))).all()


def open_acceptance(project):
    return db.session.scalar(sa.select(Acceptance).where(Acceptance.project_id == project.id,
                                                         Acceptance.status == AcceptanceStatus.open))


def _check_rectify_by(conclusion, rectify_by, field="rectify_by"):
    if conclusion == Conclusion.conditional:
        if rectify_by is None:
            raise ValidationFailed(fields={field: "有条件通过须填写整改期限"})
        if rectify_by <= today_shanghai():
            raise ValidationFailed(fields={field: "整改期限须晚于今天"})


def convene_acceptance(actor, project, *, panel_ids, checklist, conclusion=None, rectify_by=None, findings=""):
    """The department (or the admin) convenes the acceptance: a panel of evaluators and a
    checklist. With a conclusion it records the panel's signed result at once (meeting minutes);
    without one, each panel member works the checklist and signs on the platform."""
    if _actor_role(actor) not in ACCEPTANCE_ROLES:
        raise NotAllowed("只有发榜单位或平台管理员可以组织验收")
    if project.stage != S.acceptance:
        raise Conflict(f"项目处于“{project.stage.label}”阶段，进入验收阶段后才能组织验收")
    if open_acceptance(project) is not None:
        raise Conflict("本项目已有进行中的验收")
    ids = list(dict.fromkeys(panel_ids or []))
    if not ids:
        raise ValidationFailed(fields={"panel_ids": "请选择验收专家组成员"})
    panel = db.session.scalars(sa.select(User).where(User.id.in_(ids), User.role == Role.evaluator,
                                                     User.is_active)).all()
    if len(panel) != len(ids):
        raise ValidationFailed(fields={"panel_ids": "验收专家须为在用的评审专家账号"})
    items = [c for c in checklist or [] if (c.get("item") or "").strip()]
    if not items:
        raise ValidationFailed(fields={"checklist": "验收清单至少需要一项"})
    conclusion = Conclusion.get(conclusion) if isinstance(conclusion, str) and conclusion else conclusion
    _check_rectify_by(conclusion, rectify_by)
    attempt = 1 + db.session.scalar(sa.select(sa.func.count(Acceptance.id)).where(Acceptance.project_id == project.id))
    acceptance = Acceptance(project_id=project.id, attempt=attempt, status=AcceptanceStatus.open,
                            convened_by_id=actor.id, findings="")
    acceptance.members = [AcceptanceMember(user_id=u.id) for u in panel]
    acceptance.items = [ChecklistItem(position=i, item=c["item"].strip()[:300], passed=c.get("passed"),
                                      note=c.get("note") or "") for i, c in enumerate(items, start=1)]
    db.session.add(acceptance)
    db.session.flush()
    record(actor, "acceptance.convene", acceptance, after={
        "project_id": project.id, "attempt": attempt, "panel": [u.id for u in panel],
        "checklist": [c["item"] for c in items]})
    if conclusion is not None:
        # The meeting's conclusion, entered by the convener (API contract: the project moves on at
        # once). Nobody signs for the experts: each confirms the record with their own signature
        # (or a dissent) afterwards; until then the record shows 签署未完成.
        _conclude(actor, acceptance, conclusion, rectify_by, findings or "")
    events.acceptance_convened.send(acceptance, actor=actor, panel=panel, concluded=conclusion is not None)
    return acceptance


def signatures_complete(acceptance):
    """Every panel member signed, or their refusal to sign is on record."""
    return all(m.settled for m in acceptance.members)


def _conclude_from_signatures(actor, acceptance):
    """The strictest signature is the panel's conclusion, once every member has signed or refused
    (at least one signed)."""
    signed = [m for m in acceptance.members if m.signed_at is not None]
    overall = max((m.conclusion for m in signed), key=SEVERITY.get)
    dates = [m.rectify_by for m in signed if m.conclusion == Conclusion.conditional and m.rectify_by]
    findings = "\n".join(f"{m.user.name}：{m.note}" for m in signed if m.note)
    return _conclude(actor, acceptance, overall, min(dates) if dates else None, findings)


def sign_acceptance(actor, acceptance, *, conclusion=None, rectify_by=None, note="", results=None, dissent=""):
    """A panel member signs for themselves. While the acceptance is open: the checklist results
    and a conclusion — pass, conditional (with a rectification deadline) or fail (with findings);
    when every member has signed (or refused), the strictest signature is the panel's conclusion.
    Once the convener has entered the meeting's conclusion: the member confirms that record
    (their conclusion defaults to it). Either way a dissent (保留意见) may be written."""
    member = next((m for m in acceptance.members if m.user_id == getattr(actor, "id", None)), None)
    if member is None:
        raise NotAllowed("您不是该验收专家组成员")
    if member.signed_at is not None:
        raise Conflict("您已签署验收结论")
    if member.refused_at is not None:
        raise Conflict("您的拒签已记录，不能再签署")
    concluded = acceptance.status != AcceptanceStatus.open
    conclusion = Conclusion.get(conclusion) if isinstance(conclusion, str) and conclusion else conclusion
    if conclusion is None and concluded:
        conclusion = acceptance.conclusion
    if conclusion is None:
        raise ValidationFailed(fields={"conclusion": "请选择验收结论"})
    dissent = (dissent or "").strip()
    if concluded:
        if conclusion != acceptance.conclusion and not dissent:
            raise ValidationFailed(fields={"dissent": "与验收结论意见不同时须填写保留意见"})
        rectify_by = acceptance.rectify_by if conclusion == Conclusion.conditional else None
    else:
        _check_rectify_by(conclusion, rectify_by)
        if conclusion == Conclusion.failed and not note:
            raise ValidationFailed(fields={"note": "结论为不通过时须写明发现的问题"})
        by_position = {item.position: item for item in acceptance.items}
        for position, (passed, item_note) in (results or {}).items():
            item = by_position.get(position)
            if item is not None:
                item.passed, item.note = passed, item_note or item.note
    member.conclusion, member.rectify_by, member.note = conclusion, rectify_by, note or ""
    member.dissent, member.signed_at = dissent, utcnow()
    record(actor, "acceptance.sign", acceptance, after={"member": actor.id, "conclusion": conclusion,
                                                        "rectify_by": rectify_by, "note": note, "dissent": dissent,
                                                        "confirms_record": concluded})
    if not concluded and signatures_complete(acceptance):
        _conclude_from_signatures(actor, acceptance)
    return acceptance


def record_refusal(actor, acceptance, *, user_id, reason):
    """A panel member will not sign: the department or the admin records the refusal (拒签) with
    the reason, so the acceptance is not held up forever. At least one member must sign."""
    if _actor_role(actor) not in ACCEPTANCE_ROLES:
        raise NotAllowed("只有发榜单位或平台管理员可以记录拒签")
    reason = (reason or "").strip()
    member = next((m for m in acceptance.members if m.user_id == user_id), None)
    if member is None:
        raise ValidationFailed(fields={"user_id": "该用户不是验收专家组成员"})
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写拒签情况说明"})
    if member.settled:
        raise Conflict(f"“{member.user.name}”已{'签署' if member.signed_at else '记录拒签'}")
    if acceptance.status == AcceptanceStatus.open and not any(
            m.signed_at is not None for m in acceptance.members if m is not member) and all(
            m.settled for m in acceptance.members if m is not member):
        raise Conflict("专家组无人签署，不能形成验收结论；请另行组织验收")
    member.refused_at, member.refusal_reason, member.refusal_recorded_by_id = utcnow(), reason, actor.id
    record(actor, "acceptance.refusal", acceptance, after={"member": member.user_id, "reason": reason})
    if acceptance.status == AcceptanceStatus.open and signatures_complete(acceptance):
        _conclude_from_signatures(actor, acceptance)
    return acceptance


def _conclude(actor, acceptance, conclusion, rectify_by, findings):
    """pass → the project moves on to 运营; conditional → 整改 by a deadline, then a follow-up
    acceptance; fail → stays in 验收 with the findings recorded."""
    project = acceptance.project
    if conclusion == Conclusion.failed and not findings:
        raise ValidationFailed(fields={"findings": "结论为不通过时须写明验收发现的问题"})
    if conclusion == Conclusion.passed:
        _require_documents(project)
    acceptance.status = ACCEPTANCE_MACHINE.target(acceptance.status, "conclude")
    acceptance.conclusion = conclusion
    acceptance.rectify_by = rectify_by if conclusion == Conclusion.conditional else None
    acceptance.findings, acceptance.concluded_at = findings, utcnow()
    record(actor, "acceptance.conclude", acceptance, after={
        "project_id": project.id, "conclusion": conclusion, "rectify_by": acceptance.rectify_by,
        "findings": findings, "checklist": [[i.item, i.passed, i.note] for i in acceptance.items]})
    if conclusion == Conclusion.passed:
        project.rectify_by = None
        _move(actor, project, "advance", note=f"第 {acceptance.attempt} 次验收通过")
    elif conclusion == Conclusion.conditional:
        project.rectify_by = rectify_by
        record(actor, "project.rectify", project, after={"rectify_by": rectify_by})
    events.acceptance_concluded.send(acceptance, actor=actor)
    return acceptance
