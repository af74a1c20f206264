"""Who hears of the notice, objections and the award: subscribers turning notice events into
notices. Connected by the workflow (marketplace/workflow.py)."""

from marketplace.core.timeutil import format_datetime
from marketplace.core.urls import link_for
from marketplace.notices import events
from marketplace.notifications.operations import admins, notify, organisation_users
from marketplace.submissions.queries import entrant_users


def _notice_link(challenge):
    return link_for("notices.notice", challenge_id=challenge.id)


def on_notice_published(challenge, *, notice, **_):
    winner = notice.ranking[0]["provider_name"] if notice.ranking else ""
    until = f"公示期至 {format_datetime(notice.ends_at)}" if notice.ends_at else "公示期由平台确认结束"
    notify([*entrant_users(challenge), *organisation_users(challenge.department_id)], "notice.published",
           "评审结果公示", f"榜单“{challenge.title}”的评审结果已公示，拟挂帅单位：{winner}。{until}。"
           "如有异议，请在公示期内提出。", link=_notice_link(challenge))


def on_objection_lodged(objection, **_):
    challenge = objection.challenge
    notify(admins(), "objection.lodged", "收到公示异议", f"榜单“{challenge.title}”收到一条异议，请及时处理。",
           link=_notice_link(challenge))


def objection_resolved(objection):
    """The written answer to the objector (书面答复), with the public reason."""
    challenge = objection.challenge
    notify(organisation_users(objection.provider_id), "objection.resolved", "异议处理结果",
           f"您对榜单“{challenge.title}”提出的异议已处理：{objection.state.label}。说明：{objection.resolution_note}",
           link=_notice_link(challenge))


def on_objection_dismissed(objection, **_):
    objection_resolved(objection)


def awarded(challenge, *, winner, project):
    """One notice per person for one award: the winner learns of its project here (the project
    was created without its own notice), the department and the other entrants of the result."""
    winner_users = organisation_users(winner.provider_id)
    notify(winner_users, "challenge.awarded", "恭喜挂帅",
           f"贵单位在榜单“{challenge.title}”中挂帅，项目已进入重点项目库。",
           link=link_for("projects.detail", project_id=project.id))
    notify(organisation_users(challenge.department_id), "project.created", "新项目已进入项目库",
           f"榜单“{challenge.title}”已确认挂帅单位：{winner.provider.name}，项目已进入重点项目库（申报阶段）。",
           link=link_for("projects.detail", project_id=project.id))
    winners = {u.id for u in winner_users}
    others = [u for u in entrant_users(challenge) if u.id not in winners]
    notify(others, "challenge.result", "榜单结果", f"榜单“{challenge.title}”已确认挂帅单位：{winner.provider.name}。",
           link=_notice_link(challenge))


def substituted(challenge, *, notice, withdrawn, substitute):
    """递补公示, one notice per person: the withdrawn winner (with the reason), the substitute, and
    the department and every other participant."""
    from marketplace.notices.operations import SUBSTITUTE_CAUSES

    cause = SUBSTITUTE_CAUSES[notice.substitute_cause]
    until = f"公示期至 {format_datetime(notice.ends_at)}" if notice.ends_at else "公示期由平台确认结束"
    link = _notice_link(challenge)
    withdrawn_users = organisation_users(withdrawn.provider_id)
    substitute_users = organisation_users(substitute.provider_id)
    notify(withdrawn_users, "notice.substitute", "挂帅资格已取消",
           f"贵单位在榜单“{challenge.title}”中的挂帅资格已取消（{cause}）。理由：{notice.substitute_reason}。"
           "相应项目已终止，榜单递补下一名候选单位并重新公示。", link=link)
    notify(substitute_users, "notice.substitute", "递补为拟挂帅单位",
           f"榜单“{challenge.title}”原挂帅单位{cause}，贵单位作为排名下一位的候选单位递补为拟挂帅单位，"
           f"现予公示。{until}。", link=link)
    told = {u.id for u in [*withdrawn_users, *substitute_users]}
    others = [u for u in [*entrant_users(challenge), *organisation_users(challenge.department_id)] if u.id not in told]
    notify(others, "notice.substitute", "递补公示",
           f"榜单“{challenge.title}”原挂帅单位{withdrawn.provider.name}{cause}（{notice.substitute_reason}），"
           f"递补 {substitute.provider.name} 为拟挂帅单位，现予公示。{until}。如有异议，请在公示期内提出。", link=link)


SUBSCRIPTIONS = [
    (events.notice_published, on_notice_published),
    (events.objection_lodged, on_objection_lodged),
    (events.objection_dismissed, on_objection_dismissed),
]
