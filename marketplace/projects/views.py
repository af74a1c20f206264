"""Project pages: the library list, direct entry, the project page with its gates, documents,
milestones, reports, payments and acceptance, the panel's sign page, and the admin dashboard."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace.audit.documents import issue_document
from marketplace.core import exports
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.forms import EmptyForm, apply_field_errors, commit_and_flash, errors_text
from marketplace.core.pagination import paginate
from marketplace.core.pdf import pdf_response, render_pdf
from marketplace.core.permissions import require, require_role
from marketplace.core.timeutil import isoformat, today_shanghai
from marketplace.extensions import db
from marketplace.projects import bp, charts, permissions, queries
from marketplace.projects import operations as ops
from marketplace.projects.forms import (
    HTML_CHECKLIST,
    AcceptanceForm,
    AdvanceForm,
    AssignProviderForm,
    DocumentForm,
    GateRequestForm,
    GateReturnForm,
    MilestoneForm,
    PaymentPageForm,
    ProjectForm,
    ReasonForm,
    RefusalForm,
    ReportForm,
    SignForm,
    VoidForm,
)
from marketplace.projects.models import Acceptance, Milestone, Payment, ProgressReport, Project
from marketplace.projects.states import DOCUMENT_REQUIRED, GATE_ROLES, ORDER, ProjectStage, next_stage


def _visible(project_id):
    project = db.session.get(Project, project_id)
    if project is None or not permissions.can_view_project(current_user, project):
        raise NotFound()
    return project


# --- list and direct entry ------------------------------------------------------------------

@bp.get("/projects")
@login_required
def index():
    filters = queries.ProjectFilters.from_args(request.args)
    page = paginate(queries.listing_query(current_user, filters))
    overdue = queries.overdue_project_ids([p.id for p in page.items])
    return render_template("projects/index.html", page=page, filters=filters, overdue=overdue,
                           stages=list(ProjectStage), departments=queries.departments()
                           if current_user.role.value == "admin" else [])


def _provider_choices():
    return [SelectChoice("", "暂不指定（招标后确定）"), *(SelectChoice(str(o.id), o.name) for o in queries.providers())]


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_create_project(current_user))
    form = ProjectForm()
    form.provider_id.choices = _provider_choices()
    if form.validate_on_submit():
        try:
            project = ops.create_project(current_user, **form.values())
            db.session.commit()
            flash("项目已进入项目库（申报阶段）", "success")
            return redirect(url_for("projects.detail", project_id=project.id))
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
    return render_template("projects/form.html", form=form), 422 if form.errors else 200


# --- the project page -----------------------------------------------------------------------

def _detail(project, status=200, **forms):
    from marketplace.cases.operations import case_for_project

    user = current_user
    today = today_shanghai()
    advance_form = forms.get("advance_form") or AdvanceForm(formdata=None)
    upcoming = next_stage(project.stage)
    if upcoming is not None and not advance_form.to_stage.data:
        advance_form.to_stage.data = upcoming.value
    milestone_form = forms.get("milestone_form") or MilestoneForm(formdata=None)
    owners = ops.owner_candidates(project)
    acceptances = ops.acceptances(project)
    documents = ops.stage_documents(project)
    approvals, gate_requests = ops.gate_approvals(project), ops.gate_requests(project)
    document_form = forms.get("document_form") or DocumentForm(formdata=None, stage=project.stage.value)
    context = {
        "project": project, "today": today, "order": ORDER, "upcoming": upcoming,
        "documents": documents, "documents_by_stage": {s: [d for d in documents if d.stage == s] for s in ORDER},
        "required_documents": DOCUMENT_REQUIRED, "missing": ops.missing_documents(project, documents=documents),
        "gate_roles": GATE_ROLES.get(project.stage, ()),
        "pending_roles": ops.pending_gate_roles(project, approvals=approvals), "approvals": approvals,
        "gate_request": ops.pending_gate_request(project, requests=gate_requests), "gate_requests": gate_requests,
        "can_request_gate": permissions.can_request_gate(user, project),
        "gate_request_form": forms.get("gate_request_form") or GateRequestForm(formdata=None, prefix="gq"),
        "gate_return_form": forms.get("gate_return_form") or GateReturnForm(formdata=None, prefix="gr"),
        "void_form": forms.get("void_form"), "void_target": forms.get("void_target"),
        "signatures_complete": ops.signatures_complete,
        "milestones": project.milestones, "owners": owners,
        "payments": ops.payments(project) if permissions.can_see_payments(user, project) else None,
        "payments_open": ops.payments_open(project),
        "acceptances": acceptances, "open_acceptance": next((a for a in acceptances if a.status.value == "open"), None),
        "case": case_for_project(project),
        "can_manage": permissions.can_manage_project(user, project),
        "can_gate": permissions.can_approve_gate(user, project),
        "can_upload": permissions.can_upload_document(user, project),
        "can_report": permissions.can_report_progress(user, project),
        "can_record_acceptance": permissions.can_record_acceptance(user, project),
        "can_terminate": permissions.can_terminate(user, project),
        "can_publish_case": permissions.can_publish_case(user, project),
        "advance_form": advance_form, "milestone_form": milestone_form, "document_form": document_form,
        "payment_form": forms.get("payment_form") or PaymentPageForm(formdata=None, paid_on=today.isoformat()),
        "reason_form": forms.get("reason_form") or ReasonForm(formdata=None),
        "assign_form": forms.get("assign_form") or AssignProviderForm(formdata=None),
        "action_form": EmptyForm(), "providers": queries.providers() if project.stage.value in
        ("application", "feasibility", "approval", "procurement") else [],
        "report_files": ops.report_files,
    }
    return render_template("projects/detail.html", **context), status


@bp.get("/projects/<int:project_id>")
@login_required
def detail(project_id):
    return _detail(_visible(project_id))


def _to_detail(project, anchor=None):
    return redirect(url_for("projects.detail", project_id=project.id) + (f"#{anchor}" if anchor else ""))


def _run_form(project, form, name, fn, success, anchor, extra=None):
    """Validate a form posted from the project page, run one operation, commit; on field errors
    show the page again with the messages next to the fields (422)."""
    extra = extra or {}
    if form.validate_on_submit():
        try:
            fn()
            db.session.commit()
            flash(success, "success")
            return _to_detail(project, anchor)
        except ValidationFailed as exc:
            db.session.rollback()
            if not apply_field_errors(form, exc):
                form.form_errors.append(exc.message)
            flash("；".join(exc.fields.values()) or exc.message, "danger")
        except Conflict as exc:
            # e.g. a gate whose documents are missing: answer 409 but on the project page,
            # with the upload form at hand, rather than on a bare error page.
            db.session.rollback()
            flash(exc.message, "danger")
            db.session.refresh(project)
            return _detail(project, 409, **{name: form}, **extra)
    elif form.errors:
        flash(errors_text(form), "danger")
    else:
        abort(400)
    db.session.refresh(project)
    return _detail(project, 422, **{name: form}, **extra)


@bp.post("/projects/<int:project_id>/advance")
@login_required
def advance(project_id):
    project = _visible(project_id)
    require(permissions.can_approve_gate(current_user, project))
    form = AdvanceForm()
    return _run_form(project, form, "advance_form",
                     lambda: ops.advance_project(current_user, project, to_stage=form.to_stage.data, note=form.note.data),
                     "关口审批已提交", "stages")


@bp.post("/projects/<int:project_id>/gate/request")
@login_required
def request_gate(project_id):
    project = _visible(project_id)
    require(permissions.can_request_gate(current_user, project))
    form = GateRequestForm(prefix="gq")
    return _run_form(project, form, "gate_request_form",
                     lambda: ops.request_gate(current_user, project, note=form.note.data),
                     "已申请进入下一阶段，等待审批", "stages")


@bp.post("/projects/<int:project_id>/gate/return")
@login_required
def return_gate(project_id):
    project = _visible(project_id)
    require(permissions.can_approve_gate(current_user, project))
    form = GateReturnForm(prefix="gr")
    return _run_form(project, form, "gate_return_form",
                     lambda: ops.return_gate_request(current_user, project, reason=form.reason.data),
                     "关口申请已退回", "stages")


@bp.post("/projects/<int:project_id>/terminate")
@login_required
def terminate(project_id):
    project = _visible(project_id)
    require(permissions.can_terminate(current_user, project))
    form = ReasonForm()
    return _run_form(project, form, "reason_form",
                     lambda: ops.terminate_project(current_user, project, reason=form.reason.data), "项目已终止", None)


@bp.post("/projects/<int:project_id>/provider")
@login_required
def assign_provider(project_id):
    project = _visible(project_id)
    require(permissions.can_manage_project(current_user, project))
    form = AssignProviderForm()
    return _run_form(project, form, "assign_form",
                     lambda: ops.assign_provider(current_user, project, form.provider_id.data, form.solution_id.data),
                     "承建服务商已确定", "overview")


@bp.post("/projects/<int:project_id>/documents")
@login_required
def upload_document(project_id):
    project = _visible(project_id)
    require(permissions.can_upload_document(current_user, project))
    form = DocumentForm()
    return _run_form(project, form, "document_form",
                     lambda: ops.add_document(current_user, project, stage=form.stage.data, title=form.title.data,
                                              upload=form.file.data), "文件已上传", "documents")


@bp.post("/projects/<int:project_id>/milestones")
@login_required
def add_milestone(project_id):
    project = _visible(project_id)
    require(permissions.can_manage_project(current_user, project))
    form = MilestoneForm()
    return _run_form(project, form, "milestone_form",
                     lambda: ops.add_milestone(current_user, project, title=form.title.data,
                                               due_date=form.due_date.parsed, owner_id=form.owner_id.data),
                     "里程碑已添加", "milestones")


@bp.post("/projects/<int:project_id>/payments")
@login_required
def add_payment(project_id):
    project = _visible(project_id)
    require(permissions.can_manage_project(current_user, project))
    form = PaymentPageForm()
    return _run_form(project, form, "payment_form",
                     lambda: ops.record_payment(current_user, project, amount_yuan=form.amount_yuan.parsed,
                                                note=form.note.data, paid_on=form.paid_on.parsed,
                                                voucher_no=form.voucher_no.data),
                     "付款已登记", "payments")


@bp.post("/payments/<int:payment_id>/void")
@login_required
def void_payment(payment_id):
    payment = db.session.get(Payment, payment_id)
    if payment is None or not permissions.can_view_project(current_user, payment.project):
        raise NotFound()
    project = payment.project
    require(permissions.can_manage_project(current_user, project))
    form = VoidForm(prefix=f"v{payment.id}")
    response = _run_form(project, form, "void_form",
                         lambda: ops.void_payment(current_user, payment, reason=form.reason.data),
                         "付款已作废（记入审计日志）", "payments", extra={"void_target": payment.id})
    return response


# --- progress reports -----------------------------------------------------------------------

def _visible_milestone(milestone_id):
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or not permissions.can_view_project(current_user, milestone.project):
        raise NotFound()
    return milestone


@bp.route("/milestones/<int:milestone_id>/report", methods=["GET", "POST"])
@login_required
def report(milestone_id):
    milestone = _visible_milestone(milestone_id)
    project = milestone.project
    require(permissions.can_report_progress(current_user, project))
    form = ReportForm()
    if form.validate_on_submit():
        uploads = [form.file.data] if form.file.data and getattr(form.file.data, "filename", "") else []
        try:
            ops.submit_report(current_user, milestone, percent=form.percent.data, narrative=form.narrative.data,
                              uploads=uploads, indicators=form.indicators.data or "")
            db.session.commit()
            flash("进度报告已提交，等待发榜单位确认", "success")
            return _to_detail(project, "milestones")
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
    return render_template("projects/report.html", form=form, milestone=milestone, project=project), \
        422 if form.errors else 200


def _visible_report(report_id):
    report = db.session.get(ProgressReport, report_id)
    if report is None or not permissions.can_view_project(current_user, report.project):
        raise NotFound()
    return report


@bp.post("/reports/<int:report_id>/confirm")
@login_required
def confirm_report(report_id):
    report = _visible_report(report_id)
    require(permissions.can_manage_project(current_user, report.project))
    if not EmptyForm().validate_on_submit():
        abort(400)
    commit_and_flash(lambda: ops.confirm_report(current_user, report), "进度报告已确认")
    return _to_detail(report.project, "milestones")


@bp.post("/reports/<int:report_id>/return")
@login_required
def return_report(report_id):
    report = _visible_report(report_id)
    require(permissions.can_manage_project(current_user, report.project))
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(errors_text(form) or "请填写退回理由", "danger")
        return _to_detail(report.project, "milestones")
    ops.return_report(current_user, report, reason=form.reason.data)
    db.session.commit()
    flash("进度报告已退回服务商", "success")
    return _to_detail(report.project, "milestones")


# --- acceptance -----------------------------------------------------------------------------

@bp.route("/projects/<int:project_id>/acceptance", methods=["GET", "POST"])
@login_required
def convene(project_id):
    project = _visible(project_id)
    require(permissions.can_record_acceptance(current_user, project))
    form = AcceptanceForm()
    evaluators = queries.evaluators()
    form.panel_ids.choices = [SelectChoice(u.id, u.name) for u in evaluators]
    if form.validate_on_submit():
        try:
            ops.convene_acceptance(current_user, project, **form.values())
            db.session.commit()
            flash("验收已组织" if not form.conclusion.data else "验收结论已登记", "success")
            return _to_detail(project, "acceptance")
        except ValidationFailed as exc:
            db.session.rollback()
            if not apply_field_errors(form, exc):
                form.form_errors.append(exc.message)
    while len(form.checklist) < HTML_CHECKLIST:
        form.checklist.append_entry()
    return render_template("projects/acceptance_form.html", form=form, project=project), 422 if form.errors else 200


def _visible_acceptance(acceptance_id):
    acceptance = db.session.get(Acceptance, acceptance_id)
    if acceptance is None or not permissions.can_view_acceptance(current_user, acceptance):
        raise NotFound()
    return acceptance


@bp.route("/acceptances/<int:acceptance_id>", methods=["GET", "POST"])
@login_required
def acceptance(acceptance_id):
    acceptance = _visible_acceptance(acceptance_id)
    can_sign = permissions.can_sign_acceptance(current_user, acceptance)
    form = SignForm()
    member = next((m for m in acceptance.members if m.user_id == current_user.id), None)
    if request.method == "POST":
        require(can_sign)
        if form.validate_on_submit():
            results = {item.position: (request.form.get(f"passed-{item.position}") == "y",
                                       (request.form.get(f"note-{item.position}") or "").strip()[:1000])
                       for item in acceptance.items}
            try:
                ops.sign_acceptance(current_user, acceptance, conclusion=form.conclusion.data or None,
                                    rectify_by=form.rectify_by.parsed, note=form.note.data, results=results,
                                    dissent=form.dissent.data or "")
                db.session.commit()
                flash("验收结论已签署", "success")
                return redirect(url_for("projects.acceptance", acceptance_id=acceptance.id))
            except ValidationFailed as exc:
                db.session.rollback()
                apply_field_errors(form, exc)
    return _acceptance_page(acceptance, form=form, can_sign=can_sign, member=member)


def _acceptance_page(acceptance, *, form=None, can_sign=None, member=None, refusal_form=None):
    if can_sign is None:
        can_sign = permissions.can_sign_acceptance(current_user, acceptance)
        member = next((m for m in acceptance.members if m.user_id == current_user.id), None)
    form = form or SignForm(formdata=None)
    if acceptance.conclusion is not None:  # confirming the recorded conclusion: blank means "agree"
        form.conclusion.choices = [SelectChoice("", f"同意登记的结论（{acceptance.conclusion.label}）"),
                                   *form.conclusion.choices[1:]]
    refusal_form = refusal_form or RefusalForm(formdata=None, prefix="rf")
    unsettled = [m for m in acceptance.members if not m.settled]
    refusal_form.user_id.choices = [SelectChoice(m.user_id, m.user.name) for m in unsettled]
    status = 422 if (form.errors or refusal_form.errors) else 200
    return render_template("projects/acceptance.html", acceptance=acceptance, project=acceptance.project,
                           form=form, can_sign=can_sign, member=member, refusal_form=refusal_form,
                           unsettled=unsettled, complete=ops.signatures_complete(acceptance),
                           can_record_refusal=permissions.can_record_acceptance(current_user, acceptance.project)), status


@bp.post("/acceptances/<int:acceptance_id>/refusal")
@login_required
def record_refusal(acceptance_id):
    acceptance = _visible_acceptance(acceptance_id)
    require(permissions.can_record_acceptance(current_user, acceptance.project))
    form = RefusalForm(prefix="rf")
    if form.validate_on_submit():
        try:
            ops.record_refusal(current_user, acceptance, user_id=form.user_id.data, reason=form.reason.data)
            db.session.commit()
            flash("拒签情况已记录", "success")
            return redirect(url_for("projects.acceptance", acceptance_id=acceptance.id))
        except ValidationFailed as exc:
            db.session.rollback()
            if not apply_field_errors(form, exc):
                form.form_errors.append(exc.message)
        except Conflict as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            db.session.refresh(acceptance)
            flash(exc.message, "danger")
            return _acceptance_page(acceptance, refusal_form=form)[0], 409
    elif not form.errors:
        abort(400)
    db.session.refresh(acceptance)
    return _acceptance_page(acceptance, refusal_form=form)


# --- the admin dashboard --------------------------------------------------------------------

@bp.get("/admin/dashboard")
@login_required
def dashboard():
    require_role("admin")
    tables = {key: fn() for key, fn in queries.DASHBOARD_TABLES.items()}
    funnel = [(r[0], r[2], r[1]) for r in tables["projects-by-stage"]["rows"][:-1]]
    chart = {
        "challenges-by-state": charts.bar_chart("榜单（按状态）", tables["challenges-by-state"]["rows"]),
        "projects-by-stage": charts.funnel_chart("项目阶段漏斗", funnel),
        "budget-by-department": charts.paired_bar_chart(
            "预算批复与支付（按发榜单位）", [(r[0], r[2], r[3]) for r in tables["budget-by-department"]["rows"]]),
        "budget-by-domain": charts.paired_bar_chart(
            "预算批复与支付（按领域）", [(r[0], r[2], r[3]) for r in tables["budget-by-domain"]["rows"]]),
    }
    return render_template("projects/dashboard.html", tables=tables, charts=chart)


@bp.get("/admin/dashboard/<name>.<any(csv, xlsx):fmt>")
@login_required
def dashboard_export(name, fmt):
    require_role("admin")
    build = queries.DASHBOARD_TABLES.get(name)
    if build is None:
        raise NotFound()
    table = build()
    filename = f"{name}-{today_shanghai().isoformat()}.{fmt}"
    if fmt == "csv":
        return exports.csv_response(filename, table["columns"], table["rows"])
    return exports.xlsx_response(filename, table["title"], table["columns"], table["rows"])


@bp.get("/acceptances/<int:acceptance_id>/certificate.pdf")
@login_required
def acceptance_certificate(acceptance_id):
    """验收证书 once the panel has concluded; before that there is nothing to certify (404)."""
    acceptance = _visible_acceptance(acceptance_id)
    if acceptance.conclusion is None or acceptance.concluded_at is None:
        raise NotFound()
    project = acceptance.project
    content = {
        "document": "acceptance_certificate", "acceptance_id": acceptance.id, "attempt": acceptance.attempt,
        "project": project.title, "department": project.department.name,
        "provider": project.provider.name if project.provider else None,
        "conclusion": acceptance.conclusion.value, "rectify_by": acceptance.rectify_by,
        "concluded_at": isoformat(acceptance.concluded_at), "findings": acceptance.findings,
        "items": [{"item": i.item, "passed": i.passed, "note": i.note} for i in acceptance.items],
        "members": [{"name": m.user.name, "conclusion": m.conclusion.value if m.conclusion else None,
                     "signed_at": isoformat(m.signed_at), "dissent": m.dissent or "",
                     "refused_at": isoformat(m.refused_at), "refusal_reason": m.refusal_reason}
                    for m in acceptance.members],
    }
    sha256 = issue_document(current_user, "acceptance_certificate", acceptance, content)
    db.session.commit()
    pdf = render_pdf("pdf/certificate.html", acceptance=acceptance, project=project, sha256=sha256,
                     issued_at=utcnow())
    return pdf_response(pdf, f"验收证书-{project.title}-第{acceptance.attempt}次.pdf")
