"""Who hears of what happens to a project: subscribers turning project events (events.py) into
notices. Connected by the workflow (marketplace/workflow.py). One act, one notice per person:
`notify` removes duplicates within one call, so each act makes one call per message.
"""

from marketplace.accounts.models import User
from marketplace.core.money import format_yuan
from marketplace.core.urls import link_for
from marketplace.extensions import db
from marketplace.notifications.operations import admins, notify, organisation_users
from marketplace.projects import events
from marketplace.projects.states import GATE_ROLES, Conclusion, MilestoneStatus, next_stage


def _link(project):
    return link_for("projects.detail", project_id=project.id)


def _stakeholders(project):
    users = list(organisation_users(project.department_id))
    if project.provider_id:
        users.extend(organisation_users(project.provider_id))
    return users


def _provider_users(project):
    return organisation_users(project.provider_id) if project.provider_id else []


def _gate_approvers(project):
    roles = GATE_ROLES.get(project.stage, ())
    return [*(organisation_users(project.department_id) if "department" in roles else []),
            *(admins() if "admin" in roles else [])]


def on_project_created(project, *, from_award=False, **_):
    if from_award:  # the award notice (notices/notifications.py) already tells everyone
        return
    notify(_stakeholders(project), "project.created", "新项目已进入项目库",
           f"项目“{project.title}”已进入重点项目库（申报阶段），批复预算 {format_yuan(project.approved_fen)} 元。",
           link=_link(project))


def on_provider_assigned(project, **_):
    notify(organisation_users(project.provider_id), "project.assigned", "贵单位被确定为项目承建单位",
           f"项目“{project.title}”确定由贵单位承建。", link=_link(project))


def on_gate_approved(project, *, waiting_for, **_):
    if "admin" in waiting_for:
        notify(admins(), "project.gate_pending", "项目关口待平台审批",
               f"项目“{project.title}”的“{project.stage.label}”关口已由发榜单位审批，待平台管理员审批。",
               link=_link(project))
    else:
        notify(organisation_users(project.department_id), "project.gate_pending", "项目关口待发榜单位审批",
               f"项目“{project.title}”的“{project.stage.label}”关口已由平台审批，待发榜单位审批。",
               link=_link(project))


def on_project_advanced(project, *, left, **_):
    roles = GATE_ROLES.get(left, ())
    notify([*_stakeholders(project), *(admins() if "admin" in roles else [])], "project.advanced",
           f"项目进入“{project.stage.label}”阶段",
           f"项目“{project.title}”已通过“{left.label}”关口，进入“{project.stage.label}”阶段。", link=_link(project))


def on_gate_requested(request, *, actor, **_):
    project = request.project
    nxt = next_stage(project.stage)
    notify([u for u in _gate_approvers(project) if u.id != actor.id], "project.gate_requested",
           "项目申请进入下一阶段",
           f"项目“{project.title}”申请通过“{project.stage.label}”关口，进入“{nxt.label}”阶段，请审批。",
           link=_link(project))


def on_gate_returned(request, *, reason, **_):
    """The requester's organisation and the department are told why."""
    project = request.project
    requester = db.session.get(User, request.requested_by_id)
    org_ids = {project.department_id, getattr(requester, "organisation_id", None)}
    recipients = [u for org_id in org_ids if org_id for u in organisation_users(org_id)]
    notify(recipients, "project.gate_returned", "关口申请被退回",
           f"项目“{project.title}”进入下一阶段的申请被退回（{project.stage.label}阶段）。理由：{reason}",
           link=_link(project))


def on_project_terminated(project, *, reason, **_):
    notify(_stakeholders(project), "project.terminated", "项目已终止",
           f"项目“{project.title}”已被终止。理由：{reason}", link=_link(project))


def on_milestone_added(milestone, **_):
    project = milestone.project
    notify([milestone.owner], "milestone.assigned", "您被指定为项目里程碑负责人",
           f"项目“{project.title}”的里程碑“{milestone.title}”，截止日期 {milestone.due_date.isoformat()}。",
           link=_link(project))


def on_milestone_due_soon(milestone, *, days, **_):
    notify([milestone.owner], "milestone.due_soon", "里程碑即将到期",
           f"项目“{milestone.project.title}”的里程碑“{milestone.title}”将于 {milestone.due_date.isoformat()} 到期"
           f"（还有 {days} 天）。", link=_link(milestone.project))


