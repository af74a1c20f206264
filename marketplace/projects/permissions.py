"""Who may see and do what with a project. A project is visible to the admin, to its department,
to its provider and to the evaluators on one of its acceptance panels; to anyone else it does not
exist (404)."""

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.core.permissions import is_admin
from marketplace.core.permissions import is_authenticated as _auth
from marketplace.extensions import db


def is_department(user, project):
    return _auth(user) and user.role == Role.department and user.organisation_id == project.department_id


def is_provider(user, project):
    return (_auth(user) and user.role == Role.provider and project.provider_id is not None
            and user.organisation_id == project.provider_id)


def is_panel_member(user, project):
    if not (_auth(user) and user.role == Role.evaluator):
        return False
    from marketplace.projects.models import Acceptance, AcceptanceMember

    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AcceptanceMember)
        .join(Acceptance, Acceptance.id == AcceptanceMember.acceptance_id)
        .where(Acceptance.project_id == project.id, AcceptanceMember.user_id == user.id)) > 0


def can_view_project(user, project):
    return (is_admin(user) or is_department(user, project) or is_provider(user, project)
            or is_panel_member(user, project))


def can_create_project(user):
    return _auth(user) and user.role == Role.department and user.organisation_id is not None


def can_manage_project(user, project):
    """Documents, milestones, report decisions, payments, convening the acceptance."""
    return is_department(user, project)


def can_approve_gate(user, project):
    from marketplace.projects.states import GATE_ROLES

    roles = GATE_ROLES.get(project.stage, ())
    return (is_department(user, project) and "department" in roles) or (is_admin(user) and "admin" in roles)


def can_request_gate(user, project):
    """申请进入下一阶段: the project's department or its provider."""
    return is_department(user, project) or is_provider(user, project)


def can_upload_document(user, project):
    return is_department(user, project) or is_admin(user)


def can_report_progress(user, project):
    return is_provider(user, project)


def can_see_payments(user, project):
    return is_admin(user) or is_department(user, project) or is_provider(user, project)


def can_record_acceptance(user, project):
    return is_department(user, project) or is_admin(user)


def can_terminate(user, project=None):
    return is_admin(user)


def can_publish_case(user, project=None):
    return is_admin(user)


def can_sign_acceptance(user, acceptance):
    return _auth(user) and user.role == Role.evaluator and any(m.user_id == user.id for m in acceptance.members)


def can_view_acceptance(user, acceptance):
    project = acceptance.project
    return (is_admin(user) or is_department(user, project) or is_provider(user, project)
            or can_sign_acceptance(user, acceptance))


def can_read_project_file(user, stored):
    """Stage documents (owner "project") and progress-report attachments ("progress_report")
    follow their project: never public, even once the project is a published case."""
    from marketplace.projects.models import ProgressReport, Project

    if stored.owner_type == "project":
        project = db.session.get(Project, stored.owner_id)
    else:
        report = db.session.get(ProgressReport, stored.owner_id)
        project = report.project if report is not None else None
    return project is not None and can_view_project(user, project)


def _evidence_access(user, stored):
    """(may read, blind) for an evaluator and a confirmed progress report's attachment of a
    racer's pilot: the entry's evaluator rules (a declared member of an open round containing the
    entry, not conflicted with its provider; blind rounds hide names)."""
    from marketplace.projects.models import ProgressReport
    from marketplace.projects.states import ReportStatus
    from marketplace.submissions.models import Submission
    from marketplace.submissions.permissions import evaluator_access

    if stored.owner_type != "progress_report" or not (_auth(user) and user.role == Role.evaluator):
        return False, False
    report = db.session.get(ProgressReport, stored.owner_id)
    if report is None or report.status != ReportStatus.confirmed or report.project.submission_id is None:
        return False, False
    submission = db.session.get(Submission, report.project.submission_id)
    return evaluator_access(user, submission) if submission is not None else (False, False)


def can_read_pilot_evidence_file(user, stored) -> bool:
    """Pilot evidence (试点佐证) for the mid-term and final rounds: evaluators who may see the
    racer's entry read the attachments of its confirmed progress reports; a conflicted evaluator,
    or one outside an open round, does not (404)."""
    return _evidence_access(user, stored)[0]


def hides_pilot_evidence_file_name(user, stored) -> bool:
    """In a blind round an evaluator downloads pilot evidence under a neutral name."""
    return not can_read_project_file(user, stored) and _evidence_access(user, stored)[1]
