"""Registrations, the waitlist, promotion, cancellation, check-in and reminders."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.meetings import operations as ops
from marketplace.meetings.states import RegistrationState
from marketplace.notifications.models import Notification
from tests.meetings.conftest import event_values, move_event

R = RegistrationState


def _kinds(user):
    return [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                               .order_by(Notification.id))]


def _register(user, event, attendees):
    registration = ops.register(user, event, attendees=attendees)
    db.session.commit()
    return registration


def test_seats_then_waitlist_first_come_first_served(make_event, providers):
    event = make_event(capacity=5)
    a = _register(providers[0], event, 3)
    b = _register(providers[1], event, 2)
    c = _register(providers[2], event, 2)
    d = _register(providers[3], event, 1)
    assert [r.state for r in (a, b, c, d)] == [R.registered, R.registered, R.waitlisted, R.waitlisted]
    assert ops.seats_left(event) == 0
    assert _kinds(providers[2]) == ["event.waitlisted"]


def test_cancellation_promotes_exactly_one_fitting_registration(make_event, providers):
    event = make_event(capacity=5)
    a = _register(providers[0], event, 2)
    _register(providers[1], event, 3)
    big = _register(providers[2], event, 4)     # first in line but needs 4
    small = _register(providers[3], event, 2)   # fits in the 2 seats a frees
    also = _register(providers[4], event, 1)    # would fit too, but only one is promoted
    promoted = ops.cancel_registration(providers[0], a)
    db.session.commit()
    assert promoted.id == small.id
    assert [r.state for r in (a, big, small, also)] == [R.cancelled, R.waitlisted, R.registered, R.waitlisted]
    assert "event.promoted" in _kinds(providers[3])
    assert "event.promoted" not in _kinds(providers[2])
    assert ops.seats_taken(event) <= event.capacity


def test_one_registration_per_organisation_and_none_after_the_deadline(make_event, providers):
    event = make_event()
    _register(providers[0], event, 1)
    with pytest.raises(Conflict):
        ops.register(providers[0], event, attendees=1)
    move_event(event, registration_deadline=utcnow() - timedelta(seconds=1))
    with pytest.raises(Conflict):
        ops.register(providers[1], event, attendees=1)


@pytest.mark.parametrize("attendees", [0, 6, -1])
def test_attendees_one_to_five(make_event, providers, attendees):
    with pytest.raises(ValidationFailed):
        ops.register(providers[0], make_event(), attendees=attendees)


def test_drafts_take_no_registrations_and_only_providers_register(make_event, providers, organiser):
    with pytest.raises(Conflict):
        ops.register(providers[0], make_event(publish=False), attendees=1)
    with pytest.raises(NotAllowed):
        ops.register(organiser, make_event(), attendees=1)


def test_approval_holds_seats_and_rejection_promotes(make_event, providers, organiser):
    event = make_event(capacity=2, requires_approval=True)
    a = _register(providers[0], event, 2)
    b = _register(providers[1], event, 1)
    assert (a.state, b.state) == (R.pending, R.waitlisted)
    ops.reject_registration(organiser, a)
    db.session.commit()
    assert (a.state, b.state) == (R.rejected, R.pending)
    ops.approve_registration(organiser, b)
    db.session.commit()
    assert b.state == R.registered
    assert "event.approved" in _kinds(providers[1])


def test_check_in_once(make_event, providers, organiser):
    event = make_event()
    a = _register(providers[0], event, 1)
    ops.check_in(organiser, a)
    db.session.commit()
    assert a.state == R.attended and a.checked_in_at is not None
    with pytest.raises(Conflict):
        ops.check_in(organiser, a)
    with pytest.raises(NotAllowed):
        ops.check_in(providers[1], a)


def test_cancel_event_needs_a_reason_and_tells_everyone(make_event, providers, organiser):
    event = make_event(capacity=1)
    _register(providers[0], event, 1)
    _register(providers[1], event, 1)
    with pytest.raises(ValidationFailed):
        ops.cancel_event(organiser, event, reason=" ")
    ops.cancel_event(organiser, event, reason="场地临时检修")
    db.session.commit()
    for user in providers[:2]:
        assert "event.cancelled" in _kinds(user)
    assert "event.cancelled" not in _kinds(providers[2])


def test_event_times_are_checked(organiser):
    start = utcnow() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as exc:
        ops.create_event(organiser, event_values(starts_at=start, ends_at=start - timedelta(hours=1),
                                                 registration_deadline=start + timedelta(hours=1)))
    assert set(exc.value.fields) == {"ends_at", "registration_deadline"}


def test_draft_challenges_cannot_be_linked(organiser, dept_challenge_draft):
    with pytest.raises(ValidationFailed) as exc:
        ops.create_event(organiser, event_values(challenge_ids=[dept_challenge_draft.id]))
    assert "challenge_ids" in exc.value.fields


@pytest.fixture
def dept_challenge_draft(organiser):
    from marketplace.challenges import operations as challenge_ops
    from tests.challenges.conftest import challenge_values

    challenge = challenge_ops.create_challenge(organiser, challenge_values())
    db.session.commit()
    return challenge


def test_reminders_the_day_before_once(make_event, providers):
    soon = make_event()
    move_event(soon, starts_at=utcnow() + timedelta(hours=20), ends_at=utcnow() + timedelta(hours=22),
               registration_deadline=utcnow() + timedelta(hours=1))
    later = make_event(title="远期路演")
    _register(providers[0], soon, 1)
    _register(providers[1], later, 1)
    assert ops.remind_upcoming_events() == 1
    db.session.commit()
    assert ops.remind_upcoming_events() == 0
    assert _kinds(providers[0]).count("event.reminder") == 1
    assert "event.reminder" not in _kinds(providers[1])
    # A day later the other event is due, once.
    assert ops.remind_upcoming_events(now=utcnow() + timedelta(days=1, hours=12)) == 1
