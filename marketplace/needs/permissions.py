"""Who may see and do what with a need. Hidden needs answer 404 (require(..., hide=True))."""

from marketplace.accounts.models import Role
from marketplace.core.permissions import is_admin
from marketplace.core.permissions import is_authenticated as _auth
from marketplace.needs.operations import can_convert
from marketplace.needs.states import NeedState


def _department_org(user):
    return user.organisation_id if _auth(user) and user.role == Role.department else None


def is_submitter(user, need):
    return _department_org(user) is not None and _department_org(user) == need.submitter_id


def is_assignee(user, need):
    return _department_org(user) is not None and _department_org(user) == need.assignee_id


def can_submit_need(user):
    return _department_org(user) is not None


def can_view_need(user, need):
    """Published needs are public; otherwise the office, the submitting and the responsible unit,
    and the units whose duplicate was merged into it."""
    if need.is_public or is_admin(user) or is_submitter(user, need) or is_assignee(user, need):
        return True
    org = _department_org(user)
    return org is not None and any(m.submitter_id == org for m in need.merged_needs)


def can_see_feedback(user, need):
    """The office's written feedback goes to the submitting unit (and the responsible one)."""
    return is_admin(user) or is_submitter(user, need) or is_assignee(user, need)


def can_see_triage_note(user, need=None):
    return is_admin(user)


def can_edit_need(user, need):
    return is_submitter(user, need) and need.state == NeedState.returned


def can_triage(user, need=None):
    return is_admin(user)


def can_convert_need(user, need):
    return can_convert(user, need) if _auth(user) else False


def can_view_batch(user, batch):
    return batch.is_published or is_admin(user)
