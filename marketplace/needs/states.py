"""Need lifecycle (DOMAIN.md "The rest of the chain"), one table:

submitted → accepted | returned | rejected | merged; returned → submitted (revised and resubmitted);
accepted → published (its batch is published) → converted (a challenge draft made from it);
accepted → converted (the assignee did not wait for a batch).
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class NeedState(LabeledEnum):
    submitted = "submitted", "待审查"
    returned = "returned", "退回修改"
    accepted = "accepted", "已受理"
    rejected = "rejected", "未采纳"
    merged = "merged", "已合并"
    published = "published", "已发布"
    converted = "converted", "已转为榜单"


ACTIONS = {
    "accept": "受理",
    "return": "退回修改",
    "reject": "不予采纳",
    "merge": "合并到其他需求",
    "resubmit": "重新提交",
    "publish": "发布",
    "convert": "转为榜单",
}

S = NeedState
NEED_MACHINE = StateMachine(
    "need",
    states=set(NeedState),
    actions=ACTIONS,
    transitions={
        (S.submitted, "accept"): S.accepted,
        (S.submitted, "return"): S.returned,
        (S.submitted, "reject"): S.rejected,
        (S.submitted, "merge"): S.merged,
        (S.returned, "resubmit"): S.submitted,
        (S.accepted, "publish"): S.published,
        (S.published, "convert"): S.converted,
        (S.accepted, "convert"): S.converted,
    },
)

# Still waiting for the office.
OPEN_STATES = (S.submitted, S.returned)
# What a duplicate may be merged into: a need that lives on.
SURVIVOR_STATES = (S.submitted, S.accepted, S.published, S.converted)
# An assignee department may turn these into a challenge draft.
CONVERTIBLE_STATES = (S.accepted, S.published)
