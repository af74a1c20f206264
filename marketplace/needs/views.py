"""Pages of 需求征集: the public 场景需求清单, a unit's submission form and its needs, the office's
triage queue and batches, subscriptions and the needs dashboard."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace.core.errors import NotFound
from marketplace.core.forms import EmptyForm, commit_and_flash, commit_operation, run_form
from marketplace.core.pagination import paginate
from marketplace.core.permissions import require, require_role
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.needs import bp, permissions, queries, similarity
from marketplace.needs import operations as ops
from marketplace.needs.conversion import convert_need
from marketplace.needs.exports import batch_xlsx
from marketplace.needs.forms import AcceptForm, BatchForm, MergeForm, NeedForm, RejectForm, ReturnForm, SubscriptionForm
from marketplace.needs.models import Need, NeedBatch
from marketplace.needs.states import NEED_MACHINE, NeedState


def _visible_need(need_id):
    need = db.session.get(Need, need_id)
    if need is None or not permissions.can_view_need(current_user, need):
        raise NotFound()
    return need


def _visible_batch(batch_id):
    batch = db.session.get(NeedBatch, batch_id)
    if batch is None or not permissions.can_view_batch(current_user, batch):
        raise NotFound()
    return batch


def _to_need(need, anchor=None):
    return redirect(url_for("needs.detail", need_id=need.id) + (f"#{anchor}" if anchor else ""))


def _check_csrf(form=None):
    if not (form or EmptyForm()).validate_on_submit():
        abort(400)


# --- public: the 场景需求清单 -------------------------------------------------------------

@bp.get("/needs")
def index():
    batch_id = request.args.get("batch", type=int)
    domain = request.args.get("domain")
    q = (request.args.get("q") or "").strip()[:100]
    query = queries.public_query(batch_id=batch_id, domain=domain)
    batches = queries.published_batches()
    if q:
        items = similarity.search_public(db.session.scalars(query).all(), q)
        page = None
    else:
        page = paginate(query)
        items = page.items
    return render_template("needs/index.html", items=items, page=page, batches=batches, batch_id=batch_id,
                           domain=domain, q=q)


@bp.get("/needs/<int:need_id>")
def detail(need_id):
    return _render_detail(_visible_need(need_id))


def _render_detail(need, status=200, **forms):
    """The need's page; `forms` carries a refused triage form (accept_form …), shown with what
    was typed and why it was refused."""
    user = current_user
    challenge = queries.challenge_of(need)
    from marketplace.challenges.permissions import can_view_challenge

    context = {
        "need": need,
        "challenge": challenge if challenge is not None and can_view_challenge(user, challenge) else None,
        "show_feedback": permissions.can_see_feedback(user, need),
        "show_triage_note": permissions.can_see_triage_note(user, need),
        "can_edit": permissions.can_edit_need(user, need),
        "can_convert": permissions.can_convert_need(user, need),
        "can_triage": permissions.can_triage(user, need),
        "action_form": EmptyForm(),
    }
    if context["challenge"] is not None:
        from marketplace.projects.permissions import can_view_project

        context["project"] = project = queries.project_of(challenge)
        context["project_visible"] = project is not None and can_view_project(user, project)
    if context["can_triage"]:
        context["similar"] = similarity.similar_to(need)
        accept_form = AcceptForm(formdata=None, assignee_org_id=need.assignee_id or need.submitter_id)
        accept_form.assignee_org_id.choices = [SelectChoice(d.id, d.name) for d in queries.departments()]
        context.update(accept_form=accept_form, return_form=ReturnForm(formdata=None),
                       reject_form=RejectForm(formdata=None), merge_form=MergeForm(formdata=None),
                       actions=NEED_MACHINE.actions_from(need.state))
    context.update(forms, refused_triage=bool(forms))
    return render_template("needs/detail.html", **context), status


@bp.get("/need-batches/<int:batch_id>.xlsx")
def batch_export(batch_id):
    batch = _visible_batch(batch_id)
    filename = f"need-batch-{batch.number}-{today_shanghai().isoformat()}.xlsx"
    return Response(batch_xlsx(batch), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


# --- department / 街道 ---------------------------------------------------------------------

@bp.route("/needs/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_submit_need(current_user), message="只有委办局、街道等单位用户可以提交场景需求")
    form = NeedForm()
    if form.validate_on_submit():
        need, refused = run_form(form, lambda: ops.submit_need(current_user, form.values()))
        if refused is None:
            flash("需求已提交，平台将进行形式审查，结果会通知您。", "success")
            return _to_need(need)
        return render_template("needs/form.html", form=form, need=None), refused
    return render_template("needs/form.html", form=form, need=None), 422 if form.errors else 200


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id):
    need = _visible_need(need_id)
    require(permissions.is_submitter(current_user, need))
    if need.state != NeedState.returned:
        flash(f"需求状态为“{need.state.label}”，只有退回修改的需求可以修改", "warning")
        return _to_need(need)
    if request.method == "POST":
        form = NeedForm()
    else:
        form = NeedForm(data={
            "title": need.title, "domain": need.domain, "problem": need.problem, "scenario": need.scenario,
            "beneficiaries": need.beneficiaries, "expected_outcomes": need.expected_outcomes,
            "data_available": need.data_available, "keywords": need.keyword_list,
            "budget_yuan": str(need.budget_yuan) if need.budget_fen is not None else "",
            "budget_source": need.budget_source})
    if form.validate_on_submit():
        def save_and_resubmit():
            ops.update_need(current_user, need, form.values())
            return ops.resubmit_need(current_user, need)

        _, refused = run_form(form, save_and_resubmit)
        if refused is None:
            flash("需求已修改并重新提交", "success")
            return _to_need(need)
        return render_template("needs/form.html", form=form, need=need), refused
    return render_template("needs/form.html", form=form, need=need), 422 if form.errors else 200


@bp.get("/dept/needs")
@login_required
def mine():
    require_role("department")
    status = request.args.get("status")
    page = paginate(queries.unit_query(current_user.organisation_id, status))
    return render_template("needs/mine.html", page=page, status=status, states=NeedState)


@bp.post("/needs/<int:need_id>/challenge")
@login_required
def convert(need_id):
    need = _visible_need(need_id)
    require(permissions.is_assignee(current_user, need), message="只有责任单位可以将需求转为榜单")
    _check_csrf()
    created = []
    if not commit_and_flash(lambda: created.append(convert_need(current_user, need)),
                            "已根据需求生成榜单草稿：请补充截止时间、评审方案等内容后提交平台审核。"):
        return redirect(url_for("needs.detail", need_id=need.id))  # refused: back to the need
    return redirect(url_for("challenges.edit", challenge_id=created[0].id))


# --- the office: triage ----------------------------------------------------------------------

@bp.get("/admin/needs")
@login_required
def triage_queue():
    require_role("admin")
    filters = queries.TriageFilters.from_args(request.args)
    page = paginate(queries.triage_query(filters))
    return render_template("needs/triage.html", page=page, filters=filters, states=NeedState,
                           departments=queries.departments(), ages=queries.AGES)


TRIAGE_FORM_NAMES = {AcceptForm: "accept_form", ReturnForm: "return_form", RejectForm: "reject_form",
                     MergeForm: "merge_form"}


def _triage_action(need_id, form_cls, run, success):
    need = _visible_need(need_id)
    require(permissions.can_triage(current_user, need))
    form = form_cls()
    if form_cls is AcceptForm:
        form.assignee_org_id.choices = [SelectChoice(d.id, d.name) for d in queries.departments()]
    if form.validate_on_submit():
        result, refused = run_form(form, lambda: run(need, form))
        if refused is None:
            flash(success(result) if callable(success) else success, "success")
            return _to_need(need)
    else:
        refused = 422
    # Refused (a field, or another clerk handled the need meanwhile): the page again with this
    # form as it was sent and the reason at the field or at its top.
    return _render_detail(need, refused, **{TRIAGE_FORM_NAMES[form_cls]: form})


@bp.post("/needs/<int:need_id>/accept")
@login_required
def accept(need_id):
    return _triage_action(need_id, AcceptForm, lambda need, form: ops.accept_need(
        current_user, need, note=form.note.data, assignee_id=form.assignee_org_id.data,
        triage_note=form.triage_note.data), "需求已受理并交责任单位办理")


@bp.post("/needs/<int:need_id>/return")
@login_required
def return_(need_id):
    return _triage_action(need_id, ReturnForm, lambda need, form: ops.return_need(
        current_user, need, note=form.note.data, triage_note=form.triage_note.data), "需求已退回提出单位修改")


@bp.post("/needs/<int:need_id>/reject")
@login_required
def reject(need_id):
    return _triage_action(need_id, RejectForm, lambda need, form: ops.reject_need(
        current_user, need, note=form.note.data, triage_note=form.triage_note.data), "已告知提出单位不予采纳")


@bp.post("/needs/<int:need_id>/merge")
@login_required
def merge(need_id):
    return _triage_action(need_id, MergeForm, lambda need, form: ops.merge_need(
        current_user, need, db.session.get(Need, form.into_id.data), note=form.note.data),
        lambda need: f"已合并到需求“{need.merged_into.title}”，并告知提出单位")


# --- the office: batches ---------------------------------------------------------------------

@bp.route("/admin/need-batches", methods=["GET", "POST"])
@login_required
def batches():
    require_role("admin")
    form = BatchForm()
    candidates = queries.batchable_needs()
    form.need_ids.choices = [SelectChoice(n.id, n.title) for n in candidates]
    if form.validate_on_submit():
        ok, batch = commit_operation(form, lambda: ops.create_batch(current_user, title=form.title.data,
                                                                    need_ids=form.need_ids.data))
        if ok:
            flash(f"{batch.title}已生成，确认后即可发布", "success")
            return redirect(url_for("needs.batches"))
    return render_template("needs/batches.html", form=form, candidates=candidates,
                           batches=queries.all_batches()), 422 if form.errors else 200


@bp.post("/admin/need-batches/<int:batch_id>/publish")
@login_required
def publish_batch(batch_id):
    require_role("admin")
    batch = _visible_batch(batch_id)
    _check_csrf()
    commit_and_flash(lambda: ops.publish_batch(current_user, batch), f"{batch.title}已发布")
    return redirect(url_for("needs.batches"))


@bp.get("/admin/needs/stats")
@login_required
def stats():
    require_role("admin")
    return render_template("needs/stats.html", by_state=queries.needs_by_state(), by_unit=queries.needs_by_unit(),
                           by_domain=queries.needs_by_domain(), timing=queries.days_to_challenge())


# --- subscriptions -------------------------------------------------------------------------

@bp.route("/me/subscriptions", methods=["GET", "POST"])
@login_required
def subscriptions():
    form = SubscriptionForm() if request.method == "POST" else SubscriptionForm(
        domains=queries.subscribed_domains(current_user))
    if form.validate_on_submit():
        ok, _ = commit_operation(form, lambda: ops.set_subscriptions(current_user, form.domains.data))
        if ok:
            flash("关注的领域已保存", "success")
            return redirect(url_for("needs.subscriptions"))
    return render_template("needs/subscriptions.html", form=form), 422 if form.errors else 200


