from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace.accounts.models import Role, User
from marketplace.audit.documents import issue_document
from marketplace.challenges.forms import plan_form_data
from marketplace.challenges.models import Challenge
from marketplace.challenges.permissions import can_view_challenge
from marketplace.core import exports
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.forms import (
    KEPT_ON_FORM,
    EmptyForm,
    apply_field_errors,
    commit_and_flash,
    flash_refusal,
    run_form,
)
from marketplace.core.pdf import pdf_response, render_pdf
from marketplace.core.permissions import get_or_404, is_admin, require, require_role
from marketplace.extensions import db
from marketplace.projects import queries as project_queries
from marketplace.review import bp, permissions, queries, templates
from marketplace.review import operations as ops
from marketplace.review.forms import (
    DeclarationForm,
    DrawForm,
    ExpertDomainsForm,
    PanelForm,
    ReplaceMemberForm,
    ReportSignForm,
    SheetReturnForm,
    TemplateForm,
)
from marketplace.review.models import EvaluatorDomain
from marketplace.review.states import RoundStatus

# --- evaluator ------------------------------------------------------------------------------

@bp.get("/review")
@login_required
def assignments():
    require_role("evaluator")
    return render_template("review/assignments.html", members=queries.my_assignments(current_user))


@bp.get("/review/rounds/<int:round_id>")
@login_required
def sheet(round_id):
    round_ = ops.get_round(round_id)
    member = ops.require_membership(current_user, round_)
    context = {"round": round_, "challenge": round_.challenge, "member": member, "action_form": EmptyForm()}
    if member.declared_at is None:
        return _declaration_page(round_, member, DeclarationForm(formdata=None))
    entries = ops.entries_for(member)
    return render_template("review/sheet.html", entries=entries, scores=ops.sheet_scores(member),
                           totals=ops.sheet_totals(member, entries), conflicted_all=ops.conflicted_with_all(member),
                           computed=ops.preview_computed(round_), evidence=pilot_evidence(round_, entries),
                           **_metric_context(round_, member, entries), **context)


def _metric_context(round_, member, entries, typed_checks=None):
    """Declared metric values and the evaluator's plausibility checks (数值可信 / 存疑) for the sheet."""
    saved = ops.metric_checks(member)
    checks = {key: {"verdict": c.verdict, "note": c.note} for key, c in saved.items()}
    if typed_checks is not None:
        checks.update({(c["submission_id"], c["criterion_id"]): c for c in typed_checks})
    return {"declared": ops.declared_values(round_, entries), "checks": checks, "verdicts": ops.VERDICTS}


def _declaration_page(round_, member, form, status=200):
    """The declaration form; a refused one comes back with the boxes ticked as they were sent."""
    entries = ops.round_entries(round_)
    if round_.blind:
        # Blind: the declaration names providers without tying them to entries.
        providers = sorted({(e.submission.provider_id, e.submission.provider.name) for e in entries}, key=lambda p: p[1])
    else:
        providers = [(e.submission.provider_id, e.submission.provider.name) for e in entries]
    form.conflict_provider_ids.choices = [SelectChoice(pid, name) for pid, name in providers]
    ticked = set(form.conflict_provider_ids.data or []) if status != 200 else set()
    return render_template("review/declaration.html", form=form, providers=providers, ticked=ticked,
                           carried=ops.earlier_conflicts(member), round=round_, challenge=round_.challenge,
                           member=member, action_form=EmptyForm()), status


def pilot_evidence(round_, entries):
    """Each racer's pilot evidence next to its entry in the rounds after the race started
    (mid-term, final): milestones, confirmed reports and measured indicators, no provider names."""
    if round_.position == 1 or round_.challenge.race_slots <= 1:
        return {}
    found = {e.submission_id: project_queries.pilot_evidence(e.submission_id) for e in entries}
    evidence = {k: v for k, v in found.items() if v is not None}
    if round_.blind:
        # Blind: attachments are listed (and downloaded) under neutral names.
        for pilot in evidence.values():
            for milestone in pilot["milestones"]:
                for report in milestone["reports"]:
                    report["files"] = [{**f, "name": f"附件-{f['id']}.{f['kind']}"} for f in report["files"]]
    return evidence


