import json

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.accounts.models import Organisation, OrganisationKind
from marketplace.challenges import bp, permissions, queries
from marketplace.challenges import operations as ops
from marketplace.challenges.forms import (
    HTML_CRITERIA,
    HTML_RACE_MILESTONES,
    HTML_ROUNDS,
    MAX_RACE_MILESTONES,
    AnswerForm,
    ChallengeForm,
    ChallengeReasonForm,
    ExtendForm,
    QuestionForm,
    apply_plan_action,
    guidance_text,
    plan_form_data,
)
from marketplace.challenges.models import Challenge, Question
from marketplace.challenges.states import AFTER_DEADLINE_STATES, CHALLENGE_MACHINE, ChallengeState
from marketplace.core.errors import NotFound
from marketplace.core.forms import EmptyForm, commit_and_flash, errors_text, run_form
from marketplace.core.pagination import paginate
from marketplace.core.permissions import get_or_404, require, require_role
from marketplace.core.timeutil import to_shanghai
from marketplace.extensions import db
from marketplace.files import operations as file_ops
from marketplace.files.models import StoredFile
from marketplace.projects import queries as project_queries
from marketplace.review import templates
from marketplace.submissions import operations as submission_ops
from marketplace.submissions import queries as submission_queries
from marketplace.submissions.forms import UploadForm


def _departments():
    return db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrganisationKind.department)
                              .order_by(Organisation.name)).all()


def _visible_challenge(challenge_id):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not permissions.can_view_challenge(current_user, challenge):
        raise NotFound()
    return challenge


# --- public ---------------------------------------------------------------------------------

@bp.get("/challenges")
def index():
    # Public states only, for everyone: a department's drafts are on its own list (/dept/challenges).
    filters = queries.ChallengeFilters.from_args(request.args)
    items, next_cursor, prev_cursor, total = [], None, None, 0
    if not filters.status_error:  # never fall back to listing everything
        total = queries.public_count(filters)
        backwards = queries.previous_page(filters, before=request.args.get("before"), per_page=20) \
            if request.args.get("before") else None
        if backwards is not None and backwards[0]:  # 上一页: the rows before the page that was showing
            items, more_before = backwards
            next_cursor = queries.encode_cursor(items[-1], filters.sort)
            prev_cursor = queries.encode_cursor(items[0], filters.sort) if more_before else None
        else:  # nothing before it (or a bad cursor): the first page
            after = request.args.get("after") if backwards is None else None
            items, next_cursor = queries.public_page(filters, cursor=after, per_page=20)
            if items and queries.decode_cursor(after, filters.sort) is not None:
                prev_cursor = queries.encode_cursor(items[0], filters.sort)
    return render_template("challenges/index.html", items=items, next_cursor=next_cursor, prev_cursor=prev_cursor,
                           total=total, filters=filters,
                           sorts=queries.SORTS, departments=_departments(),
                           states=ChallengeState), 422 if filters.status_error else 200


@bp.get("/challenges/<int:challenge_id>")
def detail(challenge_id):
    return _render_detail(_visible_challenge(challenge_id))


def _render_detail(challenge, status=200, **forms):
    """The challenge page; `forms` replaces a blank form with one that was refused (extend_form,
    return_form, cancel_form, question_form, answer_form with answer_for=question id), so the
    page shows what was typed and why it was refused, at that form."""
    user = current_user
    context = {
        "challenge": challenge,
        "questions": queries.answered_questions(challenge.id),
        "attachments": file_ops.live_files("challenge", challenge.id),
        "can_manage": permissions.can_manage_challenge(user, challenge),
        "can_review": permissions.can_review_challenge(user, challenge),
        "can_cancel": permissions.can_cancel_challenge(user, challenge),
        "show_count": permissions.can_see_submission_count(user, challenge),
        "submission_count": submission_queries.live_count(challenge),
        "actions": CHALLENGE_MACHINE.actions_from(challenge.state),
        "answer_for": None,
        # Only signed-in people get forms (below): each one puts a CSRF token in the session,
        # which would make the public page uncacheable (core/pagecache.py) for nothing.
        **dict.fromkeys(("action_form", "return_form", "cancel_form", "extend_form", "question_form",
                         "answer_form", "upload_form")),
        "unsealed": challenge.state in AFTER_DEADLINE_STATES,
        "race": project_queries.race(challenge, user),
        "project_id": project_queries.challenge_project_id(challenge),
    }
    if user.is_authenticated:
        context.update(action_form=EmptyForm(), return_form=ChallengeReasonForm(formdata=None),
                       cancel_form=ChallengeReasonForm(formdata=None), extend_form=ExtendForm(formdata=None),
                       question_form=QuestionForm(formdata=None), answer_form=AnswerForm(formdata=None),
                       upload_form=UploadForm())
    if context["can_manage"] or context["can_review"]:
        context["all_questions"] = queries.all_questions(challenge.id)
    if user.is_authenticated and user.role.value == "provider":
        context["eligibility"] = submission_ops.eligibility_problems(user, challenge)
        context["own_submission"] = submission_ops.own_submission(user, challenge)
        context["own_questions"] = queries.own_questions(challenge.id, user.id)
        context["following"] = queries.is_following(challenge.id, user.id)
    context.update(forms)
    return render_template("challenges/detail.html", **context), status


