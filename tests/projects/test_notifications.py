"""Who hears of what happens to a project (projects/notifications.py, subscribed to the project
events): each act tells exactly the right people, once each, with the message and the link."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.projects import operations as ops
from marketplace.projects.states import ProjectStage
from tests import factories
from tests.projects.conftest import pdf

S = ProjectStage


@pytest.fixture
def people(dept, provider, other_dept, other_provider, admin):
    """Two users in the department and in the provider, and people who are never told."""
    dept_mate = factories.create_user("department", org=dept[0], name="卫健委同事")
    provider_mate = factories.create_user("provider", org=provider[0], name="医联同事")
    second_admin = factories.create_user("admin", name="管理员二")
    db.session.commit()
    return {
        "dept": {dept[1].id, dept_mate.id}, "provider": {provider[1].id, provider_mate.id},
        "admins": {admin.id, second_admin.id}, "bystanders": {other_dept[1].id, other_provider[1].id},
        "dept_user": dept[1], "dept_mate": dept_mate, "provider_user": provider[1], "admin": admin,
    }


def told(act):
    """Run `act`; the notifications it made, as {user id: [(kind, title, body, link)]}."""
    last = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    act()
    db.session.commit()
    notes = db.session.scalars(sa.select(Notification).where(Notification.id > last).order_by(Notification.id))
    out = {}
    for note in notes:
        out.setdefault(note.user_id, []).append((note.kind, note.title, note.body, note.link))
    return out


def assert_once_each(result, users, kind, title, body, link):
    assert set(result) == set(users)
    for user_id in users:
        assert result[user_id] == [(kind, title, body, link)]


def test_a_new_project_tells_its_department_and_provider(people, dept, provider):
    made = {}

    def act():
        made["project"] = ops.create_project(dept[1], title="智慧养老", domain="医疗",
                                             approved_budget_yuan=Decimal("1200000.50"), provider_id=provider[0].id)

    result = told(act)
    project = made["project"]
    assert_once_each(result, people["dept"] | people["provider"], "project.created", "新项目已进入项目库",
                     "项目“智慧养老”已进入重点项目库（申报阶段），批复预算 1,200,000.50 元。",
                     f"/projects/{project.id}")


def test_a_project_without_provider_tells_the_department_only(people, dept):
    result = told(lambda: ops.create_project(dept[1], title="无承建方", domain="医疗",
                                             approved_budget_yuan=Decimal("10"), provider_id=None))
    assert set(result) == people["dept"]


def test_assigning_the_provider_tells_the_provider_only(people, make_project, admin, provider):
    project = make_project(S.application, with_provider=False)
    result = told(lambda: ops.assign_provider(people["dept_user"], project, provider[0].id))
    assert_once_each(result, people["provider"], "project.assigned", "贵单位被确定为项目承建单位",
                     f"项目“{project.title}”确定由贵单位承建。", f"/projects/{project.id}")


def test_the_two_approver_gate_tells_the_one_still_to_approve_then_everyone(people, make_project, admin):
    project = make_project(S.approval)
    ops.add_document(people["dept_user"], project, stage=S.approval, title="立项批复", upload=pdf())
    result = told(lambda: ops.advance_project(people["dept_user"], project, to_stage="procurement"))
    assert_once_each(result, people["admins"], "project.gate_pending", "项目关口待平台审批",
                     f"项目“{project.title}”的“立项”关口已由发榜单位审批，待平台管理员审批。",
                     f"/projects/{project.id}")
    result = told(lambda: ops.advance_project(admin, project, to_stage="procurement"))
    assert_once_each(result, people["dept"] | people["provider"] | people["admins"], "project.advanced",
                     "项目进入“招标”阶段", f"项目“{project.title}”已通过“立项”关口，进入“招标”阶段。",
                     f"/projects/{project.id}")


def test_the_admin_approving_first_leaves_the_department_told(people, make_project, admin):
    project = make_project(S.approval)
    ops.add_document(people["dept_user"], project, stage=S.approval, title="立项批复", upload=pdf())
    result = told(lambda: ops.advance_project(admin, project, to_stage="procurement"))
    assert_once_each(result, people["dept"], "project.gate_pending", "项目关口待发榜单位审批",
                     f"项目“{project.title}”的“立项”关口已由平台审批，待发榜单位审批。", f"/projects/{project.id}")


def test_a_department_gate_tells_the_project_not_the_admins(people, make_project):
    project = make_project(S.application)
    result = told(lambda: ops.advance_project(people["dept_user"], project, to_stage="feasibility"))
    assert_once_each(result, people["dept"] | people["provider"], "project.advanced", "项目进入“可研”阶段",
                     f"项目“{project.title}”已通过“申报”关口，进入“可研”阶段。", f"/projects/{project.id}")


def test_a_gate_request_tells_the_approvers_but_not_the_requester(people, make_project):
    project = make_project(S.approval)
    result = told(lambda: ops.request_gate(people["provider_user"], project, note="材料已齐"))
    assert_once_each(result, people["dept"] | people["admins"], "project.gate_requested", "项目申请进入下一阶段",
                     f"项目“{project.title}”申请通过“立项”关口，进入“招标”阶段，请审批。", f"/projects/{project.id}")
    other = make_project(S.application, title="另一个项目")
    result = told(lambda: ops.request_gate(people["dept_user"], other))
    assert set(result) == {people["dept_mate"].id}


def test_a_returned_gate_request_tells_the_department_and_the_requester(people, make_project):
    project = make_project(S.feasibility)
    ops.request_gate(people["provider_user"], project)
    db.session.commit()
    result = told(lambda: ops.return_gate_request(people["dept_user"], project, reason="可研报告缺少测算"))
    assert_once_each(result, people["dept"] | people["provider"], "project.gate_returned", "关口申请被退回",
                     f"项目“{project.title}”进入下一阶段的申请被退回（可研阶段）。理由：可研报告缺少测算",
                     f"/projects/{project.id}")


def test_termination_tells_the_project(people, make_project, admin):
    project = make_project(S.feasibility)
    result = told(lambda: ops.terminate_project(admin, project, reason="需求取消"))
    assert_once_each(result, people["dept"] | people["provider"], "project.terminated", "项目已终止",
                     f"项目“{project.title}”已被终止。理由：需求取消", f"/projects/{project.id}")


def test_milestones_and_progress_reports(people, make_project):
    project = make_project(S.build)
    due = today_shanghai() + timedelta(days=10)
    owner = people["provider_user"]
    made = {}

    def add():
        made["milestone"] = ops.add_milestone(people["dept_user"], project, title="系统上线", due_date=due,
                                              owner_id=owner.id)

    link = f"/projects/{project.id}"
    assert_once_each(told(add), {owner.id}, "milestone.assigned", "您被指定为项目里程碑负责人",
                     f"项目“{project.title}”的里程碑“系统上线”，截止日期 {due.isoformat()}。", link)
    milestone = made["milestone"]

    def submit(percent):
        def act():
            made["report"] = ops.submit_report(owner, milestone, percent=percent, narrative="进展顺利")
        return act

    assert_once_each(told(submit(40)), people["dept"], "report.submitted", "收到新的进度报告",
                     f"项目“{project.title}”里程碑“系统上线”：进度 40%。", link)
    assert_once_each(told(lambda: ops.return_report(people["dept_user"], made["report"], reason="缺少截图")),
                     people["provider"], "report.returned", "进度报告被退回",
                     "里程碑“系统上线”的进度报告被退回。理由：缺少截图", link)
    told(submit(60))
    # The owner is one of the provider's users: told once.
    assert_once_each(told(lambda: ops.confirm_report(people["dept_user"], made["report"])), people["provider"],
                     "report.confirmed", "进度报告已确认", "里程碑“系统上线”的进度报告（60%）已确认。", link)
    told(submit(100))
    assert_once_each(told(lambda: ops.confirm_report(people["dept_user"], made["report"])), people["provider"],
                     "report.confirmed", "进度报告已确认", "里程碑“系统上线”的进度报告（100%）已确认，里程碑已完成。",
                     link)


def test_a_department_owner_of_a_milestone_is_told_of_its_confirmation(people, make_project):
    project = make_project(S.build)
    milestone = ops.add_milestone(people["dept_user"], project, title="培训", owner_id=people["dept_mate"].id,
                                  due_date=today_shanghai() + timedelta(days=5))
    report = ops.submit_report(people["provider_user"], milestone, percent=50, narrative="培训过半")
    db.session.commit()
    result = told(lambda: ops.confirm_report(people["dept_user"], report))
    assert set(result) == people["provider"] | {people["dept_mate"].id}
    assert all(len(notes) == 1 for notes in result.values())


def test_payments_and_their_voiding(people, make_project):
    project = make_project(S.build)
    made = {}

    def pay():
        made["payment"] = ops.record_payment(people["dept_user"], project, amount_yuan=Decimal("300000"),
                                             voucher_no="PZ-001")

    link = f"/projects/{project.id}"
    assert_once_each(told(pay), people["dept"] | people["provider"], "project.payment", "项目付款已登记",
                     f"项目“{project.title}”登记付款 300,000.00 元，累计已付 300,000.00 元 / 批复 1,000,000.00 元。",
                     link)
    assert_once_each(told(lambda: ops.void_payment(people["dept_user"], made["payment"], reason="金额录错")),
                     people["dept"] | people["provider"], "project.payment_voided", "项目付款已作废",
                     f"项目“{project.title}”的一笔付款 300,000.00 元（凭证号 PZ-001）已作废，累计已付 0.00 元。"
                     "理由：金额录错", link)


def _ready_for_acceptance(make_project, people):
    project = make_project(S.acceptance)
    ops.add_document(people["dept_user"], project, stage=S.acceptance, title="验收报告", upload=pdf())
    db.session.commit()
    return project


def test_a_convened_acceptance_invites_the_panel(people, make_project, panel):
    project = _ready_for_acceptance(make_project, people)
    made = {}

    def convene():
        made["acceptance"] = ops.convene_acceptance(people["dept_user"], project, panel_ids=[u.id for u in panel],
                                                    checklist=[{"item": "功能上线"}])

    result = told(convene)
    assert_once_each(result, {u.id for u in panel}, "acceptance.invited", "请参加项目验收",
                     f"您被邀请参加项目“{project.title}”的验收，请逐项填写验收清单并签署结论。",
                     f"/acceptances/{made['acceptance'].id}")


def test_a_conclusion_entered_at_once_tells_the_project_and_asks_the_panel_to_sign(people, make_project, panel):
    project = _ready_for_acceptance(make_project, people)
    made = {}

    def convene():
        made["acceptance"] = ops.convene_acceptance(people["dept_user"], project, panel_ids=[u.id for u in panel],
                                                    checklist=[{"item": "功能上线", "passed": True}],
                                                    conclusion="pass")

    result = told(convene)
    stakeholders = people["dept"] | people["provider"] | people["admins"]
    assert set(result) == stakeholders | {u.id for u in panel}
    for user_id in stakeholders:
        assert result[user_id] == [("acceptance.concluded", "项目验收通过",
                                    f"项目“{project.title}”验收通过，进入运营阶段。", f"/projects/{project.id}")]
    for user in panel:
        assert result[user.id] == [("acceptance.sign_requested", "请签署验收记录",
                                    f"项目“{project.title}”第 1 次验收的结论（通过）已登记，请核对并签署，"
                                    "如有不同意见请填写保留意见。", f"/acceptances/{made['acceptance'].id}")]


@pytest.mark.parametrize("conclusion", ["conditional", "fail"])
def test_conditional_and_failed_conclusions(conclusion, people, make_project, panel):
    project = _ready_for_acceptance(make_project, people)
    rectify_by = today_shanghai() + timedelta(days=30)
    acceptance = ops.convene_acceptance(people["dept_user"], project, panel_ids=[panel[0].id],
                                        checklist=[{"item": "功能上线"}])
    db.session.commit()
    result = told(lambda: ops.sign_acceptance(panel[0], acceptance, conclusion=conclusion, rectify_by=rectify_by,
                                              note="界面待优化"))
    if conclusion == "conditional":
        title = "项目有条件通过验收，须整改"
        body = f"项目“{project.title}”有条件通过验收，请于 {rectify_by.isoformat()} 前完成整改，之后进行复验。"
    else:
        title, body = "项目验收未通过", f"项目“{project.title}”验收未通过。问题：{panel[0].name}：界面待优化"
    assert_once_each(result, people["dept"] | people["provider"] | people["admins"], "acceptance.concluded",
                     title, body, f"/projects/{project.id}")


def test_a_published_case_tells_the_department_and_the_provider(people, make_project, admin):
    from marketplace.cases.operations import publish_case

    project = make_project(S.operation)
    made = {}

    def publish():
        made["case"] = publish_case(admin, project, summary="一站式就医", outcomes="排队时间缩短一半",
                                    replication="可推广到各区", title="案例标题不同于项目")

    result = told(publish)
    assert_once_each(result, people["dept"] | people["provider"], "case.published", "项目入选最佳实践案例",
                     f"项目“{project.title}”已作为最佳实践案例发布在案例库。", f"/cases/{made['case'].id}")