@bp.post("/review/rounds/<int:round_id>/declaration")
@login_required
def declare(round_id):
    round_ = ops.get_round(round_id)
    ops.require_membership(current_user, round_)
    member = ops.require_membership(current_user, round_)
    form = DeclarationForm()
    form.conflict_provider_ids.choices = [SelectChoice(pid) for pid in
                                          {e.submission.provider_id for e in ops.round_entries(round_)}
                                          | ops.earlier_conflicts(member)]
    if not form.validate_on_submit():
        return _declaration_page(round_, member, form, 422)
    _, refused = run_form(form, lambda: ops.sign_declaration(
        current_user, round_, conflict_provider_ids=form.conflict_provider_ids.data or []))
    if refused is not None:
        return _declaration_page(round_, member, form, refused)
    flash("回避声明已签署", "success")
    return redirect(url_for("review.sheet", round_id=round_id))


def _scores_from_form(round_, member):
    scores = []
    for entry in ops.entries_for(member):
        for criterion in ops.judged_criteria(round_):
            key = f"{entry.submission_id}-{criterion.id}"
            scores.append({"submission_id": entry.submission_id, "criterion_id": criterion.id,
                           "points": request.form.get(f"p-{key}", "").strip(),
                           "comment": request.form.get(f"c-{key}", "")})
    return scores


def _checks_from_form(round_, member):
    checks = []
    for entry in ops.entries_for(member):
        for criterion in ops.round_metric_criteria(round_):
            key = f"{entry.submission_id}-{criterion.id}"
            checks.append({"submission_id": entry.submission_id, "criterion_id": criterion.id,
                           "verdict": request.form.get(f"m-{key}", "").strip(),
                           "note": request.form.get(f"mn-{key}", "")})
    return checks


@bp.post("/review/rounds/<int:round_id>/sheet")
@login_required
def save(round_id):
    round_ = ops.get_round(round_id)
    member = ops.require_membership(current_user, round_)
    if not EmptyForm().validate_on_submit():
        abort(400)
    submit = request.form.get("action") == "submit"
    typed = _scores_from_form(round_, member)
    typed_checks = _checks_from_form(round_, member)
    try:
        ops.save_sheet(current_user, round_, typed, typed_checks)
        db.session.commit()
    except KEPT_ON_FORM as exc:
        # Nothing was saved: the sheet again with what the evaluator typed (not the last saved
        # draft), so that one wrong score — or a round closed meanwhile — wipes nothing.
        db.session.rollback()
        return _sheet_page(round_, member, exc, typed=typed, typed_checks=typed_checks)
    if submit:
        # Saving and submitting are two steps, each atomic: a sheet that cannot be submitted
        # yet (a missing comment) keeps the scores just typed as a saved draft.
        try:
            ops.submit_sheet(current_user, round_)
            db.session.commit()
        except KEPT_ON_FORM as exc:
            db.session.rollback()
            return _sheet_page(round_, member, exc, saved=True)
    flash("评分表已提交并锁定" if submit else "草稿已保存", "success")
    return redirect(url_for("review.sheet", round_id=round_id))


def _cell_errors(exc, typed, typed_checks=None):
    """{(submission id, criterion id): message} from a refusal's field names: the save's
    scores.<row>[.<part>] and metric_checks.<row> (rows as typed), and the submit's
    scores.<submission>.<criterion> and metric_checks.<submission>.<criterion>."""
    cells = {}
    rows_of = {"scores": typed, "metric_checks": typed_checks}
    for key, message in (exc.fields or {}).items():
        parts = key.split(".")
        if len(parts) < 2 or parts[0] not in rows_of or not parts[1].isdigit():
            continue
        rows = rows_of[parts[0]]
        if rows is not None:  # a save: the row as typed
            if int(parts[1]) < len(rows):
                row = rows[int(parts[1])]
                cells.setdefault((row["submission_id"], row["criterion_id"]), message)
        elif len(parts) == 3 and parts[2].isdigit():  # a submit: submission and criterion
            cells.setdefault((int(parts[1]), int(parts[2])), message)
    return cells


