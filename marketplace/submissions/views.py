from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.audit.documents import issue_document
from marketplace.challenges import permissions as challenge_permissions
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import AFTER_DEADLINE_STATES
from marketplace.core.db import utcnow
from marketplace.core.errors import NotFound
from marketplace.core.forms import KEPT_ON_FORM, EmptyForm, run_form
from marketplace.core.pdf import pdf_response, render_pdf
from marketplace.core.permissions import get_or_404, require, require_role
from marketplace.core.timeutil import isoformat
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
    metric_errors = {}
    status = 200
    if problems and form.is_submitted():
        status = 403  # e.g. suspended while typing: the form comes back with the text, not a bare page
    elif not problems and form.validate_on_submit():
        submission, refused = run_form(form, lambda: _submit(challenge, form))
        if refused is None:
            flash(f"方案已提交。回执编号 {submission.entry_number}，第 1 版。", "success")
            return redirect(url_for("submissions.detail", submission_id=submission.id))
        metric_errors, status = _metric_errors(form), refused
    elif form.errors:
        status = 422
    return render_template("submissions/form.html", form=form, challenge=challenge, submission=None,
                           problems=problems, blind_warning=_has_blind_round(challenge),
                           **_metric_context(challenge, None, metric_errors)), status


def _submit(challenge, form):
    submission, _ = ops.submit_entry(current_user, challenge, **form.values())
    _declare_metrics(submission)
    return submission


# Metric criteria (issue 13): the provider declares the values the plan scores (e.g. designed PUE).

def _declare_metrics(submission):
    from marketplace.review import operations as review_ops

    criteria = review_ops.metric_criteria(submission.challenge)
    if criteria:
        review_ops.declare_metrics(current_user, submission,
                                   {c.id: request.form.get(f"metric-{c.id}", "").strip() for c in criteria})


def _metric_errors(form):
    """The declared metrics' errors, which place_refusal put at the top of the form: at their
    inputs instead ({criterion id: message})."""
    found = getattr(form, "refused_fields", {}) or {}
    errors = {int(k.split(".", 1)[1]): v for k, v in found.items()
              if k.startswith("metrics.") and k.split(".", 1)[1].isdigit()}
    if errors:
        form.form_errors = [e for e in form.form_errors if e not in errors.values()]
    return errors


def _metric_context(challenge, submission, errors):
    from marketplace.review import operations as review_ops

    criteria = review_ops.metric_criteria(challenge)
    declared = review_ops.declared_metrics(submission) if submission is not None else {}
    typed = {c.id: request.form.get(f"metric-{c.id}", "") for c in criteria} if request.method == "POST" else declared
    return {"metric_criteria": criteria, "metric_values": typed, "metric_errors": errors}


def _has_blind_round(challenge):
    return any(r.blind for r in challenge.rounds)


def _render_detail(submission, upload_form=None, status=200):
    owner = permissions.is_owner(current_user, submission)
    from marketplace.notices.queries import entry_stage
    from marketplace.review.queries import own_results

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
    metric_errors = {}
    status = 200
    if delisted is not None and form.is_submitted():
        status = 403
    elif delisted is None and form.validate_on_submit():
        version, refused = run_form(form, lambda: _update(submission, form))
        if refused is None:
            flash(f"方案已更新为第 {version.version} 版，回执已生成。", "success")
            return redirect(url_for("submissions.detail", submission_id=submission.id))
        # e.g. 没有修改 (422), or the deadline passed a second ago (409): said at the top of the
        # form, and every typed word is still in it.
        metric_errors, status = _metric_errors(form), refused
    elif form.errors:
        status = 422
    problems = [f"{delisted}，不能再修改方案；截止时本方案不计入有效方案"] if delisted else []
    return render_template("submissions/form.html", form=form, challenge=submission.challenge,
                           submission=submission, problems=problems,
                           blind_warning=_has_blind_round(submission.challenge),
                           **_metric_context(submission.challenge, submission, metric_errors)), status


def _update(submission, form):
    _, version = ops.update_entry(current_user, submission, **form.values())
    _declare_metrics(submission)
    return version


