"""Invitation lifecycle: invited → opened (a user of the invited provider opened it).

Whether the provider then entered is read from its live entry, not stored twice.
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class InvitationState(LabeledEnum):
    invited = "invited", "已邀请"
    opened = "opened", "已查看"


ACTIONS = {"open": "查看邀请"}

INVITATION_MACHINE = StateMachine(
    "invitation",
    states=set(InvitationState),
    actions=ACTIONS,
    transitions={(InvitationState.invited, "open"): InvitationState.opened},
)
