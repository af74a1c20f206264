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


# The project area's smaller lifecycles, checked the same way.
from marketplace.projects.states import (  # noqa: E402
    ACCEPTANCE_MACHINE,
    MILESTONE_MACHINE,
    REPORT_MACHINE,
    AcceptanceStatus,
    MilestoneStatus,
    ReportStatus,
)

PROJECT_PARTS = [
    (MILESTONE_MACHINE, MilestoneStatus, {(MilestoneStatus.open, "complete"): MilestoneStatus.completed}),
    (REPORT_MACHINE, ReportStatus, {(ReportStatus.submitted, "confirm"): ReportStatus.confirmed,
                                    (ReportStatus.submitted, "return"): ReportStatus.returned}),
    (ACCEPTANCE_MACHINE, AcceptanceStatus, {(AcceptanceStatus.open, "conclude"): AcceptanceStatus.concluded}),
]
PROJECT_PAIRS = [(machine, expected, state, action) for machine, states, expected in PROJECT_PARTS
                 for state, action in itertools.product(list(states), sorted(machine.actions))]


@pytest.mark.parametrize(("machine", "expected", "state", "action"), PROJECT_PAIRS,
                         ids=[f"{p[0].name}-{p[2].value}-{p[3]}" for p in PROJECT_PAIRS])
def test_every_project_part_pair(machine, expected, state, action):
    assert machine.transitions == expected
    if (state, action) in expected:
        assert machine.target(state, action) == expected[(state, action)]
    else:
        with pytest.raises(InvalidTransition):
            machine.target(state, action)
        assert CHINESE.search(machine.actions[action])
