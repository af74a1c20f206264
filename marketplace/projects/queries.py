"""Read side of projects: who sees which projects, list filters, and the admin dashboard's tables."""

from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, Role
from marketplace.core.domains import DOMAINS
from marketplace.core.money import fen_to_yuan
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.projects.models import Acceptance, AcceptanceMember, Milestone, Project
from marketplace.projects.states import ORDER, MilestoneStatus, ProjectStage


@dataclass
class ProjectFilters:
    stage: str | None = None
    domain: str | None = None
    department_id: int | None = None
    overdue: bool = False
    q: str | None = None

    @classmethod
    def from_args(cls, args):
        department = args.get("department", type=int) or args.get("department_id", type=int)
        stage = args.get("stage")
        return cls(
            stage=stage if ProjectStage.get(stage) else None,
            domain=args.get("domain") if args.get("domain") in DOMAINS else None,
            department_id=department if department and 0 < department < 2**31 else None,
            overdue=args.get("overdue") in ("1", "true", "yes", "on"),
            q=(args.get("q") or "").strip()[:100] or None,
        )


def overdue_condition(today=None):
    today = today or today_shanghai()
    return sa.exists().where(Milestone.project_id == Project.id, Milestone.status != MilestoneStatus.completed,
                             Milestone.due_date < today)


def visible_query(user):
    """Projects the user may see: all for the admin, its own for a department or provider, those
    with an acceptance panel seat for an evaluator."""
    query = sa.select(Project)
    if user.role == Role.admin:
        return query
    if user.role == Role.department:
        return query.where(Project.department_id == user.organisation_id)
    if user.role == Role.provider:
        return query.where(Project.provider_id == user.organisation_id)
    seats = (sa.select(Acceptance.project_id).join(AcceptanceMember, AcceptanceMember.acceptance_id == Acceptance.id)
             .where(AcceptanceMember.user_id == user.id))
    return query.where(Project.id.in_(seats))


def listing_query(user, filters: ProjectFilters):
    query = visible_query(user)
    if filters.stage:
        query = query.where(Project.stage == filters.stage)
    if filters.domain:
        query = query.where(Project.domain == filters.domain)
    if filters.department_id:
        query = query.where(Project.department_id == filters.department_id)
    if filters.overdue:
        query = query.where(overdue_condition(), Project.stage != ProjectStage.terminated)
    if filters.q:
        query = query.where(Project.title.contains(filters.q, autoescape=True))
    return query.order_by(Project.updated_at.desc(), Project.id.desc())


def overdue_project_ids(project_ids, today=None):
    if not project_ids:
        return set()
    today = today or today_shanghai()
    return set(db.session.scalars(sa.select(Milestone.project_id).where(
        Milestone.project_id.in_(project_ids), Milestone.status != MilestoneStatus.completed,
        Milestone.due_date < today)))


def departments():
    from marketplace.accounts.models import OrganisationKind

    return db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrganisationKind.department)
                              .order_by(Organisation.name)).all()


def providers():
    from marketplace.accounts.models import OrganisationKind

    return db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrganisationKind.provider)
                              .order_by(Organisation.name)).all()


def evaluators():
    from marketplace.accounts.models import User

    return db.session.scalars(sa.select(User).where(User.role == Role.evaluator, User.is_active)
                              .order_by(User.name)).all()


# --- the admin dashboard --------------------------------------------------------------------
# Each table is {"title", "columns": [...], "rows": [[...]]}; the page draws it as a chart and
# offers it as CSV and XLSX, so what is drawn and what is exported are the same numbers.

def challenges_by_state():
    from marketplace.challenges.models import Challenge
    from marketplace.challenges.states import ChallengeState

    counts = dict(db.session.execute(sa.select(Challenge.state, sa.func.count()).group_by(Challenge.state)).all())
    return {"title": "榜单（按状态）", "columns": ["状态", "榜单数"],
            "rows": [[s.label, counts.get(s, 0)] for s in ChallengeState]}


