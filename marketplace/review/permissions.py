"""Who sees what during evaluation. Nobody sees another evaluator's scores before the round closes."""

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.core.permissions import is_authenticated as _auth
from marketplace.extensions import db
from marketplace.review.states import RoundStatus


def is_department_of(user, challenge):
    return _auth(user) and user.role == Role.department and user.organisation_id == challenge.department_id


def evaluator_access(user, submission):
    """(may see, blind) for an evaluator: a declared member of an OPEN round containing the
    entry, without a conflict with its provider."""
    from marketplace.review.models import PanelMember, RoundEntry
    from marketplace.review.operations import _conflicted

    if not _auth(user) or user.role != Role.evaluator:
        return False, False
    rows = db.session.execute(
        sa.select(PanelMember, RoundEntry).join(RoundEntry, RoundEntry.round_id == PanelMember.round_id)
        .where(PanelMember.evaluator_id == user.id, RoundEntry.submission_id == submission.id)
    ).all()
    for member, _entry in rows:
        round_ = member.round
        if round_.status == RoundStatus.open and member.declared_at is not None and \
                not _conflicted(member, submission.provider_id):
            return True, round_.blind
    return False, False
