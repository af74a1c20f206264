"""Who may read what of a notice and its objections."""

from marketplace.challenges.states import ChallengeState


def notice_public(challenge) -> bool:
    """The notice (and with it the last round's results) is public while it runs and after the award."""
    return challenge.state in (ChallengeState.notice, ChallengeState.awarded)


def can_read_objection_file(user, stored) -> bool:
    """An objection's evidence: the admin and the objecting provider only (the objector's identity
    is kept confidential)."""
    from marketplace.extensions import db
    from marketplace.notices.models import Objection

    owner = db.session.get(Objection, stored.owner_id)
    return owner is not None and getattr(user, "is_authenticated", False) and (
        user.role.value == "admin" or user.organisation_id == owner.provider_id)