def projects_by_stage():
    counts = dict(db.session.execute(sa.select(Project.stage, sa.func.count()).group_by(Project.stage)).all())
    # A funnel: how many projects reached each stage (are in it or beyond it), and how many are in it.
    rows, reached = [], 0
    for stage in reversed(ORDER):
        reached += counts.get(stage, 0)
        rows.append([stage.label, counts.get(stage, 0), reached])
    rows.reverse()
    rows.append([ProjectStage.terminated.label, counts.get(ProjectStage.terminated, 0), ""])
    return {"title": "项目（按阶段）", "columns": ["阶段", "当前处于该阶段", "已到达该阶段"], "rows": rows}


def overdue_milestones(today=None):
    from marketplace.projects.operations import overdue_milestones_query

    today = today or today_shanghai()
    rows = []
    for m in db.session.scalars(overdue_milestones_query(today)).all():
        rows.append([m.project.title, m.project.department.name, m.title, m.due_date.isoformat(),
                     (today - m.due_date).days, m.owner.name, m.percent])
    return {"title": "逾期里程碑", "columns": ["项目", "发榜单位", "里程碑", "截止日期", "逾期天数", "负责人", "已确认进度（%）"],
            "rows": rows}


def _budget(group_column, join=None):
    query = sa.select(group_column, sa.func.count(Project.id), sa.func.coalesce(sa.func.sum(Project.approved_fen), 0),
                      sa.func.coalesce(sa.func.sum(Project.paid_fen), 0))
    if join is not None:
        query = query.join(*join)
    return db.session.execute(
        query.where(Project.stage != ProjectStage.terminated)
        .group_by(group_column).order_by(sa.func.sum(Project.approved_fen).desc(), group_column)
    ).all()


def budget_by_department():
    rows = _budget(Organisation.name, (Organisation, Organisation.id == Project.department_id))
    return {"title": "预算批复与支付（按发榜单位）", "columns": ["发榜单位", "项目数", "批复预算（元）", "已支付（元）"],
            "rows": [[name, n, fen_to_yuan(a), fen_to_yuan(p)] for name, n, a, p in rows], "money": (2, 3)}


def budget_by_domain():
    rows = _budget(Project.domain)
    return {"title": "预算批复与支付（按领域）", "columns": ["领域", "项目数", "批复预算（元）", "已支付（元）"],
            "rows": [[d, n, fen_to_yuan(a), fen_to_yuan(p)] for d, n, a, p in rows], "money": (2, 3)}


DASHBOARD_TABLES = {
    "challenges-by-state": challenges_by_state,
    "projects-by-stage": projects_by_stage,
    "overdue-milestones": overdue_milestones,
    "budget-by-department": budget_by_department,
    "budget-by-domain": budget_by_domain,
}


def challenge_project(challenge) -> Project | None:
    """The project an awarded challenge produced."""
    return db.session.scalar(sa.select(Project).where(Project.challenge_id == challenge.id)
                             .order_by(Project.id.desc()).limit(1))


# --- the horse race (赛马) -------------------------------------------------------------------

RACE_VISIBLE = ("racing", "notice", "awarded")


def racer_status(project, successor=None):
    """racing | eliminated | winner | withdrawn (the winner withdrew or was disqualified: 递补).
    `successor`: the main project continuing this pilot after a 递补."""
    if successor is not None:
        return "withdrawn" if successor.stage == ProjectStage.terminated else "winner"
    if project.kind.value == "main":
        return "withdrawn" if project.stage == ProjectStage.terminated else "winner"
    if project.stage == ProjectStage.terminated:
        return "eliminated"
    return "racing"


def race_names_public(challenge):
    """Providers are named in the public race only when no round of the challenge is blind, or
    once the notice (公示) has named them anyway; a blind race shows racers as 赛马团队 A, B, C."""
    return challenge.state.value in ("notice", "awarded") or not any(r.blind for r in challenge.rounds)


