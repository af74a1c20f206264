"""The entry lifecycle (submissions/states.py) and the pilot → main project kind, each one
transition table, every (state, action) pair checked against the table written out here."""

import itertools
import re

import pytest

from marketplace.core.errors import InvalidTransition
from marketplace.projects.states import KIND_MACHINE, ProjectKind
from marketplace.submissions.states import SUBMISSION_MACHINE, SubmissionState

CHINESE = re.compile("[\u4e00-\u9fff]")
S = SubmissionState

# submitted → withdrawn (by its provider) | excluded (delisted at the close); both final.
SUBMISSION_EXPECTED = {(S.submitted, "withdraw"): S.withdrawn, (S.submitted, "exclude"): S.excluded}
# A pilot becomes the main project once, when its racer wins.
KIND_EXPECTED = {(ProjectKind.pilot, "promote"): ProjectKind.main}

MACHINES = [("submission", SUBMISSION_MACHINE, SubmissionState, SUBMISSION_EXPECTED),
            ("project_kind", KIND_MACHINE, ProjectKind, KIND_EXPECTED)]
PAIRS = [(name, machine, expected, state, action) for name, machine, states, expected in MACHINES
         for state, action in itertools.product(list(states), sorted(machine.actions))]


@pytest.mark.parametrize(("name", "machine", "states", "expected"), MACHINES, ids=[m[0] for m in MACHINES])
def test_table_has_exactly_the_domain_transitions(name, machine, states, expected):
    assert set(machine.states) == set(states)
    assert machine.transitions == expected
    for label in [*machine.actions.values(), *(s.label for s in states)]:
        assert CHINESE.search(label)


@pytest.mark.parametrize(("name", "machine", "expected", "state", "action"), PAIRS,
                         ids=[f"{p[0]}-{p[3].value}-{p[4]}" for p in PAIRS])
def test_every_state_action_pair(name, machine, expected, state, action):
    if (state, action) in expected:
        assert machine.allowed(state, action) and machine.target(state, action) == expected[(state, action)]
    else:
        assert not machine.allowed(state, action)
        with pytest.raises(InvalidTransition) as error:
            machine.target(state, action)
        assert state.label in error.value.message and CHINESE.search(error.value.message)
