"""The demo reads like a platform in use: dates spread over months in the order things happen,
the audit chain's times agree with its sequence, and each case tells its own story on the
solution it was built on."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.cases.models import Case
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.notices.models import Notice
from marketplace.projects.models import Milestone, MilestoneStatus, Project
from marketplace.providers.models import Solution
from marketplace.submissions.models import Submission

S = ChallengeState


def test_dates_spread_over_months_not_the_moment_of_seeding(db):
    now = utcnow()
    challenges = db.session.scalars(sa.select(Challenge)).all()
    published = sorted(c.published_at for c in challenges if c.published_at is not None)
    assert published[-1] - published[0] > timedelta(days=120)
    past = [c for c in challenges if c.state in (S.closed, S.failed, S.evaluating, S.racing, S.notice, S.awarded)]
    deadlines = [c.deadline for c in past]
    assert all(d < now - timedelta(days=1) for d in deadlines)  # none is "just now"
    assert len({d.date() for d in deadlines}) == len(deadlines)  # each on its own day
    assert max(deadlines) - min(deadlines) > timedelta(days=90)
    for challenge in past:
        entries = db.session.scalars(sa.select(Submission).where(Submission.challenge_id == challenge.id)).all()
        assert all(challenge.published_at < e.submitted_at < challenge.deadline for e in entries)

    awarded = db.session.scalars(sa.select(Challenge).where(Challenge.state == S.awarded)).one()
    award = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "challenge.award_result",
                                                           AuditEvent.object_id == awarded.id)).one()
    notice = db.session.scalar(sa.select(Notice).where(Notice.challenge_id == awarded.id))
    assert notice.ends_at is not None and notice.published_at < notice.ends_at <= award.created_at
    assert award.created_at < now - timedelta(days=90)

    started = sorted(p.created_at for p in db.session.scalars(sa.select(Project)))
    assert started[-1] - started[0] > timedelta(days=180)
    # Overdue because their due date passed unreported, not because the seed wrote a past date.
    late = db.session.scalars(sa.select(Milestone).where(Milestone.status == MilestoneStatus.open,
                                                         Milestone.due_date < now.date())).all()
    assert len(late) == 2 and all(m.reports == [] for m in late)


def test_audit_times_follow_the_chain_and_none_lies_ahead(db):
    times = db.session.scalars(sa.select(AuditEvent.created_at).order_by(AuditEvent.seq)).all()
    assert times == sorted(times)
    assert times[-1] <= utcnow() and times[-1] - times[0] > timedelta(days=300)


def test_each_case_has_its_own_outcomes_and_the_solution_it_was_built_on(db):
    cases = db.session.scalars(sa.select(Case)).all()
    assert len(cases) >= 2
    assert len({c.outcomes for c in cases}) == len(cases) and len({c.summary for c in cases}) == len(cases)
    for case in cases:
        project = db.session.get(Project, case.project_id)
        solution = db.session.get(Solution, case.solution_id)
        assert solution.organisation_id == project.provider_id == case.provider_id
        assert solution.domain == project.domain
        assert project.title in solution.title or solution.title in project.title, (project.title, solution.title)
