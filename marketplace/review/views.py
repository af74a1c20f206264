import csv
import io
from decimal import Decimal

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace.accounts.models import Role, User
from marketplace.challenges.models import Challenge
from marketplace.challenges.permissions import can_view_challenge
from marketplace.challenges.states import RoundStatus
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.forms import EmptyForm, commit_and_flash, errors_text
from marketplace.core.permissions import get_or_404, require, require_role
from marketplace.extensions import db
from marketplace.review import bp, permissions, queries
from marketplace.review import operations as ops
from marketplace.review.forms import DeclarationForm, DrawForm, ExpertDomainsForm, PanelForm, SheetReturnForm
from marketplace.review.models import EvaluatorDomain

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
        form = DeclarationForm()
        entries = ops.round_entries(round_)
        if round_.blind:
            # Blind: the declaration names providers without tying them to entries.
            providers = sorted({(e.submission.provider_id, e.submission.provider.name) for e in entries}, key=lambda p: p[1])
        else:
            providers = [(e.submission.provider_id, e.submission.provider.name) for e in entries]
        form.conflict_provider_ids.choices = [SelectChoice(pid, name) for pid, name in providers]
        return render_template("review/declaration.html", form=form, providers=providers, **context)
    entries = ops.entries_for(member)
    return render_template("review/sheet.html", entries=entries, scores=ops.sheet_scores(member),
                           totals=ops.sheet_totals(member, entries), **context)


@bp.post("/review/rounds/<int:round_id>/declaration")
@login_required
def declare(round_id):
    round_ = ops.get_round(round_id)
    ops.require_membership(current_user, round_)
    form = DeclarationForm()
    form.conflict_provider_ids.choices = [SelectChoice(e.submission.provider_id) for e in ops.round_entries(round_)]
    if not form.validate_on_submit():
        flash(errors_text(form) or "请重新提交", "danger")
        return redirect(url_for("review.sheet", round_id=round_id))
    ops.sign_declaration(current_user, round_, conflict_provider_ids=form.conflict_provider_ids.data or [])
    db.session.commit()
    flash("回避声明已签署", "success")
    return redirect(url_for("review.sheet", round_id=round_id))


def _scores_from_form(round_, member):
    scores = []
    for entry in ops.entries_for(member):
        for criterion in round_.criteria:
            key = f"{entry.submission_id}-{criterion.id}"
            scores.append({"submission_id": entry.submission_id, "criterion_id": criterion.id,
                           "points": request.form.get(f"p-{key}", "").strip(),
                           "comment": request.form.get(f"c-{key}", "")})
    return scores


@bp.post("/review/rounds/<int:round_id>/sheet")
@login_required
def save(round_id):
    round_ = ops.get_round(round_id)
    member = ops.require_membership(current_user, round_)
    if not EmptyForm().validate_on_submit():
        abort(400)
    submit = request.form.get("action") == "submit"
    typed = _scores_from_form(round_, member)
    try:
        ops.save_sheet(current_user, round_, typed)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        return _sheet_retype(round_, member, typed, exc)
    if submit:
        # Saving and submitting are two steps, each atomic: a sheet that cannot be submitted
        # yet (a missing comment) keeps the scores just typed as a saved draft.
        try:
            ops.submit_sheet(current_user, round_)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            return _sheet_errors(round_id, exc, saved=True)
    flash("评分表已提交并锁定" if submit else "草稿已保存", "success")
    return redirect(url_for("review.sheet", round_id=round_id))


def _sheet_retype(round_, member, typed, exc):
    """Nothing was saved: show the sheet again with what the evaluator typed (not the last
    saved draft) and the bad fields marked, so that one wrong score does not wipe the rest."""
    messages = list(dict.fromkeys(exc.fields.values())) or [exc.message]
    flash("；".join(messages[:8]) + ("……" if len(messages) > 8 else ""), "danger")
    bad = set()
    for key in exc.fields:
        parts = key.split(".")
        if len(parts) >= 2 and parts[0] == "scores" and parts[1].isdigit() and int(parts[1]) < len(typed):
            row = typed[int(parts[1])]
            bad.add((row["submission_id"], row["criterion_id"]))
    entries = ops.entries_for(member)
    return render_template(
        "review/sheet.html", round=round_, challenge=round_.challenge, member=member, action_form=EmptyForm(),
        entries=entries, scores=ops.sheet_scores(member), totals={},
        typed={(row["submission_id"], row["criterion_id"]): row for row in typed}, bad=bad), 422


def _sheet_errors(round_id, exc, saved=False):
    messages = list(dict.fromkeys(exc.fields.values())) or [exc.message]
    text = "；".join(messages[:8]) + ("……" if len(messages) > 8 else "")
    flash(("草稿已保存，但还不能提交：" if saved else "") + text, "danger")
    return redirect(url_for("review.sheet", round_id=round_id))


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


