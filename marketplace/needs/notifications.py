"""Who is told what when a need moves: subscribers to events.py, each writing inbox messages
(and emails after commit) through the notifications area."""

from marketplace.needs import events
from marketplace.notifications.operations import admins, notify, organisation_users


def _link(need):
    return f"/needs/{need.id}"


@events.need_submitted.connect
def _submitted(need, actor=None, resubmitted=False, **_):
    if resubmitted:
        title, body = "退回的场景需求已重新提交", f"{need.submitter.name} 修改并重新提交了需求“{need.title}”。"
    else:
        title, body = "新的场景需求待审查", f"{need.submitter.name} 提交了场景需求“{need.title}”（{need.domain}）。"
    notify(admins(), "need.submitted", title, body, link=_link(need))


@events.need_accepted.connect
def _accepted(need, actor=None, **_):
    note = f"审查意见：{need.feedback}" if need.feedback else ""
    notify(organisation_users(need.submitter_id), "need.accepted", "场景需求已受理",
           f"需求“{need.title}”已通过形式审查，责任单位：{need.assignee.name}。{note}", link=_link(need))
    if need.assignee_id != need.submitter_id:
        notify(organisation_users(need.assignee_id), "need.assigned", "有场景需求交由本单位负责",
               f"{need.submitter.name} 提出的需求“{need.title}”已受理，由本单位作为责任单位办理。{note}",
               link=_link(need))


@events.need_returned.connect
def _returned(need, actor=None, **_):
    notify(organisation_users(need.submitter_id), "need.returned", "场景需求被退回修改",
           f"需求“{need.title}”需要补充修改：{need.feedback}", link=_link(need))


@events.need_rejected.connect
def _rejected(need, actor=None, **_):
    notify(organisation_users(need.submitter_id), "need.rejected", "场景需求未被采纳",
           f"需求“{need.title}”未被采纳。理由：{need.feedback}", link=_link(need))


@events.need_merged.connect
def _merged(need, actor=None, into=None, **_):
    notify(organisation_users(need.submitter_id), "need.merged", "场景需求已合并办理",
           f"需求“{need.title}”与“{into.title}”雷同，已合并到后者办理，可在该需求页面跟踪进展。",
           link=_link(into))
    if into.submitter_id != need.submitter_id:
        notify(organisation_users(into.submitter_id), "need.merged_into", "有雷同需求并入本单位的需求",
               f"{need.submitter.name} 提出的“{need.title}”已并入需求“{into.title}”。", link=_link(into))


@events.batch_published.connect
def _batch_published(batch, actor=None, needs=(), **_):
    from marketplace.needs.queries import subscriptions

    link = f"/needs?batch={batch.id}"
    for need in needs:
        units = {need.submitter_id, need.assignee_id}
        notify([u for org in units for u in organisation_users(org)], "need.published", "场景需求已发布",
               f"需求“{need.title}”已列入{batch.title}并公开发布。", link=_link(need))
    # One message per subscriber per batch, whatever the number of its domains in it.
    for user, domains in subscriptions({need.domain for need in needs}):
        notify([user], "need_batch.published", f"{batch.title}已发布",
               f"清单包含您关注的领域（{'、'.join(domains)}）的场景需求，欢迎提前准备方案。", link=link)


@events.need_converted.connect
def _converted(need, actor=None, challenge=None, **_):
    body = f"需求“{need.title}”已由{need.assignee.name}转为榜单草稿，发布后可在需求页面查看。"
    notify([*organisation_users(need.submitter_id), *admins()], "need.converted", "场景需求已转为榜单", body,
           link=_link(need))
