"""Objection lifecycle (异议): pending → dismissed | upheld. Each objection is answered once."""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class ObjectionState(LabeledEnum):
    pending = "pending", "待处理"
    dismissed = "dismissed", "驳回"
    upheld = "upheld", "异议成立"


OBJECTION_ACTIONS = {"dismiss": "驳回异议", "uphold": "支持异议"}
OBJECTION_MACHINE = StateMachine(
    "objection",
    states=set(ObjectionState),
    actions=OBJECTION_ACTIONS,
    transitions={
        (ObjectionState.pending, "dismiss"): ObjectionState.dismissed,
        (ObjectionState.pending, "uphold"): ObjectionState.upheld,
    },
)
