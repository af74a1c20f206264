"""Evaluation lifecycles, one transition table each.

Round: setup → open → review (results computed, checked by the admin, the report signed) →
closed (published); review → open (a sheet returned); closed → open (an objection upheld).
Sheet: pending → draft → submitted; submitted → draft (returned by the admin, or the round
reopened after an objection).
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class Aggregation(LabeledEnum):
    mean = "mean", "平均分"
    median = "median", "中位数"
    trimmed_mean = "trimmed_mean", "去掉一个最高分和一个最低分后平均"


class RoundStatus(LabeledEnum):
    setup = "setup", "筹备中"
    open = "open", "评审中"
    review = "review", "待确认"
    closed = "closed", "已结束"


ROUND_ACTIONS = {
    "open": "开启评审",
    "close": "结束评分",
    "return_sheet": "退回评分表",
    "publish": "发布结果",
    "reopen": "重新评审",
}

R = RoundStatus
ROUND_MACHINE = StateMachine(
    "round",
    states=set(RoundStatus),
    actions=ROUND_ACTIONS,
    transitions={
        (R.setup, "open"): R.open,
        (R.open, "close"): R.review,
        (R.review, "return_sheet"): R.open,
        (R.review, "publish"): R.closed,
        (R.closed, "reopen"): R.open,
    },
)


class SheetStatus(LabeledEnum):
    pending = "pending", "未开始"
    draft = "draft", "草稿"
    submitted = "submitted", "已提交"


SHEET_ACTIONS = {
    "save": "保存草稿",
    "submit": "提交评分表",
    "return": "退回修改",
}

H = SheetStatus
SHEET_MACHINE = StateMachine(
    "sheet",
    states=set(SheetStatus),
    actions=SHEET_ACTIONS,
    transitions={
        (H.pending, "save"): H.draft,
        (H.draft, "save"): H.draft,
        (H.pending, "submit"): H.submitted,
        (H.draft, "submit"): H.submitted,
        (H.submitted, "return"): H.draft,
    },
)
