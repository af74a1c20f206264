"""One transition table per lifecycle: {(state, action): new_state}.

Operations look up the target with `StateMachine.target`; only operations assign `.state`.
"""

from marketplace.core.errors import InvalidTransition


class StateMachine:
    def __init__(self, name, states, actions, transitions):
        self.name = name
        self.states = states
        self.actions = actions  # {action: Chinese label}
        self.transitions = dict(transitions)
        for (state, action), target in self.transitions.items():
            assert state in states and target in states and action in actions, (state, action)

    def allowed(self, state, action):
        return (state, action) in self.transitions

    def actions_from(self, state):
        return [action for (s, action) in self.transitions if s == state]

    def target(self, state, action):
        try:
            return self.transitions[(state, action)]
        except KeyError:
            raise InvalidTransition(
                f"当前状态为“{state.label}”，不能执行“{self.actions[action]}”操作"
            ) from None
