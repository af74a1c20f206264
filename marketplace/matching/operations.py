"""Invitations (邀请揭榜): a department invites recommended providers to its published challenge."""

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, Role
from marketplace.audit.operations import record
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.matching import events
from marketplace.matching.models import Invitation
from marketplace.matching.queries import eligible_listings
from marketplace.matching.states import INVITATION_MACHINE, InvitationState

MAX_PER_REQUEST = 50


def invite_providers(actor, challenge, provider_org_ids):
    """The owning department invites providers that could take its published challenge; each
    is told once. Inviting one already invited changes nothing; an ineligible one is refused by
    name. Returns the new invitations."""
    if actor.role != Role.department or actor.organisation_id != challenge.department_id:
        raise NotAllowed("只有发榜单位可以邀请服务商")
    if challenge.state != ChallengeState.published or challenge.deadline <= utcnow():
        raise Conflict("只有已发布且未截止的榜单可以邀请服务商")
    ids = list(dict.fromkeys(int(i) for i in provider_org_ids))
    if not ids:
        raise ValidationFailed(fields={"provider_org_ids": "请至少选择一家服务商"})
    if len(ids) > MAX_PER_REQUEST:
        raise ValidationFailed(fields={"provider_org_ids": f"一次最多邀请 {MAX_PER_REQUEST} 家服务商"})
    eligible = {app.organisation_id for app in eligible_listings(challenge)}
    for org_id in ids:
        if org_id not in eligible:
            org = db.session.get(Organisation, org_id)
            name = org.name if org is not None else f"编号 {org_id}"
            raise ValidationFailed(fields={"provider_org_ids": f"“{name}”不符合本榜单的揭榜条件，不能邀请"})
    already = set(db.session.scalars(sa.select(Invitation.provider_id).where(
        Invitation.challenge_id == challenge.id, Invitation.provider_id.in_(ids))))
    created = []
    for org_id in ids:
        if org_id in already:
            continue
        invitation = Invitation(challenge_id=challenge.id, provider_id=org_id, invited_by_id=actor.id,
                                state=InvitationState.invited)
        db.session.add(invitation)
        db.session.flush()
        record(actor, "invitation.create", invitation, after={"challenge_id": challenge.id, "provider_id": org_id})
        events.provider_invited.send(invitation, actor=actor)
        created.append(invitation)
    return created


def open_invitation(actor, invitation):
    """A user of the invited provider opens the invitation: the department sees it was read."""
    if actor.role != Role.provider or actor.organisation_id != invitation.provider_id:
        raise NotAllowed()
    if invitation.state != InvitationState.invited:
        return invitation
    before = {"state": invitation.state}
    invitation.state = INVITATION_MACHINE.target(invitation.state, "open")
    invitation.opened_at = utcnow()
    db.session.flush()
    record(actor, "invitation.open", invitation, before=before, after={"state": invitation.state})
    return invitation