def _button(submission, operation):
    """A button on the entry page (withdraw, remove a file): run and commit; refused (the deadline
    passed meanwhile …) → the entry page again with the reason, not a bare error page."""
    try:
        operation()
        db.session.commit()
    except KEPT_ON_FORM as exc:
        db.session.rollback()
        db.session.expire_all()
        flash(exc.message, "danger")
        return _render_detail(submission, status=exc.status)
    return None


@bp.post("/submissions/<int:submission_id>/withdraw")
@login_required
def withdraw(submission_id):
    submission = _submission(submission_id)
    require(permissions.can_change_submission(current_user, submission))
    if not EmptyForm().validate_on_submit():
        abort(400)
    refused = _button(submission, lambda: ops.withdraw_entry(current_user, submission))
    if refused is not None:
        return refused
    flash("方案已撤回。截止前可以重新提交。", "success")
    return redirect(url_for("challenges.detail", challenge_id=submission.challenge_id))


@bp.post("/submissions/<int:submission_id>/attachments")
@login_required
def attach(submission_id):
    submission = _submission(submission_id)
    require(permissions.can_change_submission(current_user, submission))
    form = UploadForm()
    status = 422
    if form.validate_on_submit():
        try:
            stored, version = ops.attach_file(current_user, submission, form.file.data)
            db.session.commit()
        except KEPT_ON_FORM as exc:
            db.session.rollback()
            form.file.errors = list(exc.fields.values()) or [exc.message]
            status = exc.status
        else:
            flash(f"附件“{stored.name}”已上传（SHA-256 {stored.sha256[:16]}…），方案更新为第 {version.version} 版。", "success")
            return redirect(url_for("submissions.detail", submission_id=submission.id))
    # The refusal is shown at the file field, on the entry's page.
    return _render_detail(submission, upload_form=form, status=status)


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
    versions = []
    refused = _button(submission, lambda: versions.append(ops.remove_attachment(current_user, submission, stored)))
    if refused is not None:
        return refused
    flash(f"附件已删除，方案更新为第 {versions[0].version} 版。", "success")
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


CHANGE_LABELS = {"created": "首次提交", "edited": "修改", "file_added": "上传附件", "file_removed": "删除附件",
                 "withdrawn": "撤回"}


def _own_version(submission_id, number):
    """The provider's own entry at one of its versions; everyone else gets a 404 (sealed)."""
    submission = _submission(submission_id)
    if not permissions.is_owner(current_user, submission):
        raise NotFound()
    version = next((v for v in submission.versions if v.version == number), None)
    if version is None:
        raise NotFound()
    return submission, version


@bp.get("/submissions/<int:submission_id>/versions/<int:number>")
@login_required
def version(submission_id, number):
    """An earlier version exactly as it was received, with that version's receipt."""
    submission, version = _own_version(submission_id, number)
    return render_template("submissions/version.html", submission=submission, challenge=submission.challenge,
                           version=version, receipt=ops.receipt(submission, version),
                           change_label=CHANGE_LABELS.get(version.change, version.change))


@bp.get("/submissions/<int:submission_id>/versions/<int:number>/receipt.pdf")
@login_required
def receipt_pdf(submission_id, number):
    submission, version = _own_version(submission_id, number)
    receipt = ops.receipt(submission, version)
    content = {
        "document": "receipt", "entry_number": receipt["entry_number"], "version": version.version,
        "challenge": submission.challenge.title, "provider": submission.provider.name,
        "received_at": isoformat(version.created_at), "price_fen": version.price_fen,
        "files": [{"name": f["name"], "sha256": f["sha256"]} for f in version.files],
    }
    sha256 = issue_document(current_user, "receipt", submission, content)
    db.session.commit()
    pdf = render_pdf("pdf/receipt.html", submission=submission, challenge=submission.challenge, version=version,
                     receipt=receipt, change_label=CHANGE_LABELS.get(version.change, version.change),
                     sha256=sha256, issued_at=utcnow())
    return pdf_response(pdf, f"揭榜回执-{receipt['entry_number']}-第{version.version}版.pdf")
