"""Challenge lifecycle (DOMAIN.md step 2), one table:

draft → pending_review → published → closed → evaluating → racing (only with >1 slot) → notice
→ awarded; pending_review → draft (returned); published → cancelled (撤榜); closed → failed
(流标); notice → evaluating (an objection upheld); awarded → notice (递补: the winner withdrew or was
disqualified before the contract, the next-ranked entry is put to a new notice).
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class ChallengeState(LabeledEnum):
    draft = "draft", "草稿"
    pending_review = "pending_review", "待审核"
    published = "published", "征集中"
    closed = "closed", "已截止"
    evaluating = "evaluating", "评审中"
    racing = "racing", "赛马中"
    notice = "notice", "公示中"
    awarded = "awarded", "已挂帅"
    cancelled = "cancelled", "已撤榜"
    failed = "failed", "流标"


ACTIONS = {
    "submit_for_review": "提交审核",
    "approve": "审核通过并发布",
    "return": "退回修改",
    "cancel": "撤榜",
    "close": "截止",
    "fail": "流标",
    "start_evaluation": "开始评审",
    "start_race": "进入赛马",
    "publish_notice": "发布公示",
    "uphold_objection": "异议成立，重新评审",
    "award": "挂帅",
    "substitute": "递补公示",
}

S = ChallengeState
CHALLENGE_MACHINE = StateMachine(
    "challenge",
    states=set(ChallengeState),
    actions=ACTIONS,
    transitions={
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
        (S.awarded, "substitute"): S.notice,
    },
)

# Seen by the public (and searchable once search lands).
PUBLIC_STATES = (S.published, S.closed, S.evaluating, S.racing, S.notice, S.awarded, S.failed, S.cancelled)
# Listed by default on the public challenge list (cancelled ones only when asked for).
LISTED_STATES = (S.published, S.closed, S.evaluating, S.racing, S.notice, S.awarded, S.failed)
# After the deadline: entries are unsealed for the department and admin.
AFTER_DEADLINE_STATES = (S.closed, S.evaluating, S.racing, S.notice, S.awarded, S.failed)