def _sheet_page(round_, member, exc, *, typed=None, typed_checks=None, saved=False):
    """The sheet refused: each bad score marked at its cell with its reason, the reason as a
    whole at the top of the form, every typed score and comment still in place."""
    cells = _cell_errors(exc, typed, typed_checks)
    top = [("草稿已保存，但还不能提交：" if saved else "未保存：") + exc.message]
    top += [m for m in dict.fromkeys((exc.fields or {}).values()) if m not in cells.values()]
    entries = ops.entries_for(member)
    return render_template(
        "review/sheet.html", round=round_, challenge=round_.challenge, member=member, action_form=EmptyForm(),
        entries=entries, scores=ops.sheet_scores(member), totals={} if typed is not None else ops.sheet_totals(member, entries),
        conflicted_all=ops.conflicted_with_all(member), computed=ops.preview_computed(round_),
        evidence=pilot_evidence(round_, entries),
        typed={(row["submission_id"], row["criterion_id"]): row for row in typed} if typed is not None else {},
        bad=set(cells), cell_errors=cells, sheet_errors=top, sheet_error_list=list(dict.fromkeys(cells.values())),
        **_metric_context(round_, member, entries, list(typed_checks) if typed_checks is not None else None)), \
        exc.status


# --- admin ----------------------------------------------------------------------------------

def _expert_domains():
    domains = {}
    for row in db.session.scalars(sa.select(EvaluatorDomain)):
        domains.setdefault(row.user_id, []).append(row.domain)
    return domains


def _pool():
    return db.session.scalars(sa.select(User).where(User.role == Role.evaluator, User.is_active)
                              .order_by(User.name)).all()


@bp.get("/admin/challenges/<int:challenge_id>/evaluation")
@login_required
def manage(challenge_id):
    require_role("admin")
    return _manage_page(get_or_404(Challenge, challenge_id))


def _manage_page(challenge, status=200, return_form=None, return_for=None, kept=None):
    """The evaluation page. `kept` {(round id, form name): form}: a refused panel, draw or
    replace-member form, shown again with what was chosen or typed and the reason at the form."""
    from marketplace.notices.operations import current_notice, pending_objections

    kept = kept or {}
    rounds = []
    pool = _pool()
    for round_ in challenge.rounds:
        panel_form = kept.get((round_.id, "panel_form"))
        if panel_form is None:
            panel_form = PanelForm(prefix=f"r{round_.id}", formdata=None)
            panel_form.evaluator_ids.choices = [SelectChoice(u.id, u.name) for u in pool]
            panel_form.evaluator_ids.data = [m.evaluator_id for m in ops.members(round_)]
        draw_form = kept.get((round_.id, "draw_form")) or DrawForm(prefix=f"d{round_.id}", size=round_.min_panel,
                                                                    formdata=None)
        replace_form = kept.get((round_.id, "replace_form")) or ReplaceMemberForm(prefix=f"x{round_.id}", formdata=None)
        rounds.append({"round": round_, "progress": queries.progress(round_), "panel_form": panel_form,
                       "draw_form": draw_form, "draws": ops.panel_draws(round_),
                       "entries": ops.round_entries(round_), "replace_form": replace_form, "pool": pool})
    from marketplace.notices.operations import withdrawn_notice

    names = {u.id: u.name for u in db.session.scalars(sa.select(User).where(User.role == Role.evaluator))}
    return render_template("review/manage.html", challenge=challenge, rounds=rounds, domains=_expert_domains(),
                           evaluator_names=names,
                           participating=ops.participating_provider_ids(challenge), action_form=EmptyForm(),
                           return_form=return_form or SheetReturnForm(formdata=None), return_for=return_for,
                           notice=current_notice(challenge),
                           withdrawn=withdrawn_notice(challenge), objections=pending_objections(challenge)), status


def _back(round_):
    return redirect(url_for("review.manage", challenge_id=round_.challenge_id))


def _panel_form_action(round_, form, name, operation, success):
    """A panel form on the evaluation page (hand-picked panel, draw, replace a member): done →
    back to the page with `success` (a message or a function of the result); refused (a field
    error, too few experts, an insider, the round moved on) → the page again with this form
    keeping what was chosen or typed and the reason at its field or at its top (422, or the
    refusal's own status)."""
    if form.validate_on_submit():
        result, refused = run_form(form, operation)
        if refused is None:
            flash(success(result) if callable(success) else success, "success")
            return _back(round_)
    else:
        refused = 422
    form.refused = True  # shown even where the round's state no longer offers it
    return _manage_page(round_.challenge, refused, kept={(round_.id, name): form})


