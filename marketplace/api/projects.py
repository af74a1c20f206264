"""API: the project library (全过程管理), acceptance, cases and the dashboard (API.md, Projects)."""

from flask import request

from marketplace.api import api_user, endpoint, json_body, paged
from marketplace.api.serializers import money
from marketplace.cases import operations as case_ops
from marketplace.cases import queries as case_queries
from marketplace.cases.forms import CaseForm
from marketplace.cases.models import Case
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.forms import validate_json
from marketplace.core.permissions import require
from marketplace.core.timeutil import isoformat, today_shanghai
from marketplace.extensions import db
from marketplace.files import operations as file_ops
from marketplace.projects import operations as ops
from marketplace.projects import permissions, queries
from marketplace.projects.forms import (
    AcceptanceForm,
    AdvanceForm,
    AssignProviderForm,
    DocumentForm,
    GateRequestForm,
    GateReturnForm,
    MilestoneForm,
    PaymentForm,
    ProjectForm,
    ReasonForm,
    RefusalForm,
    ReportForm,
    SignJsonForm,
    VoidForm,
)
from marketplace.projects.models import Acceptance, Milestone, Payment, ProgressReport, Project
from marketplace.submissions.forms import UploadForm

LIST_QUERY = {"stage": "阶段", "domain": "领域", "department": "发榜单位 id", "overdue": "1：只看有逾期里程碑的项目",
              "q": "名称关键词", "page": "页码", "per_page": "每页条数（≤100）"}


# --- serializers ----------------------------------------------------------------------------

def milestone_json(m, today=None):
    today = today or today_shanghai()
    return {"id": m.id, "project_id": m.project_id, "title": m.title, "due_date": isoformat(m.due_date),
            "owner_id": m.owner_id, "owner_name": m.owner.name, "status": m.status.value, "percent": m.percent,
            "evidence": m.evidence,
            "overdue": m.is_overdue(today), "completed_at": isoformat(m.completed_at),
            "reports": [report_json(r) for r in m.reports]}


def report_json(r):
    return {"id": r.id, "milestone_id": r.milestone_id, "project_id": r.project_id, "percent": r.percent,
            "narrative": r.narrative, "indicators": r.indicators, "status": r.status.value, "reason": r.reason,
            "files": [file_ops.file_json(f) for f in ops.report_files(r)],
            "created_at": isoformat(r.created_at), "decided_at": isoformat(r.decided_at)}


def payment_json(p):
    return {"id": p.id, "project_id": p.project_id, "amount_yuan": money(p.amount_fen), "note": p.note,
            "paid_on": isoformat(p.paid_on), "voucher_no": p.voucher_no, "voided": p.voided,
            "voided_at": isoformat(p.voided_at), "void_reason": p.void_reason,
            "created_at": isoformat(p.created_at)}


def gate_request_json(g):
    return {"id": g.id, "project_id": g.project_id, "stage": g.stage.value, "status": g.status.value,
            "note": g.note, "requested_by_id": g.requested_by_id, "created_at": isoformat(g.created_at),
            "decided_by_id": g.decided_by_id, "decided_at": isoformat(g.decided_at), "reason": g.reason}


def acceptance_json(a):
    return {"id": a.id, "project_id": a.project_id, "attempt": a.attempt, "status": a.status.value,
            "conclusion": a.conclusion.value if a.conclusion else None, "rectify_by": isoformat(a.rectify_by),
            "findings": a.findings, "concluded_at": isoformat(a.concluded_at),
            "panel": [{"user_id": m.user_id, "name": m.user.name,
                       "conclusion": m.conclusion.value if m.conclusion else None,
                       "signed_at": isoformat(m.signed_at), "dissent": m.dissent or "",
                       "refused_at": isoformat(m.refused_at), "refusal_reason": m.refusal_reason}
                      for m in a.members],
            "signatures_complete": ops.signatures_complete(a),
            "checklist": [{"position": i.position, "item": i.item, "passed": i.passed, "note": i.note}
                          for i in a.items]}


