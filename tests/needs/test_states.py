"""The need transition table, every (state, action) pair."""

import pytest

from marketplace.core.errors import InvalidTransition
from marketplace.needs.states import ACTIONS, NEED_MACHINE, NeedState

S = NeedState
EXPECTED = {
    (S.submitted, "accept"): S.accepted,
    (S.submitted, "return"): S.returned,
    (S.submitted, "reject"): S.rejected,
    (S.submitted, "merge"): S.merged,
    (S.returned, "resubmit"): S.submitted,
    (S.accepted, "publish"): S.published,
    (S.published, "convert"): S.converted,
    (S.accepted, "convert"): S.converted,
}


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_pair(state, action):
    if (state, action) in EXPECTED:
        assert NEED_MACHINE.target(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(InvalidTransition) as exc:
            NEED_MACHINE.target(state, action)
        assert state.label in exc.value.message and ACTIONS[action] in exc.value.message


def test_final_states_have_no_way_out():
    for state in (S.rejected, S.merged, S.converted):
        assert NEED_MACHINE.actions_from(state) == []
