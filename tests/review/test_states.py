"""The evaluation lifecycles: round, score sheet and objection, each one transition table, every
(state, action) pair checked against the table written out here from the domain."""

import itertools
import re

import pytest

from marketplace.core.errors import InvalidTransition
from marketplace.notices.states import OBJECTION_ACTIONS, OBJECTION_MACHINE, ObjectionState
from marketplace.review.states import (
    ROUND_ACTIONS,
    ROUND_MACHINE,
    SHEET_ACTIONS,
    SHEET_MACHINE,
    RoundStatus,
    SheetStatus,
)

CHINESE = re.compile("[\u4e00-\u9fff]")
R, H, OB = RoundStatus, SheetStatus, ObjectionState

# setup → open → review → closed; review → open (a sheet returned); closed → open (objection upheld).
ROUND_EXPECTED = {
    (R.setup, "open"): R.open,
    (R.open, "close"): R.review,
    (R.review, "return_sheet"): R.open,
    (R.review, "publish"): R.closed,
    (R.closed, "reopen"): R.open,
}
# pending → draft → submitted; submitted → draft (returned). Saving a draft again keeps it a draft.
SHEET_EXPECTED = {
    (H.pending, "save"): H.draft,
    (H.draft, "save"): H.draft,
    (H.pending, "submit"): H.submitted,
    (H.draft, "submit"): H.submitted,
    (H.submitted, "return"): H.draft,
}
# pending → dismissed | upheld, once.
OBJECTION_EXPECTED = {
    (OB.pending, "dismiss"): OB.dismissed,
    (OB.pending, "uphold"): OB.upheld,
}

MACHINES = [
    ("round", ROUND_MACHINE, RoundStatus, ROUND_ACTIONS, ROUND_EXPECTED),
    ("sheet", SHEET_MACHINE, SheetStatus, SHEET_ACTIONS, SHEET_EXPECTED),
    ("objection", OBJECTION_MACHINE, ObjectionState, OBJECTION_ACTIONS, OBJECTION_EXPECTED),
]
PAIRS = [(name, machine, expected, state, action)
         for name, machine, states, actions, expected in MACHINES
         for state, action in itertools.product(list(states), sorted(actions))]


@pytest.mark.parametrize(("name", "machine", "states", "actions", "expected"), MACHINES, ids=[m[0] for m in MACHINES])
def test_table_has_exactly_the_domain_transitions(name, machine, states, actions, expected):
    assert set(machine.states) == set(states)
    assert machine.transitions == expected
    for label in [*actions.values(), *(s.label for s in states)]:
        assert CHINESE.search(label)


@pytest.mark.parametrize(("name", "machine", "expected", "state", "action"), PAIRS,
                         ids=[f"{p[0]}-{p[3].value}-{p[4]}" for p in PAIRS])
def test_every_state_action_pair(name, machine, expected, state, action):
    if (state, action) in expected:
        assert machine.allowed(state, action)
        assert machine.target(state, action) == expected[(state, action)]
    else:
        assert not machine.allowed(state, action)
        with pytest.raises(InvalidTransition) as error:
            machine.target(state, action)
        assert state.label in error.value.message and CHINESE.search(error.value.message)