def project_json(project, *, detail=True, user=None):
    user = user or api_user()
    today = today_shanghai()
    data = {
        "id": project.id, "title": project.title, "domain": project.domain, "stage": project.stage.value,
        "kind": project.kind.value, "kind_label": project.kind.label,
        "stage_label": project.stage.label, "department_id": project.department_id,
        "department_name": project.department.name, "provider_id": project.provider_id,
        "provider_name": project.provider.name if project.provider else None,
        "challenge_id": project.challenge_id, "submission_id": project.submission_id,
        "solution_id": project.solution_id,
        "budget": {"approved_yuan": money(project.approved_fen), "paid_yuan": money(project.paid_fen),
                   "remaining_yuan": money(project.remaining_fen)},
        "overdue": any(m.is_overdue(today) for m in project.milestones) and project.stage.value != "terminated",
        "rectify_by": isoformat(project.rectify_by), "reason": project.status_reason,
        "created_at": isoformat(project.created_at), "stage_changed_at": isoformat(project.stage_changed_at),
    }
    if detail:
        data.update({
            "description": project.description,
            "milestones": [milestone_json(m, today) for m in project.milestones],
            "documents": [{"id": d.id, "stage": d.stage.value, "title": d.title, "file": file_ops.file_json(d.file)}
                          for d in ops.stage_documents(project)],
            "missing_documents": ops.missing_documents(project),
            "pending_gate_roles": ops.pending_gate_roles(project),
            "gate_approvals": [{"stage": g.stage.value, "role": g.role, "user_id": g.user_id, "note": g.note,
                                "created_at": isoformat(g.created_at)} for g in ops.gate_approvals(project)],
            "acceptances": [acceptance_json(a) for a in ops.acceptances(project)],
            "gate_requests": [gate_request_json(g) for g in ops.gate_requests(project)],
        })
        if permissions.can_see_payments(user, project):
            data["payments"] = [payment_json(p) for p in ops.payments(project)]
    return data


def case_json(case):
    return {"id": case.id, "project_id": case.project_id, "title": case.title, "domain": case.domain,
            "provider_id": case.provider_id, "provider_name": case.provider.name if case.provider else None,
            "solution_id": case.solution_id, "solution_title": case.solution.title if case.solution else None,
            "department_name": case.department.name, "summary": case.summary, "outcomes": case.outcomes,
            "replication": case.replication, "published_at": isoformat(case.published_at)}


# --- projects -------------------------------------------------------------------------------

def _project(project_id):
    project = db.session.get(Project, project_id)
    if project is None or not permissions.can_view_project(api_user(), project):
        raise NotFound()
    return project


@endpoint("/projects", tag="项目", summary="项目列表（管理员全部；发榜单位、服务商本单位的；专家所在验收组的）",
          query=LIST_QUERY)
def list_projects():
    filters = queries.ProjectFilters.from_args(request.args)
    return paged(queries.listing_query(api_user(), filters), lambda p: project_json(p, detail=False))


@endpoint("/projects", ["POST"], roles=["department"], form=ProjectForm, tag="项目",
          summary="创建项目：发榜单位直接申报进入项目库，阶段为 application", success=201)
def create_project():
    form = validate_json(ProjectForm, json_body())
    return project_json(ops.create_project(api_user(), **form.values())), 201


@endpoint("/projects/<int:project_id>", tag="项目", summary="项目详情：阶段、里程碑、预算（批复与已付）")
def get_project(project_id):
    return project_json(_project(project_id))


@endpoint("/projects/<int:project_id>/advance", ["POST"], roles=["department", "admin"], form=AdvanceForm,
          tag="项目", summary="审批关口，进入下一阶段（立项关口须发榜单位和管理员均审批）")
def advance_project(project_id):
    project = _project(project_id)
    form = validate_json(AdvanceForm, json_body())
    require(permissions.can_approve_gate(api_user(), project))
    return project_json(ops.advance_project(api_user(), project, to_stage=form.to_stage.data, note=form.note.data))


@endpoint("/projects/<int:project_id>/gate/request", ["POST"], roles=["department", "provider"],
          form=GateRequestForm, tag="项目", success=201,
          summary="申请进入下一阶段（本项目的发榜单位或承建服务商）{note?}：阶段不变，待关口审批方通过或退回；已有待审批申请 → 409")
