"""Who is told what: an invited provider's users, and the users following a domain when a
challenge in it is published (once per publication, however many of its domains they follow)."""

from marketplace.challenges import events as challenge_events
from marketplace.core.timeutil import format_datetime
from marketplace.matching import events
from marketplace.notifications.operations import notify, organisation_users


@events.provider_invited.connect
def _invited(invitation, actor=None, **_):
    challenge = invitation.challenge
    notify(organisation_users(invitation.provider_id), "invitation.created", "发榜单位邀请您揭榜",
           f"{challenge.department.name}邀请贵单位参与榜单“{challenge.title}”，揭榜截止时间 "
           f"{format_datetime(challenge.deadline)}（北京时间）。", link=f"/invitations/{invitation.id}")


@challenge_events.approved.connect  # approval publishes the challenge
def _published(challenge, actor=None, **_):
    from marketplace.needs.queries import subscriptions

    domains = {challenge.domain, *challenge.required_domains}
    for user, followed in subscriptions(domains):
        notify([user], "challenge.published_subscribed", "您关注的领域有新榜单发布",
               f"榜单“{challenge.title}”（{'、'.join(followed)}）已发布，揭榜截止时间 "
               f"{format_datetime(challenge.deadline)}（北京时间）。", link=f"/challenges/{challenge.id}")
