"""Read-side queries of the partner list and the catalogue."""

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.providers.models import ApplicationDomain, PartnerApplication, Solution
from marketplace.providers.states import LIVE_STATES, PartnerState


def admitted_condition():
    """SQL condition: the listing is admitted and its validity has not passed (Shanghai date)."""
    return sa.and_(
        PartnerApplication.state == PartnerState.admitted,
        PartnerApplication.valid_until >= today_shanghai(),
    )


def latest_application(organisation_id) -> PartnerApplication | None:
    return db.session.scalar(
        sa.select(PartnerApplication)
        .where(PartnerApplication.organisation_id == organisation_id)
        .order_by(PartnerApplication.id.desc())
        .limit(1)
    )


def live_application(organisation_id) -> PartnerApplication | None:
    return db.session.scalar(
        sa.select(PartnerApplication).where(
            PartnerApplication.organisation_id == organisation_id,
            PartnerApplication.state.in_(LIVE_STATES),
        )
    )


def applications_of(organisation_id):
    return db.session.scalars(
        sa.select(PartnerApplication)
        .where(PartnerApplication.organisation_id == organisation_id)
        .order_by(PartnerApplication.id.desc())
    ).all()


def directory_query(domain=None, q=None):
    """The public provider directory: admitted and unexpired listings, newest admission first."""
    query = (
        sa.select(PartnerApplication)
        .join(PartnerApplication.organisation)
        .where(admitted_condition())
        .options(sa.orm.contains_eager(PartnerApplication.organisation))
    )
    if domain:
        query = query.where(
            sa.exists().where(
                ApplicationDomain.application_id == PartnerApplication.id,
                ApplicationDomain.domain == domain,
            )
        )
    if q:
        query = query.where(Organisation.name.contains(q, autoescape=True))
    return query.order_by(PartnerApplication.decided_at.desc(), PartnerApplication.id.desc())


def admitted_listing(organisation_id) -> PartnerApplication | None:
    return db.session.scalar(
        sa.select(PartnerApplication).where(
            PartnerApplication.organisation_id == organisation_id, admitted_condition()
        )
    )


def catalogue_query(domain=None, q=None):
    """Public catalogue: active solutions of providers that are admitted in effect."""
    listed = (
        sa.select(PartnerApplication.organisation_id).where(admitted_condition()).scalar_subquery()
    )
    query = (
        sa.select(Solution)
        .join(Solution.organisation)
        .where(Solution.is_active, Solution.organisation_id.in_(listed))
        .options(sa.orm.contains_eager(Solution.organisation))
    )
    if domain:
        query = query.where(Solution.domain == domain)
    if q:
        query = query.where(Solution.title.contains(q, autoescape=True))
    return query.order_by(Solution.id.desc())


def solutions_of(organisation_id, active_only=True):
    query = sa.select(Solution).where(Solution.organisation_id == organisation_id)
    if active_only:
        query = query.where(Solution.is_active)
    return db.session.scalars(query.order_by(Solution.id.desc())).all()


def applications_query(state=None, q=None):
    """Admin queue of applications, filterable by stored state (and 'expired' in effect)."""
    query = sa.select(PartnerApplication).join(PartnerApplication.organisation)
    if state == PartnerState.expired.value:
        query = query.where(
            sa.or_(
                PartnerApplication.state == PartnerState.expired,
                sa.and_(
                    PartnerApplication.state == PartnerState.admitted,
                    PartnerApplication.valid_until < today_shanghai(),
                ),
            )
        )
    elif state == PartnerState.admitted.value:
        query = query.where(admitted_condition())
    elif state:
        query = query.where(PartnerApplication.state == state)
    if q:
        query = query.where(
            sa.or_(
                Organisation.name.contains(q, autoescape=True),
                PartnerApplication.credit_code == q.upper(),
            )
        )
    return query.order_by(PartnerApplication.id.desc())
