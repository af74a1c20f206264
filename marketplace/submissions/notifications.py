"""Who hears of an entry: the subscriber turning submission events (events.py) into notices.
Connected by the workflow (marketplace/workflow.py). Entries are sealed: only the entrant's own
organisation is told."""

from marketplace.core.urls import link_for
from marketplace.notifications.operations import notify, organisation_users
from marketplace.submissions import events


def on_entry_submitted(submission, **_):
    notify(organisation_users(submission.provider_id), "submission.received", "揭榜方案已提交",
           f"榜单“{submission.challenge.title}”的方案已收到（第 {submission.version} 版），"
           f"回执编号 {submission.entry_number}。", link=link_for("submissions.detail", submission_id=submission.id))


SUBSCRIPTIONS = [
    (events.entry_submitted, on_entry_submitted),
]