def race(challenge, user=None):
    """The race of a challenge, racers in the order they entered it (the proposal round's ranking),
    or None when the challenge has no race (yet)."""
    if challenge.race_slots <= 1 or challenge.state.value not in RACE_VISIBLE:
        return None
    projects = db.session.scalars(sa.select(Project).where(Project.challenge_id == challenge.id)
                                  .order_by(Project.id)).all()
    if not projects:
        return None
    insider = user is not None and getattr(user, "is_authenticated", False) and (
        user.role == Role.admin or (user.role == Role.department and user.organisation_id == challenge.department_id))
    public_names = race_names_public(challenge)
    # 递补: a substitute's main project continues its closed pilot; the race lists the pilot.
    successors = {p.pilot_id: p for p in projects if p.pilot_id is not None}
    projects = [p for p in projects if p.pilot_id is None]
    racers = []
    for index, project in enumerate(projects):
        own = (user is not None and getattr(user, "is_authenticated", False) and user.role == Role.provider
               and user.organisation_id == project.provider_id)
        named = insider or public_names or own
        done = sum(1 for m in project.milestones if m.status == MilestoneStatus.completed)
        status = racer_status(project, successors.get(project.id))
        ended = status in ("eliminated", "withdrawn")
        racers.append({
            "label": f"赛马团队 {chr(ord('A') + index)}",
            "submission_id": project.submission_id if named else None,
            "provider_org_id": project.provider_id if named else None,
            "provider_name": project.provider.name if named and project.provider else None,
            "project_id": project.id, "status": status, "milestones_done": done,
            "milestones_total": len(project.milestones),
            "ended_at": project.stage_changed_at if ended else None,
            "ended_reason": project.status_reason if ended else None,
        })
    return {"status": challenge.state.value, "names_public": public_names, "racers": racers,
            "pilot_budget_fen": challenge.pilot_budget_fen,
            "milestones": [{"title": m.title, "due_days": m.due_days, "evidence": m.evidence}
                           for m in challenge.race_milestones]}


def challenge_project_id(challenge):
    """The project the award put in the library (the winner's pilot after a race)."""
    # After a 递补 the withdrawn winner's project is terminated: the live one (the newest) counts.
    return db.session.scalar(sa.select(Project.id).where(Project.challenge_id == challenge.id,
                                                         Project.kind == "main")
                             .order_by((Project.stage == "terminated").asc(), Project.id.desc()).limit(1))


def pilot_evidence(submission_id):
    """What evaluators see next to a racer's entry: the pilot's milestones, and its confirmed
    progress reports with their measured indicators and attachments (file_json; the caller gives
    neutral names in a blind round). Nothing else here names the provider."""
    from marketplace.files.operations import file_json, live_files
    from marketplace.projects.operations import REPORT_OWNER_TYPE
    from marketplace.projects.states import ReportStatus

    project = db.session.scalar(sa.select(Project).where(Project.submission_id == submission_id))
    if project is None:
        return None
    milestones = []
    for m in project.milestones:
        reports = [r for r in m.reports if r.status == ReportStatus.confirmed]
        milestones.append({"title": m.title, "due_date": m.due_date, "evidence": m.evidence,
                           "status": m.status, "percent": m.percent, "completed_at": m.completed_at,
                           "reports": [{"percent": r.percent, "narrative": r.narrative, "indicators": r.indicators,
                                        "confirmed_at": r.decided_at,
                                        "files": [file_json(f) for f in live_files(REPORT_OWNER_TYPE, r.id)]}
                                       for r in reports]})
    return {"project_id": project.id, "stage": project.stage, "status": racer_status(project),
            "milestones_done": sum(1 for m in project.milestones if m.status == MilestoneStatus.completed),
            "milestones_total": len(project.milestones), "paid_fen": project.paid_fen,
            "approved_fen": project.approved_fen, "milestones": milestones}
