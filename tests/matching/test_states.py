"""Every (state, action) pair of the invitation table: allowed ones move, the rest refuse."""

import pytest

from marketplace.core.errors import InvalidTransition
from marketplace.matching.states import INVITATION_MACHINE, InvitationState

EXPECTED = {(InvitationState.invited, "open"): InvitationState.opened}


@pytest.mark.parametrize("state", list(InvitationState))
@pytest.mark.parametrize("action", list(INVITATION_MACHINE.actions))
def test_every_pair(state, action):
    if (state, action) in EXPECTED:
        assert INVITATION_MACHINE.target(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(InvalidTransition):
            INVITATION_MACHINE.target(state, action)