def on_milestone_overdue(milestone, **_):
    notify([milestone.owner, *organisation_users(milestone.project.department_id)], "milestone.overdue",
           "里程碑已逾期",
           f"项目“{milestone.project.title}”的里程碑“{milestone.title}”已于 {milestone.due_date.isoformat()} 到期，"
           "尚未确认完成。", link=_link(milestone.project))


def on_report_submitted(report, **_):
    project, milestone = report.project, report.milestone
    notify(organisation_users(project.department_id), "report.submitted", "收到新的进度报告",
           f"项目“{project.title}”里程碑“{milestone.title}”：进度 {report.percent}%。", link=_link(project))


def on_report_confirmed(report, **_):
    milestone = report.milestone
    notify([*_provider_users(report.project), milestone.owner], "report.confirmed", "进度报告已确认",
           f"里程碑“{milestone.title}”的进度报告（{report.percent}%）已确认"
           f"{'，里程碑已完成' if milestone.status == MilestoneStatus.completed else ''}。",
           link=_link(report.project))


def on_report_returned(report, *, reason, **_):
    notify(_provider_users(report.project), "report.returned", "进度报告被退回",
           f"里程碑“{report.milestone.title}”的进度报告被退回。理由：{reason}", link=_link(report.project))


def on_payment_recorded(project, *, payment, **_):
    notify(_stakeholders(project), "project.payment", "项目付款已登记",
           f"项目“{project.title}”登记付款 {format_yuan(payment.amount_fen)} 元，累计已付 {format_yuan(project.paid_fen)} 元"
           f" / 批复 {format_yuan(project.approved_fen)} 元。", link=_link(project))


def on_payment_voided(project, *, payment, reason, **_):
    notify(_stakeholders(project), "project.payment_voided", "项目付款已作废",
           f"项目“{project.title}”的一笔付款 {format_yuan(payment.amount_fen)} 元"
           f"{f'（凭证号 {payment.voucher_no}）' if payment.voucher_no else ''}已作废，累计已付 "
           f"{format_yuan(project.paid_fen)} 元。理由：{reason}", link=_link(project))


def on_acceptance_convened(acceptance, *, panel, concluded, **_):
    """The panel: asked to sign the conclusion the convener entered, or to take part."""
    project = acceptance.project
    link = link_for("projects.acceptance", acceptance_id=acceptance.id)
    if concluded:
        notify(panel, "acceptance.sign_requested", "请签署验收记录",
               f"项目“{project.title}”第 {acceptance.attempt} 次验收的结论（{acceptance.conclusion.label}）已登记，"
               "请核对并签署，如有不同意见请填写保留意见。", link=link)
    else:
        notify(panel, "acceptance.invited", "请参加项目验收",
               f"您被邀请参加项目“{project.title}”的验收，请逐项填写验收清单并签署结论。", link=link)


def on_acceptance_concluded(acceptance, **_):
    """pass → 运营; conditional → 整改 by the deadline; fail → the findings. The project's
    department, its provider and the platform admins are told."""
    project = acceptance.project
    if acceptance.conclusion == Conclusion.passed:
        title, body = "项目验收通过", f"项目“{project.title}”验收通过，进入运营阶段。"
    elif acceptance.conclusion == Conclusion.conditional:
        title = "项目有条件通过验收，须整改"
        body = (f"项目“{project.title}”有条件通过验收，请于 {acceptance.rectify_by.isoformat()} 前完成整改，"
                "之后进行复验。")
    else:
        title, body = "项目验收未通过", f"项目“{project.title}”验收未通过。问题：{acceptance.findings}"
    notify([*_stakeholders(project), *admins()], "acceptance.concluded", title, body, link=_link(project))


SUBSCRIPTIONS = [
    (events.project_created, on_project_created),
    (events.provider_assigned, on_provider_assigned),
    (events.gate_approved, on_gate_approved),
    (events.project_advanced, on_project_advanced),
    (events.gate_requested, on_gate_requested),
    (events.gate_returned, on_gate_returned),
    (events.project_terminated, on_project_terminated),
    (events.milestone_added, on_milestone_added),
    (events.milestone_due_soon, on_milestone_due_soon),
    (events.milestone_overdue, on_milestone_overdue),
    (events.report_submitted, on_report_submitted),
    (events.report_confirmed, on_report_confirmed),
    (events.report_returned, on_report_returned),
    (events.payment_recorded, on_payment_recorded),
    (events.payment_voided, on_payment_voided),
    (events.acceptance_convened, on_acceptance_convened),
    (events.acceptance_concluded, on_acceptance_concluded),
]
