"""Who may see and do what with a challenge."""

from marketplace.accounts.models import Role
from marketplace.challenges.states import PUBLIC_STATES
from marketplace.core.permissions import is_admin
from marketplace.core.permissions import is_authenticated as _auth


def is_owner_department(user, challenge):
    return _auth(user) and user.role == Role.department and user.organisation_id == challenge.department_id


def can_view_challenge(user, challenge):
    return challenge.state in PUBLIC_STATES or is_admin(user) or is_owner_department(user, challenge)


def can_create_challenge(user):
    return _auth(user) and user.role == Role.department and user.organisation_id is not None


def can_manage_challenge(user, challenge):
    """Submit for review, answer questions, extend, cancel: the owning department."""
    return is_owner_department(user, challenge)


def can_review_challenge(user, challenge=None):
    return is_admin(user)


def can_cancel_challenge(user, challenge):
    return is_owner_department(user, challenge) or is_admin(user)


def can_see_submission_count(user, challenge):
    """Before the deadline only the department and admin see how many entries arrived."""
    from marketplace.challenges.states import AFTER_DEADLINE_STATES

    return challenge.state in AFTER_DEADLINE_STATES or is_admin(user) or is_owner_department(user, challenge)


def can_read_challenge_file(user, stored) -> bool:
    from marketplace.challenges.models import Challenge
    from marketplace.extensions import db

    owner = db.session.get(Challenge, stored.owner_id)
    return owner is not None and stored.removed_at is None and can_view_challenge(user, owner)