# --- department -----------------------------------------------------------------------------

def _pad(form, extra_race_rows=0):
    while len(form.rounds) < HTML_ROUNDS:
        form.rounds.append_entry()
    # Rows of the race milestones: blank ones are ignored, so "add a row" (a submit button, no
    # script needed) just offers one more blank row, and "remove" is a tick that blanks its row.
    wanted = max(HTML_RACE_MILESTONES, len(form.race_milestones) + extra_race_rows)
    while len(form.race_milestones) < min(wanted, MAX_RACE_MILESTONES):
        form.race_milestones.append_entry()
    for entry in form.rounds:
        while len(entry.form.criteria) < HTML_CRITERIA:
            entry.form.criteria.append_entry()
    return form


def _form_data(challenge):
    deadline = to_shanghai(challenge.deadline)
    return {
        "title": challenge.title, "domain": challenge.domain, "description": challenge.description,
        "pain_points": challenge.pain_points, "outcomes": challenge.outcomes,
        "budget_yuan": str(challenge.budget_yuan), "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        "required_domains": challenge.required_domains, "race_slots": challenge.race_slots,
        "min_submissions": challenge.min_submissions, "notice_days": challenge.notice_days,
        "contact": challenge.contact,
        "pilot_budget_yuan": str(challenge.pilot_budget_yuan) if challenge.pilot_budget_fen is not None else "",
        "race_milestones": [{"title": m.title, "due_days": m.due_days, "evidence": m.evidence}
                            for m in challenge.race_milestones],
        "rounds": [{"name": r.name, "aggregation": r.aggregation.value, "advance_top": r.advance_top,
                    "advance_threshold": str(r.advance_threshold) if r.advance_threshold is not None else "",
                    "blind": r.blind, "min_panel": r.min_panel,
                    "tie_break": r.tie_break_criterion.name if r.tie_break_position else "",
                    "normalise": r.normalise,
                    "criteria": [{"name": c.name, "description": c.description, "weight": c.weight,
                                  "max_points": c.max_points, "kind": c.kind,
                                  "formula": json.dumps(c.formula, ensure_ascii=False) if c.formula else "",
                                  "guidance": guidance_text(c.guidance)} for c in r.criteria]} for r in challenge.rounds],
        "template_version_id": next((r.template_id for r in challenge.rounds if r.template_id), None) or "",
    }


def _plan_values(form):
    """The form's values, the plan marked with the template version it was copied from, if any."""
    values = form.values()
    version = templates.get_version(form.template_version_id.data)
    if version is not None:
        templates.tag_plan(values["rounds"], version)
    return values


def _plan_start():
    """A new challenge's starting plan: ?template=<id> (the template's current version) or
    ?from=<challenge id> (one of this department's earlier challenges, copied)."""
    if request.args.get("template", "").isdigit():
        try:
            template = templates.get_current(int(request.args["template"]))
        except NotFound:
            abort(404)
        return {"rounds": plan_form_data(template.rounds), "template_version_id": template.id}, template.name
    if request.args.get("from", "").isdigit():
        earlier = db.session.get(Challenge, int(request.args["from"]))
        if earlier is None or not permissions.is_owner_department(current_user, earlier):
            abort(404)
        return {"rounds": plan_form_data(templates.challenge_plan_json(earlier))}, f"榜单“{earlier.title}”"
    return None, None


def _plan_choices():
    earlier = db.session.scalars(sa.select(Challenge).where(Challenge.department_id == current_user.organisation_id)
                                 .order_by(Challenge.id.desc()).limit(50)).all()
    return {"plan_templates": templates.current_templates(), "earlier_challenges": earlier}


def _after_plan_action(form_cls, **kwargs):
    """A plan button was pressed (no JavaScript): rebuild the form with the rows changed, nothing saved."""
    typed = form_cls(**kwargs)
    data = {k: v for k, v in typed.data.items() if k != "csrf_token"}
    message = apply_plan_action(data, request.form.get("plan_action"))
    form = form_cls(formdata=None, data=data, **kwargs)
    if message:
        flash(f"{message}（尚未保存）", "info")
    return form


