"""The public case library and the excellent-provider directory (providers with published cases
of accepted projects)."""

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.cases.models import Case
from marketplace.core.domains import DOMAINS
from marketplace.extensions import db


def case_query(domain=None, q=None, provider_id=None):
    query = sa.select(Case)
    if domain in DOMAINS:
        query = query.where(Case.domain == domain)
    if q:
        query = query.where(sa.or_(Case.title.contains(q[:100], autoescape=True),
                                   Case.summary.contains(q[:100], autoescape=True)))
    if provider_id:
        query = query.where(Case.provider_id == provider_id)
    return query.order_by(Case.published_at.desc(), Case.id.desc())


def excellent_providers(domain=None):
    """[(organisation, case count, latest publication)], most cases first."""
    query = (sa.select(Organisation, sa.func.count(Case.id), sa.func.max(Case.published_at))
             .join(Case, Case.provider_id == Organisation.id))
    if domain in DOMAINS:
        query = query.where(Case.domain == domain)
    return db.session.execute(
        query.group_by(Organisation.id).order_by(sa.func.count(Case.id).desc(), Organisation.name)).all()


def provider_cases(provider_id):
    return db.session.scalars(case_query(provider_id=provider_id)).all()
