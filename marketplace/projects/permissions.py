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
