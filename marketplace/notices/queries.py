"""Read side of the notice: where an entry stands in its challenge, for its provider."""

import sqlalchemy as sa

from marketplace.challenges.states import ChallengeState
from marketplace.extensions import db
from marketplace.notices.operations import current_notice, replaced_submission_ids
from marketplace.review.models import EvaluationRound, RoundEntry
from marketplace.review.states import RoundStatus

STAGES = {
    "submitted": "已提交",
    "under_review": "评审中",
    "racing": "进入赛马",
    "eliminated": "未晋级",
    "proposed_winner": "拟挂帅（公示中）",
    "not_selected": "未中选",
    "winner": "挂帅",
    "replaced": "挂帅资格取消（已递补）",
    "withdrawn": "已撤回",
}


def entry_stage(submission):
    """(code, label) of where an entry stands in the challenge, for its provider."""
    challenge = submission.challenge
    if submission.state.value == "withdrawn":
        code = "withdrawn"
    elif challenge.state == ChallengeState.published:
        code = "submitted"
    else:
        # Only published rounds count: results under review (待确认) are not the provider's yet.
        closed = db.session.scalars(
            sa.select(RoundEntry).join(EvaluationRound, EvaluationRound.id == RoundEntry.round_id)
            .where(RoundEntry.submission_id == submission.id, RoundEntry.advanced.is_not(None),
                   EvaluationRound.status == RoundStatus.closed)).all()
        notice = current_notice(challenge) if challenge.state in (ChallengeState.notice, ChallengeState.awarded) else None
        if notice is not None and submission.id in replaced_submission_ids(challenge):
            code = "replaced"
        elif notice is not None:
            if notice.winner_submission_id == submission.id:
                code = "winner" if challenge.state == ChallengeState.awarded else "proposed_winner"
            else:
                code = "not_selected"
        elif any(e.advanced is False for e in closed):
            code = "eliminated"
        elif challenge.state == ChallengeState.racing and closed:
            code = "racing"
        else:
            code = "under_review"
    return code, STAGES[code]
