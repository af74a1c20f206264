import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from marketplace.audit.documents import issue_document
from marketplace.challenges.models import Challenge
from marketplace.challenges.permissions import can_view_challenge, is_admin
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.forms import EmptyForm, commit_and_flash, errors_text, run_form
from marketplace.core.pagination import paginate
from marketplace.core.pdf import pdf_response, render_pdf
from marketplace.core.permissions import get_or_404, require_role
from marketplace.core.timeutil import isoformat
from marketplace.extensions import db
from marketplace.notices import bp
from marketplace.notices import operations as ops
from marketplace.notices.forms import ObjectionForm, ResolveForm, SubstituteForm
from marketplace.notices.models import Notice, Objection
from marketplace.notices.permissions import notice_public
from marketplace.submissions.forms import UploadForm

# Which challenges' notices are public (review.permissions.notice_public), as a query.
NOTICE_STATES = (ChallengeState.notice, ChallengeState.awarded)


def _notice_challenge(challenge_id):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not can_view_challenge(current_user, challenge):
        raise NotFound()
    return challenge


def _attachments(*objection_lists):
    from marketplace.files.operations import live_files

    return {o.id: live_files("objection", o.id) for objections in objection_lists for o in objections}


@bp.get("/challenges/<int:challenge_id>/notice")
def notice(challenge_id):
    return _render_notice(_notice_challenge(challenge_id))


def _render_notice(challenge, status=200, **forms):
    """The notice page; `forms` carries a refused objection_form, or a resolve_form with
    resolve_for=objection id, shown with what was typed and why it was refused."""
    current = ops.current_notice(challenge)
    if current is None or not notice_public(challenge):
        withdrawn = ops.withdrawn_notice(challenge)
        if withdrawn is None:
            raise NotFound()
        # An upheld objection withdrew the notice: say so where people come to look for it.
        return render_template("notices/withdrawn.html", challenge=challenge, notice=withdrawn), status
    user = current_user
    own_objections = []
    if user.is_authenticated and user.organisation_id:
        own_objections = db.session.scalars(sa.select(Objection).where(
            Objection.challenge_id == challenge.id, Objection.provider_id == user.organisation_id)
            .order_by(Objection.id)).all()
    all_objections = db.session.scalars(sa.select(Objection).where(Objection.challenge_id == challenge.id)
                                        .order_by(Objection.id)).all() if is_admin(user) else []
    participating = user.is_authenticated and user.role.value == "provider" and \
        any(r["provider_id"] == user.organisation_id for r in current.ranking) or bool(own_objections)
    history = db.session.scalars(sa.select(Notice).where(Notice.challenge_id == challenge.id,
                                                         Notice.withdrawn_at.is_not(None))).all()
    replaced = _replaced_name(current)
    return render_template("notices/notice.html", challenge=challenge, notice=current, open=ops.notice_open(current),
                           own_objections=own_objections, all_objections=all_objections,
                           can_object=participating and challenge.state.value == "notice" and ops.notice_open(current),
                           action_form=EmptyForm(), upload_form=UploadForm(),
                           attachments=_attachments(own_objections, all_objections),
                           withdrawn=history, last_panel=_last_panel(challenge) if is_admin(user) else [],
                           replaced=replaced, causes=ops.SUBSTITUTE_CAUSES,
                           replaced_ids=ops.replaced_submission_ids(challenge),
                           minimum_end=ops.minimum_notice_end(current),
                           **{"objection_form": ObjectionForm(formdata=None), "resolve_form": ResolveForm(formdata=None),
                              "resolve_for": None, **forms}), status


def _replaced_name(notice):
    """The provider a substitute notice (递补公示) replaces, as the previous notice published it."""
    if notice.replaced_submission_id is None:
        return None
    return next((r["provider_name"] for r in notice.ranking if r["submission_id"] == notice.replaced_submission_id), "")


def _last_panel(challenge):
    from marketplace.review.operations import members

    last = max(challenge.rounds, key=lambda r: r.position, default=None)
    return [m.evaluator for m in members(last)] if last is not None else []


@bp.post("/challenges/<int:challenge_id>/objections")
@login_required
def lodge(challenge_id):
    require_role("provider")
    challenge = _notice_challenge(challenge_id)
    form = ObjectionForm()
    if form.validate_on_submit():
        def lodge_with_evidence():
            objection = ops.lodge_objection(current_user, challenge, reason=form.reason.data)
            if form.file.data:
                ops.attach_to_objection(current_user, objection, form.file.data)

        _, refused = run_form(form, lodge_with_evidence)
        if refused is None:
            flash("异议已提交，平台管理员处理后会通知您", "success")
            return redirect(url_for("notices.notice", challenge_id=challenge.id))
    else:
        refused = 422
    # Refused (no reason, the period ended a second ago …): the reason typed comes back with why.
    form.refused = True
    return _render_notice(challenge, refused, objection_form=form)


