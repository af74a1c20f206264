"""Every (state, action) pair of the event and registration tables."""

import pytest

from marketplace.core.errors import InvalidTransition
from marketplace.meetings.states import (
    EVENT_MACHINE,
    REGISTRATION_MACHINE,
    EventState,
    RegistrationState,
)

E, R = EventState, RegistrationState
EVENT = {(E.draft, "publish"): E.published, (E.draft, "cancel"): E.cancelled, (E.published, "cancel"): E.cancelled}
REGISTRATION = {
    (R.pending, "approve"): R.registered, (R.pending, "reject"): R.rejected,
    (R.waitlisted, "promote"): R.registered, (R.waitlisted, "promote_for_review"): R.pending,
    (R.registered, "check_in"): R.attended,
    (R.pending, "cancel"): R.cancelled, (R.registered, "cancel"): R.cancelled, (R.waitlisted, "cancel"): R.cancelled,
}


@pytest.mark.parametrize("state", list(EventState))
@pytest.mark.parametrize("action", list(EVENT_MACHINE.actions))
def test_event_pairs(state, action):
    if (state, action) in EVENT:
        assert EVENT_MACHINE.target(state, action) == EVENT[(state, action)]
    else:
        with pytest.raises(InvalidTransition):
            EVENT_MACHINE.target(state, action)


@pytest.mark.parametrize("state", list(RegistrationState))
@pytest.mark.parametrize("action", list(REGISTRATION_MACHINE.actions))
def test_registration_pairs(state, action):
    if (state, action) in REGISTRATION:
        assert REGISTRATION_MACHINE.target(state, action) == REGISTRATION[(state, action)]
    else:
        with pytest.raises(InvalidTransition):
            REGISTRATION_MACHINE.target(state, action)
