"""Who may see the 推荐服务商 panel and invite, and whose invitations are whose."""

from marketplace.accounts.models import Role
from marketplace.challenges.states import ChallengeState
from marketplace.core.permissions import is_admin
from marketplace.core.permissions import is_authenticated as _auth

# The panel makes sense once the challenge is public: matching a draft would recommend to
# nobody, and after the deadline nobody can enter any more.
PANEL_STATES = (ChallengeState.published,)


def owns(user, challenge):
    return _auth(user) and user.role == Role.department and user.organisation_id == challenge.department_id


def can_view_matches(user, challenge):
    return (owns(user, challenge) or is_admin(user)) and challenge.state in PANEL_STATES


def can_invite(user, challenge):
    return owns(user, challenge) and challenge.state == ChallengeState.published


def can_view_recommendations(user):
    return _auth(user) and user.role == Role.provider and user.organisation_id is not None


def can_view_invitation(user, invitation):
    if not _auth(user):
        return False
    if user.role == Role.provider:
        return user.organisation_id == invitation.provider_id
    return is_admin(user) or owns(user, invitation.challenge)