def request_gate(project_id):
    project = _project(project_id)
    require(permissions.can_request_gate(api_user(), project))
    form = validate_json(GateRequestForm, json_body())
    return gate_request_json(ops.request_gate(api_user(), project, note=form.note.data)), 201


@endpoint("/projects/<int:project_id>/gate/return", ["POST"], roles=["department", "admin"], form=GateReturnForm,
          tag="项目", summary="退回关口申请（本关口的审批方）{reason}：阶段不变，本关口已有的审批作废，申请方收到理由")
def return_gate(project_id):
    project = _project(project_id)
    require(permissions.can_approve_gate(api_user(), project))
    form = validate_json(GateReturnForm, json_body())
    return gate_request_json(ops.return_gate_request(api_user(), project, reason=form.reason.data))


@endpoint("/projects/<int:project_id>/terminate", ["POST"], roles=["admin"], form=ReasonForm, tag="项目",
          summary="终止项目（管理员，运营前任一阶段），须说明理由")
def terminate_project(project_id):
    project = _project(project_id)
    form = validate_json(ReasonForm, json_body())
    return project_json(ops.terminate_project(api_user(), project, reason=form.reason.data))


@endpoint("/projects/<int:project_id>/provider", ["POST"], roles=["department"], form=AssignProviderForm,
          tag="项目", summary="确定承建服务商（招标结果，建设开始前）")
def assign_provider(project_id):
    project = _project(project_id)
    require(permissions.can_manage_project(api_user(), project))
    form = validate_json(AssignProviderForm, json_body())
    return project_json(ops.assign_provider(api_user(), project, form.provider_id.data, form.solution_id.data))


@endpoint("/projects/<int:project_id>/documents", ["POST"], roles=["department", "admin"], form=DocumentForm,
          multipart=True, tag="项目", summary="上传阶段文件（multipart：file、stage、title）", success=201)
def upload_document(project_id):
    project = _project(project_id)
    require(permissions.can_upload_document(api_user(), project))
    form = DocumentForm(meta={"csrf": False})
    if not form.validate():
        from marketplace.core.forms import form_errors

        raise ValidationFailed(fields=form_errors(form))
    document = ops.add_document(api_user(), project, stage=form.stage.data, title=form.title.data,
                                upload=form.file.data)
    db.session.flush()
    return {"id": document.id, "project_id": project.id, "stage": document.stage.value, "title": document.title,
            "file": file_ops.file_json(document.file)}, 201


@endpoint("/projects/<int:project_id>/milestones", ["POST"], roles=["department"], form=MilestoneForm, tag="项目",
          summary="添加里程碑（截止日期、负责人）", success=201)
def add_milestone(project_id):
    project = _project(project_id)
    require(permissions.can_manage_project(api_user(), project))
    form = validate_json(MilestoneForm, json_body())
    milestone = ops.add_milestone(api_user(), project, title=form.title.data, due_date=form.due_date.parsed,
                                  owner_id=form.owner_id.data)
    return milestone_json(milestone), 201


def _milestone(milestone_id):
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or not permissions.can_view_project(api_user(), milestone.project):
        raise NotFound()
    return milestone


@endpoint("/milestones/<int:milestone_id>/reports", ["POST"], roles=["provider"], form=ReportForm, tag="项目",
          summary="报告进度（承建服务商）：percent 0–100、narrative、indicators（实测指标，可选）", success=201)
def submit_report(milestone_id):
    milestone = _milestone(milestone_id)
    require(permissions.can_report_progress(api_user(), milestone.project))
    form = validate_json(ReportForm, json_body())
    return report_json(ops.submit_report(api_user(), milestone, percent=form.percent.data,
                                         narrative=form.narrative.data,
                                         indicators=form.indicators.data or "")), 201


def _report(report_id):
    report = db.session.get(ProgressReport, report_id)
    if report is None or not permissions.can_view_project(api_user(), report.project):
        raise NotFound()
    return report


@endpoint("/reports/<int:report_id>/attachments", ["POST"], roles=["provider"], form=UploadForm, multipart=True,
          tag="项目", summary="为待确认的进度报告上传附件", success=201)