def _manage_page(challenge, status=200):
    from marketplace.notices.operations import current_notice, pending_objections

    rounds = []
    for round_ in challenge.rounds:
        panel_form = PanelForm(prefix=f"r{round_.id}")
        panel_form.evaluator_ids.choices = [SelectChoice(u.id, u.name) for u in _pool()]
        panel_form.evaluator_ids.data = [m.evaluator_id for m in ops.members(round_)]
        rounds.append({"round": round_, "progress": queries.progress(round_), "panel_form": panel_form,
                       "draw_form": DrawForm(prefix=f"d{round_.id}", size=round_.min_panel),
                       "entries": ops.round_entries(round_)})
    return render_template("review/manage.html", challenge=challenge, rounds=rounds, domains=_expert_domains(),
                           participating=ops.participating_provider_ids(challenge), action_form=EmptyForm(),
                           return_form=SheetReturnForm(), notice=current_notice(challenge),
                           objections=pending_objections(challenge)), status


def _back(round_):
    return redirect(url_for("review.manage", challenge_id=round_.challenge_id))


def _admin_round(round_id):
    require_role("admin")
    return ops.get_round(round_id)


@bp.post("/admin/rounds/<int:round_id>/panel")
@login_required
def panel(round_id):
    round_ = _admin_round(round_id)
    form = PanelForm(prefix=f"r{round_.id}")
    form.evaluator_ids.choices = [SelectChoice(u.id, u.name) for u in _pool()]
    if not form.validate_on_submit():
        flash(errors_text(form), "danger")
        return _back(round_)
    commit_and_flash(lambda: ops.set_panel(current_user, round_, form.evaluator_ids.data), "专家组已更新")
    return _back(round_)


@bp.post("/admin/rounds/<int:round_id>/draw")
@login_required
def draw(round_id):
    round_ = _admin_round(round_id)
    form = DrawForm(prefix=f"d{round_.id}")
    if not form.validate_on_submit():
        flash(errors_text(form), "danger")
        return _back(round_)
    _, seed = ops.draw_panel(current_user, round_, size=form.size.data, seed=form.seed.data)
    db.session.commit()
    flash(f"已从专家库随机抽取 {form.size.data} 名专家（随机种子 {seed}，已记入审计日志）", "success")
    return _back(round_)


@bp.post("/admin/rounds/<int:round_id>/<any(open, close):action>")
@login_required
def transition(round_id, action):
    round_ = _admin_round(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if action == "open":
            ops.open_round(current_user, round_)
            message = "本轮评审已开启，已通知专家"
        else:
            ops.close_round(current_user, round_)
            message = "本轮评审已结束，结果已生成"
        db.session.commit()
    except Conflict as exc:
        # e.g. the panel is too small or the previous round is still open: still a 409, but on
        # the evaluation page itself, where the admin can fix it, rather than a bare error page.
        db.session.rollback()
        flash(exc.message, "danger")
        return _manage_page(round_.challenge, 409)
    flash(message, "success")
    if action == "close":
        return redirect(url_for("review.results", round_id=round_id))
    return _back(round_)


@bp.post("/admin/rounds/<int:round_id>/sheets/<int:evaluator_id>/return")
@login_required
def return_sheet(round_id, evaluator_id):
    round_ = _admin_round(round_id)
    form = SheetReturnForm()
    if not form.validate_on_submit():
        flash(errors_text(form), "danger")
        return _back(round_)
    ops.return_sheet(current_user, round_, evaluator_id, reason=form.reason.data)
    db.session.commit()
    flash("评分表已退回，已通知专家", "success")
    return _back(round_)


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
    require(permissions.is_admin(current_user) or permissions.is_department_of(current_user, round_.challenge),
            hide=True)
    if round_.status != RoundStatus.closed:
        flash("本轮评审尚未结束，结果在结束后生成", "info")
        return round_, None
    return round_, queries.results_rows(round_)


@bp.get("/rounds/<int:round_id>/results")
@login_required
def results(round_id):
    round_, rows = _results_round(round_id)
    panel = queries.panel_names(round_)
    return render_template("review/results.html", round=round_, challenge=round_.challenge, rows=rows or [],
                           panel=panel)


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
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_HEADERS)
        writer.writerows(_export_rows(round_, rows))
        body = "\ufeff" + buffer.getvalue()  # BOM so that Excel opens UTF-8 correctly
        return Response(body, mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "评审结果"
    sheet.append(EXPORT_HEADERS)
    for row in _export_rows(round_, rows):
        # Score and spread as numbers, so that the spreadsheet sorts and sums them (100 after 55).
        row[3], row[5] = (None if v is None else Decimal(v) for v in (row[3], row[5]))
        sheet.append(row)
        for column in (4, 6):
            sheet.cell(row=sheet.max_row, column=column).number_format = "0.00"
    out = io.BytesIO()
    workbook.save(out)
    return Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


