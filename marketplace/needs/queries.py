"""Read side of needs: the public 场景需求清单, a unit's own needs, the triage queue, where a
need went (batch, challenge, project) and the dashboard's counts."""

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrganisationKind
from marketplace.core.db import utcnow
from marketplace.core.domains import DOMAINS
from marketplace.extensions import db
from marketplace.needs.models import DomainSubscription, Need, NeedBatch
from marketplace.needs.states import NeedState

S = NeedState
AGES = {"7": ("7 天以上", 7), "30": ("30 天以上", 30)}


def public_condition():
    return sa.and_(Need.published_at.is_not(None), Need.state.in_((S.published, S.converted)))


def public_query(*, batch_id=None, domain=None):
    query = sa.select(Need).where(public_condition())
    if batch_id:
        query = query.where(Need.batch_id == batch_id)
    if domain in DOMAINS:
        query = query.where(Need.domain == domain)
    return query.order_by(Need.published_at.desc(), Need.id)


def published_batches():
    return db.session.scalars(sa.select(NeedBatch).where(NeedBatch.published_at.is_not(None))
                              .order_by(NeedBatch.number.desc())).all()


def all_batches():
    return db.session.scalars(sa.select(NeedBatch).order_by(NeedBatch.number.desc())).all()


def unit_query(org_id, status=None):
    """A unit's needs: those it submitted and those routed to it."""
    query = sa.select(Need).where(sa.or_(Need.submitter_id == org_id, Need.assignee_id == org_id))
    if S.get(status):
        query = query.where(Need.state == S(status))
    return query.order_by(Need.updated_at.desc(), Need.id.desc())


@dataclass
class TriageFilters:
    status: str | None = "submitted"
    domain: str | None = None
    unit: int | None = None
    age: str | None = None

    @classmethod
    def from_args(cls, args):
        status = args.get("status", "submitted")
        return cls(status=status if S.get(status) else None,
                   domain=args.get("domain") if args.get("domain") in DOMAINS else None,
                   unit=args.get("unit", type=int), age=args.get("age") if args.get("age") in AGES else None)


def triage_query(filters: TriageFilters):
    query = sa.select(Need)
    if filters.status:
        query = query.where(Need.state == S(filters.status))
    if filters.domain:
        query = query.where(Need.domain == filters.domain)
    if filters.unit:
        query = query.where(sa.or_(Need.submitter_id == filters.unit, Need.assignee_id == filters.unit))
    if filters.age:
        query = query.where(Need.submitted_at <= utcnow() - timedelta(days=AGES[filters.age][1]))
    return query.order_by(Need.submitted_at, Need.id)  # oldest first: nobody waits forever


def departments():
    return db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrganisationKind.department)
                              .order_by(Organisation.name)).all()


def batchable_needs():
    """Accepted needs not yet in a batch, for the batch builder."""
    return db.session.scalars(sa.select(Need).where(Need.state == S.accepted, Need.batch_id.is_(None))
                              .order_by(Need.decided_at, Need.id)).all()


def challenge_of(need):
    from marketplace.challenges.models import Challenge

    return db.session.scalar(sa.select(Challenge).where(Challenge.need_id == need.id))


def project_of(challenge):
    if challenge is None:
        return None
    from marketplace.projects.models import Project

    return db.session.scalar(sa.select(Project).where(Project.challenge_id == challenge.id).order_by(Project.id))


def subscribed_domains(user):
    chosen = set(db.session.scalars(sa.select(DomainSubscription.domain).where(DomainSubscription.user_id == user.id)))
    return [d for d in DOMAINS if d in chosen]


def subscriptions(domains):
    """[(user, [their subscribed domains among `domains`])], active users only."""
    from marketplace.accounts.models import User

    rows = db.session.execute(
        sa.select(User, DomainSubscription.domain).join(DomainSubscription, DomainSubscription.user_id == User.id)
        .where(DomainSubscription.domain.in_(sorted(domains)), User.is_active)
        .order_by(User.id, DomainSubscription.domain)
    ).all()
    out = {}
    for user, domain in rows:
        out.setdefault(user.id, (user, []))[1].append(domain)
    return list(out.values())


# --- the dashboard ----------------------------------------------------------------------------

def _count_by(column, label=lambda v: v):
    rows = db.session.execute(sa.select(column, sa.func.count(Need.id)).group_by(column)
                              .order_by(sa.func.count(Need.id).desc(), column)).all()
    return [(label(value), count) for value, count in rows]


def needs_by_state():
    counts = dict(db.session.execute(sa.select(Need.state, sa.func.count(Need.id)).group_by(Need.state)).all())
    return [(state.label, counts.get(state, 0)) for state in S]


def needs_by_unit():
    rows = db.session.execute(
        sa.select(Organisation.name, sa.func.count(Need.id),
                  sa.func.count(Need.id).filter(Need.state.in_((S.accepted, S.published, S.converted))))
        .join(Organisation, Organisation.id == Need.submitter_id)
        .group_by(Organisation.name).order_by(sa.func.count(Need.id).desc(), Organisation.name)
    ).all()
    return [tuple(r) for r in rows]


def needs_by_domain():
    return _count_by(Need.domain)


def days_to_challenge():
    """Days from a need's first submission to its challenge draft: count, median, longest."""
    from marketplace.challenges.models import Challenge

    rows = db.session.execute(sa.select(Need.submitted_at, Challenge.created_at)
                              .join(Challenge, Challenge.need_id == Need.id)).all()
    days = [(created - submitted).total_seconds() / 86400 for submitted, created in rows]
    if not days:
        return {"count": 0, "median": None, "max": None}
    return {"count": len(days), "median": round(median(days), 1), "max": round(max(days), 1)}