@bp.post("/objections/<int:objection_id>/attachments")
@login_required
def attach(objection_id):
    require_role("provider")
    objection = get_or_404(Objection, objection_id)
    if objection.provider_id != current_user.organisation_id:
        raise NotFound()
    form = UploadForm()
    if not form.validate_on_submit():
        flash(errors_text(form), "danger")
    else:
        commit_and_flash(lambda: ops.attach_to_objection(current_user, objection, form.file.data),
                         lambda stored: f"证明材料“{stored.name}”已上传")
    return redirect(url_for("notices.notice", challenge_id=objection.challenge_id))


@bp.post("/objections/<int:objection_id>/resolve")
@login_required
def resolve(objection_id):
    require_role("admin")
    objection = get_or_404(Objection, objection_id)
    form = ResolveForm()
    if form.validate_on_submit():
        resolved, refused = run_form(form, lambda: ops.resolve_objection(
            current_user, objection, decision=form.decision.data, note=form.note.data,
            scope=form.scope.data or None, evaluator_ids=form.evaluator_ids.data or [], panel_note=form.panel_note.data))
    else:
        refused = 422
    if refused is not None:
        return _render_notice(objection.challenge, refused, resolve_form=form, resolve_for=objection.id)
    flash(f"异议已处理：{resolved.state.label}", "success")
    if objection.state.value == "upheld":
        # The notice is withdrawn: the admin goes on where the re-evaluation is run.
        return redirect(url_for("review.manage", challenge_id=objection.challenge_id))
    return redirect(url_for("notices.notice", challenge_id=objection.challenge_id))


@bp.post("/challenges/<int:challenge_id>/finalize")
@login_required
def finalize(challenge_id):
    require_role("admin")
    challenge = _notice_challenge(challenge_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    # Refused (the notice period not over, an objection pending, another admin confirmed first):
    # back on the notice page with the reason.
    commit_and_flash(lambda: ops.finalize(current_user, challenge), "已确认挂帅，项目已进入重点项目库")
    return redirect(url_for("notices.notice", challenge_id=challenge.id))


@bp.route("/challenges/<int:challenge_id>/substitute", methods=["GET", "POST"])
@login_required
def substitute(challenge_id):
    """递补, confirmed on its own page: who withdraws, who is next, and the reason."""
    require_role("admin")
    challenge = _notice_challenge(challenge_id)
    current = ops.current_notice(challenge)
    if challenge.state != ChallengeState.awarded or current is None:
        raise NotFound()
    form = SubstituteForm()
    if form.validate_on_submit():
        try:
            ops.withdraw_winner(current_user, challenge, reason=form.reason.data, cause=form.cause.data or "withdrawn")
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                if name in form:
                    form[name].errors = [message]
        except Conflict as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash("已记录挂帅单位退出，递补公示已发布", "success")
            return redirect(url_for("notices.notice", challenge_id=challenge.id))
    winner = next((r for r in current.ranking if r["submission_id"] == current.winner_submission_id), None)
    candidate = ops.substitute_candidate(challenge, current)
    candidate_row = next((r for r in current.ranking if candidate and r["submission_id"] == candidate.id), None)
    return render_template("notices/substitute.html", challenge=challenge, notice=current, form=form,
                           winner=winner, candidate=candidate_row, causes=ops.SUBSTITUTE_CAUSES)


@bp.get("/challenges/<int:challenge_id>/notice.pdf")
def notice_pdf(challenge_id):
    """The notice as offices file it: issuing office, period "至 … 24:00 止", objection channel."""
    challenge = _notice_challenge(challenge_id)
    current = ops.current_notice(challenge)
    if current is None or not notice_public(challenge):
        raise NotFound()
    winner = next(r for r in current.ranking if r["submission_id"] == current.winner_submission_id)
    content = {
        "document": "notice", "notice_id": current.id, "challenge": challenge.title,
        "issuer": challenge.department.name, "published_at": isoformat(current.published_at),
        "ends_at": isoformat(current.ends_at), "ranking": current.ranking,
        "winner": winner["provider_name"], "awarded": challenge.state.value == "awarded",
        "contact": challenge.contact,
    }
    sha256 = issue_document(current_user, "notice", current, content)
    db.session.commit()
    pdf = render_pdf("pdf/notice.html", challenge=challenge, notice=current, winner=winner, sha256=sha256,
                     issued_at=utcnow(), minimum_end=ops.minimum_notice_end(current),
                     notice_url=url_for("notices.notice", challenge_id=challenge.id, _external=True))
    return pdf_response(pdf, f"结果公示-{challenge.title}.pdf")


@bp.get("/notices")
def index():
    """Every published result notice (公示), newest first: running ones and those that ended in an award."""
    running = sa.select(Notice.id).join(Challenge, Challenge.id == Notice.challenge_id).where(
        Notice.withdrawn_at.is_(None), Notice.superseded_at.is_(None), Challenge.state.in_(NOTICE_STATES))
    pagination = paginate(sa.select(Notice).where(Notice.id.in_(running))
                          .order_by(Notice.published_at.desc(), Notice.id.desc()))
    return render_template("notices/index.html", pagination=pagination, notice_open=ops.notice_open)
