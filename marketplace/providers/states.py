"""Partner-list lifecycle (伙伴清单), exactly as the domain brief gives it:

applied → admitted | rejected;  admitted ⇄ suspended;  admitted → expired | removed.
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class PartnerState(LabeledEnum):
    applied = "applied", "待审核"
    admitted = "admitted", "已入库"
    rejected = "rejected", "未通过"
    suspended = "suspended", "已暂停"
    expired = "expired", "已过期"
    removed = "removed", "已移出"


ACTIONS = {
    "admit": "准入",
    "reject": "驳回",
    "suspend": "暂停",
    "reinstate": "恢复",
    "expire": "到期",
    "remove": "移出清单",
}

S = PartnerState
PARTNER_MACHINE = StateMachine(
    "partner_application",
    states=set(PartnerState),
    actions=ACTIONS,
    transitions={
        (S.applied, "admit"): S.admitted,
        (S.applied, "reject"): S.rejected,
        (S.admitted, "suspend"): S.suspended,
        (S.suspended, "reinstate"): S.admitted,
        (S.admitted, "expire"): S.expired,
        (S.admitted, "remove"): S.removed,
    },
)

# An organisation has at most one application in these states (a partial unique index too).
LIVE_STATES = (S.applied, S.admitted, S.suspended)
# After these, the provider may apply again.
REAPPLY_STATES = (S.rejected, S.expired, S.removed)