def attach_to_report(report_id):
    report = _report(report_id)
    require(permissions.can_report_progress(api_user(), report.project))
    form = UploadForm(meta={"csrf": False})
    if not form.validate():
        raise ValidationFailed(fields={"file": "请用 multipart/form-data 上传字段 file"})
    return file_ops.file_json(ops.attach_report_file(api_user(), report, form.file.data)), 201


@endpoint("/reports/<int:report_id>/confirm", ["POST"], roles=["department"], tag="项目",
          summary="确认进度报告（发榜单位）；确认 100% 即完成里程碑")
def confirm_report(report_id):
    report = _report(report_id)
    require(permissions.can_manage_project(api_user(), report.project))
    return report_json(ops.confirm_report(api_user(), report))


@endpoint("/reports/<int:report_id>/return", ["POST"], roles=["department"], form=ReasonForm, tag="项目",
          summary="退回进度报告（发榜单位），须说明理由")
def return_report(report_id):
    report = _report(report_id)
    require(permissions.can_manage_project(api_user(), report.project))
    form = validate_json(ReasonForm, json_body())
    return report_json(ops.return_report(api_user(), report, reason=form.reason.data))


@endpoint("/projects/<int:project_id>/payments", ["POST"], roles=["department"], form=PaymentForm, tag="项目",
          summary="登记付款 {amount_yuan, note, paid_on?（默认北京时间今天，不得晚于今天）, voucher_no?（凭证号，"
                  "同一项目未作废的不得重复）}；累计（不含已作废）不得超过批复预算（超出 → 422）", success=201)
def record_payment(project_id):
    project = _project(project_id)
    require(permissions.can_manage_project(api_user(), project))
    form = validate_json(PaymentForm, json_body())
    payment = ops.record_payment(api_user(), project, amount_yuan=form.amount_yuan.parsed, note=form.note.data,
                                 paid_on=form.paid_on.parsed, voucher_no=form.voucher_no.data or "")
    return {**payment_json(payment), "budget": {"approved_yuan": money(project.approved_fen),
                                                "paid_yuan": money(project.paid_fen),
                                                "remaining_yuan": money(project.remaining_fen)}}, 201


@endpoint("/projects/<int:project_id>/payments", tag="项目", summary="付款记录（管理员、发榜单位、承建服务商）")
def list_payments(project_id):
    project = _project(project_id)
    require(permissions.can_see_payments(api_user(), project), hide=True)
    items = [payment_json(p) for p in ops.payments(project)]
    return {"items": items, "total": len(items), "page": 1,
            "budget": {"approved_yuan": money(project.approved_fen), "paid_yuan": money(project.paid_fen)}}


@endpoint("/payments/<int:payment_id>/void", ["POST"], roles=["department"], form=VoidForm, tag="项目",
          summary="作废付款（发榜单位）{reason}：付款不能修改或删除；作废后不计入已付，已作废 → 409")
def void_payment(payment_id):
    payment = db.session.get(Payment, payment_id)
    if payment is None or not permissions.can_view_project(api_user(), payment.project):
        raise NotFound()
    project = payment.project
    require(permissions.can_manage_project(api_user(), project))
    form = validate_json(VoidForm, json_body())
    payment = ops.void_payment(api_user(), payment, reason=form.reason.data)
    return {**payment_json(payment), "budget": {"approved_yuan": money(project.approved_fen),
                                                "paid_yuan": money(project.paid_fen),
                                                "remaining_yuan": money(project.remaining_fen)}}


# --- acceptance -----------------------------------------------------------------------------

@endpoint("/projects/<int:project_id>/acceptance", ["POST"], roles=["department", "admin"], form=AcceptanceForm,
          tag="验收", success=201,
          summary="组织验收：panel_ids、checklist；带 conclusion 即登记会议结论（项目随即按结论处理），"
                  "各专家仍须本人签署（POST /acceptances/{id}/sign），签署完成前 signatures_complete 为 false")