def _admin_round(round_id):
    require_role("admin")
    return ops.get_round(round_id)


@bp.post("/admin/rounds/<int:round_id>/panel")
@login_required
def panel(round_id):
    round_ = _admin_round(round_id)
    form = PanelForm(prefix=f"r{round_.id}")
    form.evaluator_ids.choices = [SelectChoice(u.id, u.name) for u in _pool()]
    return _panel_form_action(round_, form, "panel_form",
                              lambda: ops.set_panel(current_user, round_, form.evaluator_ids.data), "专家组已更新")


@bp.post("/admin/rounds/<int:round_id>/draw")
@login_required
def draw(round_id):
    round_ = _admin_round(round_id)
    form = DrawForm(prefix=f"d{round_.id}")
    return _panel_form_action(
        round_, form, "draw_form",
        lambda: ops.draw_panel(current_user, round_, size=form.size.data, seed=form.seed.data, reason=form.reason.data or ""),
        lambda drawn: f"已从专家库随机抽取 {form.size.data} 名专家（随机种子 {drawn[1]}，已记入审计日志）")


@bp.post("/admin/rounds/<int:round_id>/<any(open, close, publish):action>")
@login_required
def transition(round_id, action):
    round_ = _admin_round(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if action == "open":
            ops.open_round(current_user, round_)
            message = "本轮评审已开启，已通知专家"
        elif action == "close":
            ops.close_round(current_user, round_)
            message = "评分已结束，结果待确认：请核对评分偏离与离散度；专家签署评审报告后即可发布"
        else:
            ops.publish_round(current_user, round_)
            message = "本轮结果已发布"
        db.session.commit()
    except Conflict as exc:
        # e.g. the panel is too small or the previous round is still open: still a 409, but on
        # the evaluation page itself, where the admin can fix it, rather than a bare error page.
        db.session.rollback()
        flash_refusal(exc)
        return _manage_page(round_.challenge, 409)
    flash(message, "success")
    if action == "close":
        return redirect(url_for("review.results", round_id=round_id))
    return _back(round_)


@bp.post("/admin/rounds/<int:round_id>/panel/replace")
@login_required
def replace_member(round_id):
    round_ = _admin_round(round_id)
    form = ReplaceMemberForm(prefix=f"x{round_.id}")
    return _panel_form_action(round_, form, "replace_form",
                              lambda: ops.replace_member(current_user, round_, old_evaluator_id=form.old_evaluator_id.data,
                                                         new_evaluator_id=form.new_evaluator_id.data),
                              "专家已更换（已记入审计日志），新专家签署回避声明后即可评分")


@bp.post("/admin/rounds/<int:round_id>/sheets/<int:evaluator_id>/return")
@login_required
def return_sheet(round_id, evaluator_id):
    round_ = _admin_round(round_id)
    form = SheetReturnForm()
    if form.validate_on_submit():
        _, refused = run_form(form, lambda: ops.return_sheet(current_user, round_, evaluator_id, reason=form.reason.data))
        if refused is None:
            flash("评分表已退回，已通知专家（退回理由仅该专家可见）", "success")
            return _back(round_)
    else:
        refused = 422
    # The reason typed comes back in its row, with why it was refused (a row that does not exist —
    # the evaluator is not on the panel — leaves only the message, at the top of the page).
    if all(m.evaluator_id != evaluator_id for m in ops.members(round_)):
        flash("；".join(form.form_errors or [m for errors in form.errors.values() for m in errors]), "danger")
    return _manage_page(round_.challenge, refused, return_form=form, return_for=(round_.id, evaluator_id))


@bp.route("/admin/experts", methods=["GET", "POST"])
@login_required
def experts():
    require_role("admin")
    if request.method == "POST":
        form = ExpertDomainsForm()
        user_id = request.form.get("user_id", type=int)
        if not user_id or not 0 < user_id < 2**31:
            raise NotFound()
        user = get_or_404(User, user_id)
        if form.validate_on_submit():
            commit_and_flash(lambda: ops.set_expert_domains(current_user, user, form.domains.data or []),
                             f"已更新 {user.name} 的专业领域")
        return redirect(url_for("review.experts"))
    return render_template("review/experts.html", experts=_pool(), domains=_expert_domains(), form=ExpertDomainsForm())


# --- results --------------------------------------------------------------------------------

def _results_round(round_id):
    round_ = ops.get_round(round_id)
    if not can_view_challenge(current_user, round_.challenge):
        raise NotFound()
    # 404 as in the API: another department, a provider or an evaluator learns nothing of the results.
    require(is_admin(current_user) or permissions.is_department_of(current_user, round_.challenge),
            hide=True)
    if round_.status not in (RoundStatus.review, RoundStatus.closed):
        flash("本轮评分尚未结束，结果在结束后生成", "info")
        return round_, None
    return round_, queries.results_rows(round_)


@bp.get("/rounds/<int:round_id>/results")
@login_required
def results(round_id):
    round_, rows = _results_round(round_id)
    panel = queries.panel_names(round_)
    return render_template("review/results.html", round=round_, challenge=round_.challenge, rows=rows or [],
                           panel=panel, computed=ops.computed_explanations(round_))


EXPORT_HEADERS = ["排名", "方案", "服务商", "得分", "是否晋级", "评分标准差", "评分偏离", "回避专家", "各专家总分"]


def _export_rows(round_, rows):
    panel = queries.panel_names(round_)
    for r in rows:
        yield [r["rank"], r["label"], r["provider_name"], r["score"], "是" if r["advanced"] else "否", r["spread"],
               "；".join(f"评分偏离：{panel.get(i, i)}" for i in r["deviating_evaluators"]),
               "、".join(panel.get(i, str(i)) for i in r["conflicts"]),
               "；".join(f"{panel.get(int(k), k)}：{v}" for k, v in r["evaluator_totals"].items())]


@bp.get("/rounds/<int:round_id>/results.<any(csv, xlsx):fmt>")
@login_required
def export(round_id, fmt):
    round_, rows = _results_round(round_id)
    if rows is None:
        raise NotFound()
    filename = f"round-{round_.id}-results.{fmt}"
    # Score and spread as numbers, so that the spreadsheet sorts and sums them (100 after 55).
    rows = [[*r[:3], _decimal(r[3]), r[4], _decimal(r[5]), *r[6:]] for r in _export_rows(round_, rows)]
    if fmt == "csv":
        return exports.csv_response(filename, EXPORT_HEADERS, rows)
    return exports.xlsx_response(filename, "评审结果", EXPORT_HEADERS, rows, decimal_format="0.00")


def _decimal(value):
    return None if value is None else Decimal(value)


# --- the evaluation report (评审报告) ------------------------------------------------------------

@bp.get("/review/rounds/<int:round_id>/report")
@login_required
def report(round_id):
    round_ = ops.get_round(round_id)
    member = ops.membership(current_user, round_)
    if member is None and not (is_admin(current_user)
                               or permissions.is_department_of(current_user, round_.challenge)):
        raise NotFound()
    return _report_page(round_, member, ReportSignForm(formdata=None))


def _report_page(round_, member, form, status=200):
    content = round_.report or (ops.report_content(round_) if round_.status == RoundStatus.review else None)
    return render_template("review/report.html", round=round_, challenge=round_.challenge, member=member,
                           content=content, members=ops.members(round_), form=form), status


@bp.get("/review/rounds/<int:round_id>/report.pdf")
@login_required
def report_pdf(round_id):
    """The signed evaluation report as a printable PDF: only once frozen, for whoever may read the
    report page. It prints the frozen content (and its digest), not today's rows."""
    round_ = ops.get_round(round_id)
    member = ops.membership(current_user, round_)
    if member is None and not (is_admin(current_user)
                               or permissions.is_department_of(current_user, round_.challenge)):
        raise NotFound()
    if round_.report is None or round_.report_sha256 is None:
        raise NotFound()
    content = {"document": "evaluation_report", "round_id": round_.id, "report_sha256": round_.report_sha256,
               "report": round_.report}
    sha256 = issue_document(current_user, "evaluation_report", round_, content)
    db.session.commit()
    names = {str(p["evaluator_id"]): p["name"] for p in round_.report["panel"]}
    signed = {str(s["evaluator_id"]): datetime.fromisoformat(s["signed_at"])
              for s in round_.report["signatures"] if s["signed_at"]}
    pdf = render_pdf("pdf/evaluation_report.html", round=round_, challenge=round_.challenge,
                     report=round_.report, names=names, signed=signed, sha256=sha256, issued_at=utcnow())
    return pdf_response(pdf, f"评审报告-{round_.challenge.title}-{round_.name}.pdf")


@bp.post("/review/rounds/<int:round_id>/report/sign")
@login_required
def sign_report(round_id):
    round_ = ops.get_round(round_id)
    member = ops.require_membership(current_user, round_)
    form = ReportSignForm()
    if form.validate_on_submit():
        _, refused = run_form(form, lambda: ops.sign_report(current_user, round_, dissent=form.dissent.data,
                                                            refuse=form.refuse.data))
        if refused is None:
            flash("已拒绝签署，理由已记入评审报告" if form.refuse.data else "评审报告已签署", "success")
            return redirect(url_for("review.report", round_id=round_id))
    else:
        refused = 422
    # Refused (a refusal without its reason, the report already signed …): the dissent typed stays.
    form.refused = True
    return _report_page(round_, member, form, refused)


# --- the evaluation template library (admin) -------------------------------------------------

def _pad_plan(form):
    from marketplace.challenges.forms import HTML_CRITERIA, HTML_ROUNDS

    while len(form.rounds) < HTML_ROUNDS:
        form.rounds.append_entry()
    for entry in form.rounds:
        while len(entry.form.criteria) < HTML_CRITERIA:
            entry.form.criteria.append_entry()
        entry.form.refresh_choices()
    return form


def _template_form_page(form, template=None, status=200):
    return render_template("review/template_form.html", form=_pad_plan(form), template=template), status


def _template_plan_action(form_cls):
    from marketplace.challenges.forms import apply_plan_action

    typed = form_cls()
    data = {k: v for k, v in typed.data.items() if k != "csrf_token"}
    message = apply_plan_action(data, request.form.get("plan_action"))
    if message:
        flash(f"{message}（尚未保存）", "info")
    return form_cls(formdata=None, data=data)


@bp.get("/admin/evaluation-templates")
@login_required
def template_list():
    require_role("admin")
    return render_template("review/templates.html", templates=templates.current_templates())


@bp.get("/admin/evaluation-templates/<int:family_id>/versions")
@login_required
def template_versions(family_id):
    """A template's versions: what each changed (criteria diff) and which challenges copied it."""
    require_role("admin")
    history = templates.history(family_id)
    return render_template("review/template_versions.html", current=history[0]["template"], history=history)


@bp.route("/admin/evaluation-templates/new", methods=["GET", "POST"])
@login_required
def template_new():
    require_role("admin")
    if request.method == "POST" and request.form.get("plan_action"):
        return _template_form_page(_template_plan_action(TemplateForm))
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = templates.create_template(current_user, name=form.name.data, description=form.description.data or "",
                                                 rounds=templates.plan_json(form.plan()))
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        else:
            flash(f"评审方案模板“{template.name}”已创建", "success")
            return redirect(url_for("review.template_list"))
    return _template_form_page(form, status=422 if form.errors else 200)


@bp.route("/admin/evaluation-templates/<int:family_id>/edit", methods=["GET", "POST"])
@login_required
def template_edit(family_id):
    require_role("admin")
    template = templates.get_current(family_id)
    if request.method == "POST" and request.form.get("plan_action"):
        return _template_form_page(_template_plan_action(TemplateForm), template)
    if request.method == "GET":
        form = TemplateForm(data={"name": template.name, "description": template.description,
                                  "rounds": plan_form_data(template.rounds)})
    else:
        form = TemplateForm()
    if form.validate_on_submit():
        try:
            new = templates.edit_template(current_user, template, name=form.name.data,
                                          description=form.description.data or "", rounds=templates.plan_json(form.plan()))
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        else:
            flash(f"已保存为第 {new.version} 版；已创建的榜单仍使用各自复制时的版本", "success")
            return redirect(url_for("review.template_list"))
    return _template_form_page(form, template, status=422 if form.errors else 200)
