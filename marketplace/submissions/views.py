from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from marketplace.challenges import permissions as challenge_permissions
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import AFTER_DEADLINE_STATES
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.forms import EmptyForm, apply_field_errors
from marketplace.core.permissions import get_or_404, require, require_role
from marketplace.extensions import db
from marketplace.files import operations as file_ops
from marketplace.files.models import StoredFile
from marketplace.submissions import bp, permissions
from marketplace.submissions import operations as ops
from marketplace.submissions.forms import SubmissionForm, UploadForm
from marketplace.submissions.models import Submission


def _challenge(challenge_id):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not challenge_permissions.can_view_challenge(current_user, challenge):
        raise NotFound()
    return challenge


def _submission(submission_id):
    """404 unless the caller may see it: a sealed entry's existence is never revealed."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or not permissions.can_view_submission(current_user, submission):
        raise NotFound()
    return submission


@bp.route("/challenges/<int:challenge_id>/submit", methods=["GET", "POST"])
@login_required
def new(challenge_id):
    require_role("provider")
    challenge = _challenge(challenge_id)
    existing = ops.own_submission(current_user, challenge)
    if existing is not None:
        flash("贵单位已提交方案，可在此修改或撤回", "info")
        return redirect(url_for("submissions.detail", submission_id=existing.id))
    problems = ops.eligibility_problems(current_user, challenge)
    form = SubmissionForm()
    if not problems and form.validate_on_submit():
        try:
            submission, _ = ops.submit_entry(current_user, challenge, **form.values())
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        else:
            flash(f"方案已提交。回执编号 {submission.entry_number}，第 1 版。", "success")
            return redirect(url_for("submissions.detail", submission_id=submission.id))
    status = 422 if form.errors else 200
    return render_template("submissions/form.html", form=form, challenge=challenge, submission=None,
                           problems=problems, blind_warning=_has_blind_round(challenge)), status


def _has_blind_round(challenge):
    return any(r.blind for r in challenge.rounds)


def _render_detail(submission, upload_form=None, status=200):
    owner = permissions.is_owner(current_user, submission)
    from marketplace.review.queries import entry_stage, own_results

    open_ = submission.state.value == "submitted" and submission.challenge.state.value == "published"
    delisted = ops.delisted_reason(submission.provider_id) if owner and open_ else None
    return render_template(
        "submissions/detail.html", submission=submission, challenge=submission.challenge, owner=owner,
        blind=permissions.hides_provider(current_user, submission),
        stage=entry_stage(submission) if owner and submission.state.value != "excluded" else None,
        own_results=own_results(submission) if owner else [],
        receipt=ops.receipt(submission), files=file_ops.live_files(ops.OWNER_TYPE, submission.id),
        can_change=owner and open_ and delisted is None, can_withdraw=owner and open_, delisted=delisted,
        action_form=EmptyForm(), upload_form=upload_form or UploadForm()), status


@bp.get("/submissions/<int:submission_id>")
@login_required
def detail(submission_id):
    return _render_detail(_submission(submission_id))


@bp.route("/submissions/<int:submission_id>/edit", methods=["GET", "POST"])
@login_required
def edit(submission_id):
    submission = _submission(submission_id)
    require(permissions.can_change_submission(current_user, submission))
    form = SubmissionForm(obj=submission)
    if not form.is_submitted():
        form.price_yuan.data = str(submission.price_yuan)
    delisted = ops.delisted_reason(submission.provider_id) if submission.state.value == "submitted" else None
    form_error = None
    if delisted is None and form.validate_on_submit():
        try:
            _, version = ops.update_entry(current_user, submission, **form.values())
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            if not apply_field_errors(form, exc):
                form_error = exc.message  # e.g. 没有修改: about the form as a whole, said at its top
        else:
            flash(f"方案已更新为第 {version.version} 版，回执已生成。", "success")
            return redirect(url_for("submissions.detail", submission_id=submission.id))
    problems = [f"{delisted}，不能再修改方案；截止时本方案不计入有效方案"] if delisted else []
    status = 422 if form.errors or form_error else (403 if delisted and form.is_submitted() else 200)
    return render_template("submissions/form.html", form=form, challenge=submission.challenge,
                           submission=submission, problems=problems, form_error=form_error,
                           blind_warning=_has_blind_round(submission.challenge)), status


@bp.post("/submissions/<int:submission_id>/withdraw")
@login_required
def withdraw(submission_id):
    submission = _submission(submission_id)
    require(permissions.can_change_submission(current_user, submission))
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.withdraw_entry(current_user, submission)
    db.session.commit()
    flash("方案已撤回。截止前可以重新提交。", "success")
    return redirect(url_for("challenges.detail", challenge_id=submission.challenge_id))


@bp.post("/submissions/<int:submission_id>/attachments")
@login_required
def attach(submission_id):
    submission = _submission(submission_id)
    require(permissions.can_change_submission(current_user, submission))
    form = UploadForm()
    if form.validate_on_submit():
        try:
            stored, version = ops.attach_file(current_user, submission, form.file.data)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            if not apply_field_errors(form, exc):
                form.file.errors = [exc.message]
        else:
            flash(f"附件“{stored.name}”已上传（SHA-256 {stored.sha256[:16]}…），方案更新为第 {version.version} 版。", "success")
            return redirect(url_for("submissions.detail", submission_id=submission.id))
    # The refusal is shown at the file field, on the entry's page.
    return _render_detail(submission, upload_form=form, status=422)


@bp.post("/submissions/<int:submission_id>/attachments/<int:file_id>/remove")
@login_required
def remove_attachment(submission_id, file_id):
    submission = _submission(submission_id)
    require(permissions.can_change_submission(current_user, submission))
    stored = get_or_404(StoredFile, file_id)
    if stored.owner_type != ops.OWNER_TYPE or stored.owner_id != submission.id or stored.removed_at is not None:
        raise NotFound()
    if not EmptyForm().validate_on_submit():
        abort(400)
    version = ops.remove_attachment(current_user, submission, stored)
    db.session.commit()
    flash(f"附件已删除，方案更新为第 {version.version} 版。", "success")
    return redirect(url_for("submissions.detail", submission_id=submission.id))


@bp.get("/my/submissions")
@login_required
def mine():
    require_role("provider")
    return render_template("submissions/mine.html", submissions=ops.provider_submissions(current_user.organisation_id))


@bp.get("/challenges/<int:challenge_id>/submissions")
@login_required
def for_challenge(challenge_id):
    """After the deadline the department and admin read the entries; before it, only the count."""
    challenge = _challenge(challenge_id)
    require(challenge_permissions.is_admin(current_user) or challenge_permissions.is_owner_department(current_user, challenge))
    if challenge.state not in AFTER_DEADLINE_STATES:
        flash("揭榜截止前方案密封，只能看到数量", "info")
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("submissions/for_challenge.html", challenge=challenge,
                           submissions=ops.challenge_submissions(challenge))
