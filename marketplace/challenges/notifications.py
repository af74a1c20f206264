"""Who hears of what happens to a challenge: subscribers turning challenge events into notices.

Connected by the workflow (marketplace/workflow.py). One act, one notice per person: `notify`
removes duplicates within one call, so each act makes exactly one call.
"""

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.challenges import events
from marketplace.challenges.models import ChallengeFollow
from marketplace.core.timeutil import format_datetime
from marketplace.core.urls import link_for
from marketplace.extensions import db
from marketplace.notifications.operations import admins, notify, organisation_users
from marketplace.submissions.queries import entrant_users


def _link(challenge, anchor=None):
    return link_for("challenges.detail", challenge_id=challenge.id, _anchor=anchor)


def follower_users(challenge):
    return db.session.scalars(
        sa.select(User).join(ChallengeFollow, ChallengeFollow.user_id == User.id)
        .where(ChallengeFollow.challenge_id == challenge.id, User.is_active)
    ).all()


def interested_users(challenge):
    return [*follower_users(challenge), *entrant_users(challenge)]


def _department(challenge):
    return organisation_users(challenge.department_id)


def on_submitted_for_review(challenge, **_):
    notify(admins(), "challenge.pending_review", "新的榜单待审核",
           f"{challenge.department.name} 提交了榜单“{challenge.title}”。", link=_link(challenge))


def on_approved(challenge, **_):
    notify(_department(challenge), "challenge.approved", "榜单已审核通过并发布",
           f"榜单“{challenge.title}”已公开发布，揭榜截止时间 {format_datetime(challenge.deadline)}。",
           link=_link(challenge))


def on_returned(challenge, *, reason, **_):
    notify(_department(challenge), "challenge.returned", "榜单被退回修改",
           f"榜单“{challenge.title}”被退回。理由：{reason}", link=_link(challenge))


def on_cancelled(challenge, *, reason, **_):
    notify([*interested_users(challenge), *_department(challenge)], "challenge.cancelled", "榜单已撤销",
           f"榜单“{challenge.title}”已撤榜。理由：{reason}", link=_link(challenge))


def on_deadline_extended(challenge, **_):
    notify(interested_users(challenge), "challenge.extended", "揭榜截止时间已延长",
           f"榜单“{challenge.title}”的截止时间延长至 {format_datetime(challenge.deadline)}（北京时间）。",
           link=_link(challenge))


def on_deadline_soon(challenge, **_):
    notify([*interested_users(challenge), *_department(challenge)], "challenge.deadline_soon", "揭榜即将截止",
           f"榜单“{challenge.title}”将于 {format_datetime(challenge.deadline)}（北京时间）截止。", link=_link(challenge))


def on_question_asked(challenge, **_):
    notify(_department(challenge), "question.asked", "收到新的答疑问题",
           f"榜单“{challenge.title}”收到一个新问题，请及时答复。", link=_link(challenge, "clarifications"))


def on_question_answered(challenge, *, question, **_):
    asker = db.session.get(User, question.asked_by_id)
    notify([*interested_users(challenge), asker], "question.answered", "答疑有新的答复",
           f"榜单“{challenge.title}”发布了新的答疑答复。", link=_link(challenge, "clarifications"))


def closed(challenge, count, excluded=()):
    """Called by the workflow once it has decided whether the close is a 流标. Each entrant gets one
    close notice: those whose entries were excluded (provider suspended or removed) are told why."""
    if challenge.state.value == "failed":
        title = "榜单流标"
        body = (f"榜单“{challenge.title}”截止时收到 {count} 份有效方案，少于要求的 "
                f"{challenge.min_submissions} 份，已流标。")
    else:
        title, body = "榜单已截止", f"榜单“{challenge.title}”已截止，共收到 {count} 份有效方案，进入评审准备。"
    notify([*_department(challenge), *entrant_users(challenge)], "challenge.closed", title, body,
           link=_link(challenge))
    for submission, reason in excluded:
        notify(organisation_users(submission.provider_id), "challenge.closed", title,
               f"榜单“{challenge.title}”已截止。{reason}，贵单位的方案（回执编号 {submission.entry_number}）"
               "未计入有效方案，不参与评审。", link=_link(challenge))


SUBSCRIPTIONS = [
    (events.submitted_for_review, on_submitted_for_review),
    (events.approved, on_approved),
    (events.returned, on_returned),
    (events.cancelled, on_cancelled),
    (events.deadline_extended, on_deadline_extended),
    (events.deadline_soon, on_deadline_soon),
    (events.question_asked, on_question_asked),
    (events.question_answered, on_question_answered),
]
