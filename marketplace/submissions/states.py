"""Entry (揭榜方案) lifecycle, one table:

submitted → withdrawn (by its provider, before the deadline); submitted → excluded (at the close,
when its provider was suspended or removed from the partner list). Both ends are final. Editing
a submitted entry makes a new version and keeps the state.
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class SubmissionState(LabeledEnum):
    submitted = "submitted", "已提交"
    withdrawn = "withdrawn", "已撤回"
    # At the close, the entry of a provider then suspended or removed from the partner list is
    # not counted and not evaluated (it stays visible to its provider, with the reason).
    excluded = "excluded", "未计入"


S = SubmissionState
SUBMISSION_ACTIONS = {"withdraw": "撤回方案", "exclude": "不计入有效方案"}

SUBMISSION_MACHINE = StateMachine(
    "submission",
    states=set(SubmissionState),
    actions=SUBMISSION_ACTIONS,
    transitions={
        (S.submitted, "withdraw"): S.withdrawn,
        (S.submitted, "exclude"): S.excluded,
    },
)
