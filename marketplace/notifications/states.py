"""Outgoing-email lifecycle (the transactional outbox):

pending → sent;  pending → pending (a failed attempt, retried later);  pending → failed (gave up).
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class OutboxState(LabeledEnum):
    pending = "pending", "待发送"
    sent = "sent", "已发送"
    failed = "failed", "发送失败"


ACTIONS = {
    "send": "发送成功",
    "retry": "稍后重试",
    "give_up": "放弃发送",
}

S = OutboxState
OUTBOX_MACHINE = StateMachine(
    "email_outbox",
    states=set(OutboxState),
    actions=ACTIONS,
    transitions={
        (S.pending, "send"): S.sent,
        (S.pending, "retry"): S.pending,
        (S.pending, "give_up"): S.failed,
    },
)
