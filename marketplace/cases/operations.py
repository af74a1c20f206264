"""Best practice (最佳实践): an accepted project published as a case in the public library."""

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.audit.operations import record
from marketplace.cases import events
from marketplace.cases.models import Case
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.projects.states import ProjectStage


def case_for_project(project):
    return db.session.scalar(sa.select(Case).where(Case.project_id == project.id))


def publish_case(actor, project, *, summary, outcomes, replication, solution_id=None, title=None):
    """After acceptance (the project is in 运营), the platform admin publishes it as a case with
    its summary, measured outcomes and how to replicate it; the case links provider and solution."""
    if actor is None or actor.role != Role.admin:
        raise NotAllowed("只有平台管理员可以发布最佳实践案例")
    if project.stage != ProjectStage.operation:
        raise Conflict(f"项目处于“{project.stage.label}”阶段，只有通过验收的项目可以发布为案例")
    if case_for_project(project) is not None:
        raise Conflict("该项目已发布为案例")
    fields = {name: "此项为必填项" for name, value in
              (("summary", summary), ("outcomes", outcomes), ("replication", replication)) if not value}
    if fields:
        raise ValidationFailed(fields=fields)
    solution_id = solution_id or project.solution_id
    if solution_id is not None:
        from marketplace.projects.operations import check_solution

        check_solution(solution_id, project.provider_id)
    case = Case(project_id=project.id, provider_id=project.provider_id, solution_id=solution_id,
                department_id=project.department_id, title=title or project.title, domain=project.domain,
                summary=summary, outcomes=outcomes, replication=replication, published_by_id=actor.id,
                published_at=utcnow())
    db.session.add(case)
    db.session.flush()
    record(actor, "case.publish", case, after={"project_id": project.id, "provider_id": case.provider_id,
                                               "solution_id": solution_id, "title": case.title})
    record(actor, "project.case_published", project, after={"case_id": case.id})
    events.case_published.send(case, actor=actor)
    return case