def convene_acceptance(project_id):
    project = _project(project_id)
    require(permissions.can_record_acceptance(api_user(), project))
    body = json_body()
    form = validate_json(AcceptanceForm, body)
    values = form.values()
    # JSON may leave `passed` out of an item; only an explicit value counts as a result.
    items = body.get("checklist") if isinstance(body.get("checklist"), list) else []
    for value, raw in zip(values["checklist"], [i for i in items if isinstance(i, dict) and str(i.get("item") or "").strip()],
                          strict=False):
        value["passed"] = bool(raw["passed"]) if isinstance(raw.get("passed"), bool) else value["passed"]
    return acceptance_json(ops.convene_acceptance(api_user(), project, **values)), 201


def _acceptance(acceptance_id):
    acceptance = db.session.get(Acceptance, acceptance_id)
    if acceptance is None or not permissions.can_view_acceptance(api_user(), acceptance):
        raise NotFound()
    return acceptance


@endpoint("/acceptances/<int:acceptance_id>", tag="验收", summary="验收详情（专家组成员、发榜单位、服务商、管理员）")
def get_acceptance(acceptance_id):
    return acceptance_json(_acceptance(acceptance_id))


@endpoint("/acceptances/<int:acceptance_id>/sign", ["POST"], roles=["evaluator"], form=SignJsonForm, tag="验收",
          summary="专家本人签署：验收进行中须 conclusion：pass | conditional（rectify_by）| fail（note），可附清单逐项结果；"
                  "已登记会议结论的，conclusion 可省略（即确认该结论），不同意见须填 dissent（保留意见）")
def sign_acceptance(acceptance_id):
    acceptance = _acceptance(acceptance_id)
    form = validate_json(SignJsonForm, json_body())
    results = {e.form.position.data: (bool(e.form.passed.data), e.form.note.data or "") for e in form.checklist}
    return acceptance_json(ops.sign_acceptance(api_user(), acceptance, conclusion=form.conclusion.data or None,
                                               rectify_by=form.rectify_by.parsed, note=form.note.data or "",
                                               results=results, dissent=form.dissent.data or ""))


@endpoint("/acceptances/<int:acceptance_id>/refusal", ["POST"], roles=["department", "admin"], form=RefusalForm,
          tag="验收", summary="记录专家拒签（发榜单位、管理员）{user_id, reason}；验收进行中，其余均签署后以已签结论形成验收结论")
def record_refusal(acceptance_id):
    acceptance = _acceptance(acceptance_id)
    require(permissions.can_record_acceptance(api_user(), acceptance.project))
    form = validate_json(RefusalForm, json_body())
    return acceptance_json(ops.record_refusal(api_user(), acceptance, user_id=form.user_id.data,
                                              reason=form.reason.data))


# --- cases and the excellent-provider directory ---------------------------------------------

@endpoint("/projects/<int:project_id>/case", ["POST"], roles=["admin"], form=CaseForm, tag="案例",
          summary="发布最佳实践案例（管理员，项目已通过验收）", success=201)
def publish_case(project_id):
    project = _project(project_id)
    form = validate_json(CaseForm, json_body())
    return case_json(case_ops.publish_case(api_user(), project, **form.values())), 201


@endpoint("/cases", auth=False, tag="案例", summary="最佳实践案例库（公开）", query={"domain": "领域", "q": "关键词"})
def list_cases():
    return paged(case_queries.case_query(domain=request.args.get("domain"), q=request.args.get("q")), case_json)


@endpoint("/cases/<int:case_id>", auth=False, tag="案例", summary="案例详情（公开）")
def get_case(case_id):
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound()
    return case_json(case)


@endpoint("/excellent-providers", auth=False, tag="案例", summary="优秀服务商目录：有已验收并发布案例的服务商")
def excellent_providers():
    items = [{"id": org.id, "name": org.name, "case_count": count, "latest_case_at": isoformat(latest)}
             for org, count, latest in case_queries.excellent_providers(request.args.get("domain"))]
    return {"items": items, "total": len(items), "page": 1}


@endpoint("/dashboard", roles=["admin"], tag="项目", summary="管理看板的各张表（与页面和导出一致）")
def dashboard():
    def plain(value):
        from decimal import Decimal

        return f"{value:.2f}" if isinstance(value, Decimal) else value

    return {key: {"title": t["title"], "columns": t["columns"], "rows": [[plain(v) for v in r] for r in t["rows"]]}
            for key, t in ((k, fn()) for k, fn in queries.DASHBOARD_TABLES.items())}