def _save(form, challenge=None):
    """Create or update; None with the reason on the form (at its fields or its top) if refused."""
    def save():
        if challenge is None:
            return ops.create_challenge(current_user, _plan_values(form))
        ops.update_challenge(current_user, challenge, _plan_values(form))
        return challenge

    saved, refused = run_form(form, save)
    form.refusal_status = refused
    return saved


@bp.route("/challenges/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_create_challenge(current_user))
    started_from = None
    if request.method == "POST" and request.form.get("plan_action"):
        form = _after_plan_action(ChallengeForm)
        return render_template("challenges/form.html", form=_pad(form), challenge=None, **_plan_choices())
    if request.form.get("add_race_row"):
        return render_template("challenges/form.html", form=_pad(ChallengeForm(), 1), challenge=None,
                               **_plan_choices())
    if request.method == "GET":
        data, started_from = _plan_start()
        form = ChallengeForm(data=data) if data else ChallengeForm()
    else:
        form = ChallengeForm()
    if form.validate_on_submit():
        challenge = _save(form)
        if challenge is not None:
            flash("榜单草稿已保存。请预览后提交平台审核。", "success")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return (render_template("challenges/form.html", form=_pad(form), challenge=None, started_from=started_from,
                            **_plan_choices()), getattr(form, "refusal_status", None) or (422 if form.errors else 200))


@bp.route("/challenges/<int:challenge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(challenge_id):
    challenge = _visible_challenge(challenge_id)
    require(permissions.is_owner_department(current_user, challenge))
    if challenge.state != ChallengeState.draft:
        message = f"榜单状态为“{challenge.state.label}”，只有草稿可以修改"
        if request.method == "POST" and not request.form.get("plan_action"):
            # Submitted for review by a colleague while this was being edited: the edits come
            # back with the reason, to copy into a later draft, rather than being dropped.
            form = ChallengeForm()
            form.form_errors = [message]
            return render_template("challenges/form.html", form=_pad(form), challenge=challenge), 409
        flash(message, "warning")
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    if request.method == "POST" and request.form.get("plan_action"):
        form = _after_plan_action(ChallengeForm)
        return render_template("challenges/form.html", form=_pad(form), challenge=challenge)
    form = ChallengeForm() if request.method == "POST" else ChallengeForm(data=_form_data(challenge))
    if request.form.get("add_race_row"):
        return render_template("challenges/form.html", form=_pad(form, 1), challenge=challenge)
    if form.validate_on_submit() and _save(form, challenge) is not None:
        flash("榜单已保存", "success")
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("challenges/form.html", form=_pad(form), challenge=challenge), \
        getattr(form, "refusal_status", None) or (422 if form.errors else 200)


@bp.get("/dept/challenges")
@login_required
def department_list():
    require_role("department")
    status = request.args.get("status")
    page = paginate(queries.department_query(current_user.organisation_id, status))
    ids = [c.id for c in page.items]
    # Entry counts only for challenges past their deadline: before it the entries are sealed.
    unsealed = [c.id for c in page.items if c.state in AFTER_DEADLINE_STATES]
    return render_template("challenges/department_list.html", page=page, status=status, states=ChallengeState,
                           entry_counts=submission_queries.live_counts(unsealed), unsealed=set(unsealed),
                           unanswered=queries.unanswered_counts(ids))


def _redirect_detail(challenge, anchor=None):
    return redirect(url_for("challenges.detail", challenge_id=challenge.id) + (f"#{anchor}" if anchor else ""))


def _run(challenge, fn, success, anchor=None):
    """Run one operation for a POST button and come back to the challenge page."""
    commit_and_flash(fn, success)
    return _redirect_detail(challenge, anchor)


@bp.post("/challenges/<int:challenge_id>/submit-for-review")
@login_required
def submit_for_review(challenge_id):
    challenge = _visible_challenge(challenge_id)
    require(permissions.can_manage_challenge(current_user, challenge))
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _run(challenge, lambda: ops.submit_for_review(current_user, challenge), "已提交平台审核")


@bp.post("/challenges/<int:challenge_id>/approve")
@login_required
def approve(challenge_id):
    challenge = _visible_challenge(challenge_id)
    require(permissions.can_review_challenge(current_user, challenge))
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _run(challenge, lambda: ops.approve_challenge(current_user, challenge), "榜单已审核通过并公开发布")


def _form_action(challenge, form, operation, success, *, anchor=None, form_name, **extra):
    """A form on the challenge page: done → back to the page with `success`; refused (a field
    error, the state moved on meanwhile) → the page again with this form keeping what was typed
    and the reason at its field or at its top (422, or the refusal's own status)."""
    if form.validate_on_submit():
        _, refused = run_form(form, operation)
        if refused is None:
            flash(success, "success")
            return _redirect_detail(challenge, anchor)
    else:
        refused = 422
    form.refused = True  # the page shows this form even where the state no longer offers it
    return _render_detail(challenge, refused, **{form_name: form}, **extra)


def _reason_action(challenge_id, allowed, operation, success, form_name):
    challenge = _visible_challenge(challenge_id)
    require(allowed(current_user, challenge))
    form = ChallengeReasonForm()
    return _form_action(challenge, form, lambda: operation(current_user, challenge, reason=form.reason.data),
                        success, form_name=form_name)


@bp.post("/challenges/<int:challenge_id>/return")
@login_required
def return_(challenge_id):
    return _reason_action(challenge_id, permissions.can_review_challenge, ops.return_challenge, "榜单已退回发榜单位",
                          "return_form")


@bp.post("/challenges/<int:challenge_id>/cancel")
@login_required
def cancel(challenge_id):
    return _reason_action(challenge_id, permissions.can_cancel_challenge, ops.cancel_challenge, "榜单已撤销",
                          "cancel_form")


@bp.post("/challenges/<int:challenge_id>/extend")
@login_required
def extend(challenge_id):
    challenge = _visible_challenge(challenge_id)
    require(permissions.can_manage_challenge(current_user, challenge))
    form = ExtendForm()
    return _form_action(challenge, form, lambda: ops.extend_deadline(current_user, challenge, deadline=form.deadline.parsed),
                        "截止时间已延长，已通知关注和揭榜的服务商", form_name="extend_form")


@bp.post("/challenges/<int:challenge_id>/<any(follow, unfollow):action>")
@login_required
def follow(challenge_id, action):
    challenge = _visible_challenge(challenge_id)
    if EmptyForm().validate_on_submit():
        commit_and_flash(lambda: ops.follow_challenge(current_user, challenge, follow=action == "follow"),
                         "已关注，答疑和截止时间变化会通知您" if action == "follow" else "已取消关注")
    return _redirect_detail(challenge)


@bp.post("/challenges/<int:challenge_id>/questions")
@login_required
def ask(challenge_id):
    challenge = _visible_challenge(challenge_id)
    form = QuestionForm()
    return _form_action(challenge, form, lambda: ops.ask_question(current_user, challenge, text=form.text.data),
                        "问题已提交，发榜单位答复后将公开（不显示提问单位）", anchor="clarifications",
                        form_name="question_form")


@bp.post("/questions/<int:question_id>/answer")
@login_required
def answer(question_id):
    question = get_or_404(Question, question_id)
    challenge = question.challenge
    require(permissions.can_manage_challenge(current_user, challenge), hide=not permissions.can_view_challenge(current_user, challenge))
    form = AnswerForm()
    return _form_action(challenge, form, lambda: ops.answer_question(current_user, question, text=form.text.data),
                        "答复已发布", anchor="clarifications", form_name="answer_form", answer_for=question.id,
                        answer_question=question)


@bp.post("/challenges/<int:challenge_id>/attachments")
@login_required
def attach(challenge_id):
    challenge = _visible_challenge(challenge_id)
    require(permissions.is_owner_department(current_user, challenge))
    form = UploadForm()
    if not form.validate_on_submit():
        flash(errors_text(form), "danger")
        return _redirect_detail(challenge, "attachments")
    return _run(challenge, lambda: ops.attach_document(current_user, challenge, form.file.data),
                "附件已上传", "attachments")


@bp.post("/challenges/<int:challenge_id>/attachments/<int:file_id>/remove")
@login_required
def remove_attachment(challenge_id, file_id):
    challenge = _visible_challenge(challenge_id)
    require(permissions.is_owner_department(current_user, challenge))
    stored = get_or_404(StoredFile, file_id)
    if stored.owner_type != "challenge" or stored.owner_id != challenge.id or stored.removed_at is not None:
        raise NotFound()
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _run(challenge, lambda: ops.remove_document(current_user, challenge, stored), "附件已删除", "attachments")


# --- admin ----------------------------------------------------------------------------------

@bp.get("/admin/challenges")
@login_required
def admin_list():
    require_role("admin")
    args = request.args.to_dict()
    args.setdefault("status", "pending_review")
    if args["status"] == "all":
        args.pop("status")
    filters = queries.ChallengeFilters.from_args(_Args(args), public=False)
    page = paginate(queries.listing_query(filters, list(ChallengeState)).order_by(None)
                    .order_by(Challenge.updated_at.desc(), Challenge.id.desc()))
    return render_template("challenges/admin_list.html", page=page, filters=filters, states=ChallengeState,
                           status=request.args.get("status", "pending_review"), departments=_departments())


class _Args(dict):
    def get(self, key, default=None, type=None):  # noqa: A002 - mirrors werkzeug's MultiDict.get
        value = super().get(key, default)
        if type is not None and value is not None:
            try:
                return type(value)
            except (TypeError, ValueError):
                return default
        return value
