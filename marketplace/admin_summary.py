"""Counts for the admin landing page."""

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.providers.models import PartnerApplication
from marketplace.providers.queries import admitted_condition
from marketplace.providers.states import PartnerState


def admin_summary():
    count = lambda q: db.session.scalar(q)  # noqa: E731
    return {
        "pending_applications": count(sa.select(sa.func.count()).select_from(PartnerApplication)
                                      .where(PartnerApplication.state == PartnerState.applied)),
        "admitted_providers": count(sa.select(sa.func.count()).select_from(PartnerApplication)
                                    .where(admitted_condition())),
        "organisations": count(sa.select(sa.func.count()).select_from(Organisation)),
        "users": count(sa.select(sa.func.count()).select_from(User)),
    }
