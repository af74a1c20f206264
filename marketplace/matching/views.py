"""Pages of 供需对接: the department's 推荐服务商 panel with its invitations, the provider's
为我推荐 list and its invitations."""

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from marketplace.challenges.models import Challenge
from marketplace.core.errors import NotFound
from marketplace.core.forms import commit_and_flash, errors_text
from marketplace.core.permissions import require
from marketplace.extensions import db
from marketplace.matching import bp, permissions, queries
from marketplace.matching import operations as ops
from marketplace.matching.forms import InviteForm
from marketplace.matching.models import Invitation


def _challenge(challenge_id):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not permissions.can_view_matches(current_user, challenge):
        raise NotFound()
    return challenge


@bp.get("/challenges/<int:challenge_id>/matches")
@login_required
def panel(challenge_id):
    challenge = _challenge(challenge_id)
    invitations = queries.invitations_of_challenge(challenge)
    invited = {inv.provider_id for inv, _ in invitations}
    return render_template("matching/panel.html", challenge=challenge, matches=queries.matches(challenge),
                           invitations=invitations, invited=invited, form=InviteForm(),
                           can_invite=permissions.can_invite(current_user, challenge))


@bp.post("/challenges/<int:challenge_id>/invitations")
@login_required
def invite(challenge_id):
    challenge = _challenge(challenge_id)
    require(permissions.can_invite(current_user, challenge))
    form = InviteForm()
    if not form.validate_on_submit():
        from flask import flash

        flash(errors_text(form) or "请至少选择一家服务商", "danger")
        return redirect(url_for("matching.panel", challenge_id=challenge.id))
    commit_and_flash(lambda: ops.invite_providers(current_user, challenge, form.provider_org_ids.data),
                     lambda created: f"已邀请 {len(created)} 家服务商，对方会收到通知。" if created
                     else "所选服务商都已邀请过。")
    return redirect(url_for("matching.panel", challenge_id=challenge.id))


@bp.get("/me/recommendations")
@login_required
def recommendations():
    require(permissions.can_view_recommendations(current_user))
    return render_template("matching/recommendations.html",
                           items=queries.recommendations(current_user.organisation_id),
                           invitations=queries.invitations_of_provider(current_user.organisation_id))


@bp.get("/invitations/<int:invitation_id>")
@login_required
def open_invitation(invitation_id):
    """The link in the invitation's notification: a provider opening it is seen by the department."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not permissions.can_view_invitation(current_user, invitation):
        raise NotFound()
    if current_user.role.value == "provider":
        ops.open_invitation(current_user, invitation)
        db.session.commit()
    return redirect(url_for("challenges.detail", challenge_id=invitation.challenge_id))
