"""The challenge lifecycle is one transition table (DOMAIN.md step 2): every (state, action) pair."""

import itertools

import pytest

from marketplace.challenges.states import ACTIONS, CHALLENGE_MACHINE, ChallengeState
from marketplace.core.errors import InvalidTransition
from tests.challenges.conftest import has_chinese

S = ChallengeState


@pytest.fixture(autouse=True)
def _clean():
    """Overrides the root fixture for this module: these tests never touch the database, so there
    is nothing to wipe (a wipe per parameter costs more than the whole table check)."""
    yield


# Written out from DOMAIN.md, not copied from the code under test.
EXPECTED = {
    (S.draft, "submit_for_review"): S.pending_review,
    (S.pending_review, "approve"): S.published,
    (S.pending_review, "return"): S.draft,
    (S.published, "cancel"): S.cancelled,
    (S.published, "close"): S.closed,
    (S.closed, "fail"): S.failed,
    (S.closed, "start_evaluation"): S.evaluating,
    (S.evaluating, "start_race"): S.racing,
    (S.evaluating, "publish_notice"): S.notice,
    (S.racing, "publish_notice"): S.notice,
    (S.notice, "uphold_objection"): S.evaluating,
    (S.notice, "award"): S.awarded,
    (S.awarded, "substitute"): S.notice,  # 递补: the winner withdrew before the contract
}
PAIRS = list(itertools.product(list(ChallengeState), sorted(ACTIONS)))


def test_states_and_actions_are_the_domain_ones():
    assert {s.value for s in ChallengeState} == {
        "draft", "pending_review", "published", "closed", "evaluating", "racing", "notice", "awarded",
        "cancelled", "failed"}
    assert set(ACTIONS) == {action for _, action in EXPECTED}
    assert all(has_chinese(label) for label in ACTIONS.values())
    assert all(has_chinese(state.label) for state in ChallengeState)
    assert CHALLENGE_MACHINE.transitions == EXPECTED


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a}" for s, a in PAIRS])
def test_every_state_action_pair(state, action):
    if (state, action) in EXPECTED:
        assert CHALLENGE_MACHINE.allowed(state, action)
        assert CHALLENGE_MACHINE.target(state, action) == EXPECTED[(state, action)]
    else:
        assert not CHALLENGE_MACHINE.allowed(state, action)
        with pytest.raises(InvalidTransition) as info:
            CHALLENGE_MACHINE.target(state, action)
        assert info.value.status == 409
        assert has_chinese(info.value.message)
        assert state.label in info.value.message


def test_terminal_states_have_no_way_out():
    for state in (S.cancelled, S.failed):
        assert CHALLENGE_MACHINE.actions_from(state) == []
    # An award is final except for 递补 (a new notice for the next-ranked entry).
    assert CHALLENGE_MACHINE.actions_from(S.awarded) == ["substitute"]
