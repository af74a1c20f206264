"""Who hears of what happens in evaluation: subscribers turning review events into notices.

Connected by the workflow (marketplace/workflow.py).
"""

from marketplace.core.urls import link_for
from marketplace.notifications.operations import admins, notify, organisation_users
from marketplace.review import events


def _sheet_link(round_):
    return link_for("review.sheet", round_id=round_.id)


def on_panel_assigned(round_, *, added, **_):
    notify(added, "round.assigned", "您被选入评审专家组",
           f"榜单“{round_.challenge.title}”第 {round_.position} 轮“{round_.name}”。评审开始后请先签署回避声明。",
           link=_sheet_link(round_))


def on_round_opened(round_, **_):
    from marketplace.review.operations import members

    notify([m.evaluator for m in members(round_)], "round.opened", "评审已开始",
           f"榜单“{round_.challenge.title}”第 {round_.position} 轮“{round_.name}”已开始，请先签署回避声明再评分。",
           link=_sheet_link(round_))


def on_round_closed(round_, **_):
    from marketplace.review.operations import members

    challenge = round_.challenge
    notify([*organisation_users(challenge.department_id), *admins()], "round.review", "评审结果待确认",
           f"榜单“{challenge.title}”第 {round_.position} 轮“{round_.name}”评分已结束，结果待确认、专家签署评审报告后发布。",
           link=link_for("review.results", round_id=round_.id))
    notify([m.evaluator for m in members(round_)], "round.report", "请签署评审报告",
           f"榜单“{challenge.title}”第 {round_.position} 轮“{round_.name}”的评审报告已生成，请审阅并签署。",
           link=link_for("review.report", round_id=round_.id))


def on_sheet_returned(member, *, reason, **_):
    round_ = member.round
    notify([member.evaluator], "round.sheet_returned", "评分表被退回修改",
           f"第 {round_.position} 轮“{round_.name}”的评分表被退回。理由：{reason}", link=_sheet_link(round_))


def on_round_reopened(round_, *, reason, evaluators, **_):
    notify(evaluators, "round.reopened", "评审重新开启",
           f"榜单“{round_.challenge.title}”的异议成立，第 {round_.position} 轮“{round_.name}”重新评审。理由：{reason}",
           link=_sheet_link(round_))


def round_published(round_, *, advanced, eliminated, race_started):
    """Called by the workflow once it has moved the challenge: entrants learn whether they go on
    (unless this was the last round, whose outcome the notice tells), the office that results exist."""
    challenge = round_.challenge
    if not round_.is_last:
        body_out = f"贵单位的方案在“{round_.name}”中未晋级。感谢参与。"
        if race_started:
            title_in, title_out = "入围赛马", "未入围赛马"
            body_in = (f"贵单位的方案在“{round_.name}”中入围，进入赛马阶段。已为贵单位建立试点项目，"
                       "请按统一里程碑开展试点并在项目页报告进度。")
        elif challenge.state.value == "racing":
            title_in, title_out = "赛马晋级", "赛马末位淘汰"
            body_in = f"贵单位在“{round_.name}”中晋级，试点继续。"
            body_out = (f"贵单位在“{round_.name}”中被末位淘汰，试点项目已终止，试点经费按已付金额结清。"
                        "感谢参与。")
        else:
            title_in, title_out = "方案晋级", "方案未晋级"
            body_in = f"贵单位的方案在“{round_.name}”中晋级下一轮评审。"
        for submission in advanced:
            notify(organisation_users(submission.provider_id), "round.advanced", title_in, body_in,
                   link=link_for("submissions.detail", submission_id=submission.id))
        for submission in eliminated:
            notify(organisation_users(submission.provider_id), "round.eliminated", title_out, body_out,
                   link=link_for("submissions.detail", submission_id=submission.id))
    notify([*organisation_users(challenge.department_id), *admins()], "round.closed", "评审轮次已结束",
           f"榜单“{challenge.title}”第 {round_.position} 轮“{round_.name}”结果已生成。",
           link=link_for("review.results", round_id=round_.id))


def on_evaluators_reminded(round_, *, evaluators, owed, due_at=None, **_):
    """The admin's reminder (催办) reaches only the evaluators it names: those still owing the round."""
    from marketplace.core.timeutil import format_datetime

    where = f"榜单“{round_.challenge.title}”第 {round_.position} 轮“{round_.name}”"
    if owed == "sheet":
        due = f"评分期限为 {format_datetime(due_at)}（北京时间），" if due_at else ""
        notify(evaluators, "round.reminder", "请尽快完成评审", f"{where}尚待您签署回避声明并提交评分表。{due}请尽快完成。",
               link=_sheet_link(round_))
    else:
        notify(evaluators, "round.reminder", "请尽快签署评审报告", f"{where}的评审报告尚待您签署（或写明理由拒签）。",
               link=link_for("review.report", round_id=round_.id))


SUBSCRIPTIONS = [
    (events.panel_assigned, on_panel_assigned),
    (events.round_opened, on_round_opened),
    (events.round_closed, on_round_closed),
    (events.sheet_returned, on_sheet_returned),
    (events.round_reopened, on_round_reopened),
    (events.evaluators_reminded, on_evaluators_reminded),
]
