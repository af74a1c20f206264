"""Read side of events: the public list (upcoming and past), an organiser's list, registrations."""

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.meetings.models import Event, Registration
from marketplace.meetings.operations import seats_left  # noqa: F401  (re-exported for views and API)
from marketplace.meetings.states import LIVE_STATES, EventState


def public_query(when="upcoming", now=None):
    """Published (and cancelled, so that a cancellation stays visible) events; upcoming soonest
    first, past latest first."""
    now = now or utcnow()
    query = sa.select(Event).where(Event.state.in_((EventState.published, EventState.cancelled)))
    if when == "past":
        return query.where(Event.ends_at <= now).order_by(Event.starts_at.desc(), Event.id.desc())
    return query.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)


def organised_query(user):
    query = sa.select(Event)
    if user.role != Role.admin:
        query = query.where(Event.organiser_org_id == user.organisation_id)
    return query.order_by(Event.starts_at.desc(), Event.id.desc())


def registrations(event):
    return db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id)
                              .order_by(Registration.id)).all()


def own_registration(event, organisation_id):
    """The organisation's live registration, else its latest one."""
    if organisation_id is None:
        return None
    rows = db.session.scalars(sa.select(Registration).where(
        Registration.event_id == event.id, Registration.organisation_id == organisation_id)
        .order_by(Registration.id.desc())).all()
    return next((r for r in rows if r.state in LIVE_STATES), rows[0] if rows else None)


def registrations_of(organisation_id):
    return db.session.scalars(sa.select(Registration).where(Registration.organisation_id == organisation_id)
                              .order_by(Registration.id.desc())).all()


def waitlist_position(registration):
    from marketplace.meetings.states import RegistrationState

    if registration.state != RegistrationState.waitlisted:
        return None
    return db.session.scalar(sa.select(sa.func.count(Registration.id)).where(
        Registration.event_id == registration.event_id, Registration.state == RegistrationState.waitlisted,
        Registration.id <= registration.id))
