"""Who could take a challenge and how well they fit: the 推荐服务商 panel, the provider's 为我推荐
list, and the invitations of a challenge.

Eligible means what揭榜 itself requires: an admitted, unexpired listing whose domains cover every
required domain. Similarity is BM25 over the platform's jieba analyzer, computed per request
over the candidates' catalogue solutions (needs/similarity.rank: a small RamStorage index).
"""

from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.cases.models import Case
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.matching import scoring
from marketplace.matching.models import Invitation
from marketplace.needs.similarity import challenge_text, rank
from marketplace.providers.models import PartnerApplication, Solution
from marketplace.providers.queries import admitted_condition

MAX_SOLUTIONS_SHOWN = 3


@dataclass
class Match:
    organisation: Organisation
    reasons: list
    solutions: list  # [(solution, BM25)] closest first
    score: int = 0

    def __post_init__(self):
        self.score = scoring.total(self.reasons)


def eligible_listings(challenge):
    """[PartnerApplication] admitted, unexpired, covering every required domain."""
    listings = db.session.scalars(
        sa.select(PartnerApplication).where(admitted_condition())
        .options(sa.orm.selectinload(PartnerApplication.organisation))).all()
    required = set(challenge.required_domains)
    return [app for app in listings if required <= set(app.domains)]


def is_eligible(challenge, organisation_id) -> bool:
    return any(app.organisation_id == organisation_id for app in eligible_listings(challenge))


def _solutions_by_org(org_ids):
    out = {}
    if not org_ids:
        return out
    for solution in db.session.scalars(sa.select(Solution).where(
            Solution.organisation_id.in_(org_ids), Solution.is_active).order_by(Solution.id)):
        out.setdefault(solution.organisation_id, []).append(solution)
    return out


def _solution_text(solution):
    return f"{solution.title} {solution.domain} {solution.summary}"


def _case_counts(org_ids, domains):
    rows = db.session.execute(sa.select(Case.provider_id, Case.domain, sa.func.count(Case.id))
                              .where(Case.provider_id.in_(org_ids)).group_by(Case.provider_id, Case.domain)).all()
    in_domain, excellent = {}, set()
    for org_id, domain, count in rows:
        excellent.add(org_id)  # the excellent-provider directory lists every provider with a published case
        if domain in domains:
            in_domain[org_id] = in_domain.get(org_id, 0) + count
    return in_domain, excellent


def _project_counts(org_ids):
    from marketplace.projects.models import Project
    from marketplace.projects.states import ProjectStage

    done_stages = (ProjectStage.acceptance, ProjectStage.operation)
    rows = db.session.execute(sa.select(Project.provider_id, Project.stage, sa.func.count(Project.id))
                              .where(Project.provider_id.in_(org_ids)).group_by(Project.provider_id, Project.stage)).all()
    done, ongoing = {}, {}
    for org_id, stage, count in rows:
        if stage in done_stages:
            done[org_id] = done.get(org_id, 0) + count
        elif stage != ProjectStage.terminated:  # 容错免责: a terminated project neither counts for nor against
            ongoing[org_id] = ongoing.get(org_id, 0) + count
    return done, ongoing


def matches(challenge, extra=None):
    """[Match] for the providers that could take `challenge`, best first (score, then name)."""
    listings = eligible_listings(challenge)
    org_ids = [app.organisation_id for app in listings]
    solutions = _solutions_by_org(org_ids)
    by_key = {f"s{s.id}": s for group in solutions.values() for s in group}
    similarity = dict(rank([(key, s.title, _solution_text(s)) for key, s in by_key.items()],
                           challenge_text(challenge), limit=max(1, len(by_key))))
    top = max(similarity.values(), default=0.0)
    domains = {challenge.domain, *challenge.required_domains}
    cases, excellent = _case_counts(org_ids, domains)
    done, ongoing = _project_counts(org_ids)
    out = []
    for app in listings:
        org_id = app.organisation_id
        ranked = sorted(((s, similarity.get(f"s{s.id}", 0.0)) for s in solutions.get(org_id, [])),
                        key=lambda pair: (-pair[1], pair[0].id))
        best = ranked[0] if ranked and ranked[0][1] > 0 else None
        facts = scoring.Facts(
            covered_domains=challenge.required_domains, best_similarity=best[1] if best else 0.0,
            top_similarity=top, closest_solution=best[0].title if best else None,
            cases_in_domain=cases.get(org_id, 0), excellent=org_id in excellent,
            projects_done=done.get(org_id, 0), projects_ongoing=ongoing.get(org_id, 0),
            extra=list((extra or {}).get(org_id, [])))
        out.append(Match(app.organisation, scoring.reasons_for(facts), ranked[:MAX_SOLUTIONS_SHOWN]))
    out.sort(key=lambda m: (-m.score, m.organisation.name, m.organisation.id))
    return out


@dataclass
class Recommendation:
    challenge: Challenge
    reasons: list
    invitation: Invitation | None
    score: int = 0

    def __post_init__(self):
        self.score = scoring.total(self.reasons)


def recommendations(organisation_id, now=None):
    """Published, still open challenges the provider is eligible for, best first. Each carries the
    reasons the department's panel would show for this provider, plus an invitation if any."""
    now = now or utcnow()
    listing = db.session.scalar(sa.select(PartnerApplication).where(
        PartnerApplication.organisation_id == organisation_id, admitted_condition()))
    if listing is None:
        return []
    own = set(listing.domains)
    challenges = db.session.scalars(sa.select(Challenge).where(
        Challenge.state == ChallengeState.published, Challenge.deadline > now).order_by(Challenge.id)).all()
    invitations = {i.challenge_id: i for i in db.session.scalars(
        sa.select(Invitation).where(Invitation.provider_id == organisation_id))}
    out = []
    for challenge in challenges:
        if not set(challenge.required_domains) <= own:
            continue
        extra = {}
        if challenge.id in invitations:
            extra[organisation_id] = [scoring.Reason("invited", f"{challenge.department.name}邀请贵单位揭榜", 10)]
        mine = next((m for m in matches(challenge, extra=extra) if m.organisation.id == organisation_id), None)
        if mine is not None:
            out.append(Recommendation(challenge, mine.reasons, invitations.get(challenge.id)))
    out.sort(key=lambda r: (-r.score, r.challenge.deadline, r.challenge.id))
    return out


def invitations_of_challenge(challenge):
    """[(invitation, entered)] in invitation order; `entered`: the provider has a live entry."""
    from marketplace.submissions.queries import live_provider_ids

    entered = live_provider_ids(challenge)
    rows = db.session.scalars(sa.select(Invitation).where(Invitation.challenge_id == challenge.id)
                              .order_by(Invitation.id)).all()
    return [(inv, inv.provider_id in entered) for inv in rows]


def invitations_of_provider(organisation_id):
    return db.session.scalars(sa.select(Invitation).where(Invitation.provider_id == organisation_id)
                              .order_by(Invitation.id.desc())).all()
