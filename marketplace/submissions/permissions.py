"""Sealed entries: before the deadline only the submitting provider's users see an entry.

After the deadline the admin and the owning department may read it; evaluators only through
their review rounds (the evaluation area adds that rule). Everyone else gets a 404.
"""

from marketplace.accounts.models import Role
from marketplace.challenges.states import AFTER_DEADLINE_STATES
from marketplace.core.permissions import is_authenticated as _auth
from marketplace.extensions import db

# The evaluation area sits above this one and adds the evaluators' rule at app start
# (marketplace/workflow.py): (may see, blind) for a user and an entry. Until then, nobody.
_EVALUATOR_ACCESS = [lambda user, submission: (False, False)]


def register_evaluator_access(rule):
    _EVALUATOR_ACCESS[0] = rule


def evaluator_access(user, submission):
    return _EVALUATOR_ACCESS[0](user, submission)


def is_owner(user, submission):
    return _auth(user) and user.role == Role.provider and user.organisation_id == submission.provider_id


def unsealed(submission) -> bool:
    return submission.challenge.state in AFTER_DEADLINE_STATES


def can_view_submission(user, submission):
    if is_owner(user, submission):
        return True
    if not _auth(user) or not unsealed(submission):
        return False
    if user.role == Role.admin:
        return True
    if user.role == Role.evaluator:
        return evaluator_access(user, submission)[0]
    return user.role == Role.department and user.organisation_id == submission.challenge.department_id


def hides_provider(user, submission) -> bool:
    """In a blind round an evaluator sees neither the provider nor revealing file names."""
    if _auth(user) and user.role == Role.evaluator:
        return evaluator_access(user, submission)[1]
    return False


def can_change_submission(user, submission):
    return is_owner(user, submission)


def can_read_submission_file(user, stored) -> bool:
    from marketplace.submissions.models import Submission

    owner = db.session.get(Submission, stored.owner_id)
    return owner is not None and can_view_submission(user, owner)


def hides_submission_file_name(user, stored) -> bool:
    from marketplace.submissions.models import Submission

    owner = db.session.get(Submission, stored.owner_id)
    return owner is not None and hides_provider(user, owner)
