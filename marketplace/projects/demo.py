"""Demo projects in every stage, some with overdue milestones, some published as cases.

Idempotent: a project is looked up by its title first. Everything goes through the operations,
so the audit chain and inboxes look as they would in production. Each project is a story over
months (see marketplace/demo.py `run_stories`): entered on its start day, a gate passed every two
weeks or so, milestones due on dates of that time — so a milestone nobody reported on is overdue
today because its date passed, not because the seed back-dated it.
"""

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from marketplace.accounts.models import Organisation, Role, User
from marketplace.cases import operations as case_ops
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.projects import operations as ops
from marketplace.projects.models import Project
from marketplace.projects.states import DOCUMENT_REQUIRED, ORDER, ProjectStage

S = ProjectStage

# title, department email, provider email (or None), domain, budget, target stage, overdue?, case?
PROJECTS = [
    ("智慧菜场改造（申报）", "swk@demo.gov.cn", None, "经济", "800000.00", S.application, False, False),
    ("一网通办 智能预审", "dsj@demo.gov.cn", "yuntu@demo-provider.cn", "数字治理", "1500000.00", S.feasibility, False, False),
    ("信息化标杆校建设", "jyj@demo.gov.cn", None, "教育", "2200000.00", S.approval, False, False),
    ("精准助残服务平台", "mzj@demo.gov.cn", "yikang@demo-provider.cn", "普惠民生", "950000.00", S.procurement, False, False),
    ("智慧工地监管平台", "jgw@demo.gov.cn", "yuntu@demo-provider.cn", "数字治理", "3000000.00", S.build, True, False),
    ("为老服务一键通（徐家汇街道）", "xjh@demo.gov.cn", "yikang@demo-provider.cn", "养老", "1200000.00", S.rollout, True, False),
    ("数字小区与社区云", "xjh@demo.gov.cn", "yuntu@demo-provider.cn", "社区", "1800000.00", S.acceptance, False, False),
    ("便捷就医服务2.0 智能分诊导诊", "wjw@demo.gov.cn", "yilian@demo-provider.cn", "医疗", "2600000.00", S.operation, False, True),
    ("智慧养老院安全监测", "mzj@demo.gov.cn", "yikang@demo-provider.cn", "养老", "680000.00", S.operation, False, True),
    ("一网统管 城市运行体征算法", "dsj@demo.gov.cn", "yuntu@demo-provider.cn", "数字治理", "4200000.00", S.operation, False, False),
    ("红色场馆数字化导览（已终止）", "wlj@demo.gov.cn", None, "文旅", "500000.00", S.procurement, False, False),
]
TERMINATED = "红色场馆数字化导览（已终止）"

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _pdf(name):
    return FileStorage(stream=io.BytesIO(PDF), filename=name, content_type="application/pdf")


# When each project was entered (days before the seed runs): the further along, the earlier.
STARTED = {
    "智慧菜场改造（申报）": -9, "一网通办 智能预审": -45, "信息化标杆校建设": -75, "精准助残服务平台": -100,
    "智慧工地监管平台": -160, "为老服务一键通（徐家汇街道）": -220, "数字小区与社区云": -260,
    "便捷就医服务2.0 智能分诊导诊": -330, "智慧养老院安全监测": -300, "一网统管 城市运行体征算法": -360,
    TERMINATED: -120,
}
GATE_DAYS = 14

# The published cases: each names the solution it was built on and what it achieved.
CASES = {
    "便捷就医服务2.0 智能分诊导诊": {
        "solution": "便捷就医服务2.0 智能分诊导诊系统",
        "summary": "三家区属医院门诊上线智能分诊导诊、院内导航与电子票据，患者在手机上完成从症状自述到领取票据的全流程。",
        "outcomes": "分诊推荐准确率 93.2%（首诊医生确认口径）；导医台问询量下降 46%；门诊电子票据覆盖率 100%；"
                    "适老化语音问诊月均使用 1.2 万次。",
        "replication": "科室知识图谱按医院专科配置即可复用；HIS 号源接口采用区卫生信息平台统一规范；"
                       "建议先在一家医院试运行三个月再推广。",
    },
    "智慧养老院安全监测": {
        "solution": "智慧养老院安全监测",
        "summary": "两家区属养老院 240 张床位加装毫米波雷达，夜间跌倒与离床超时自动告警到护理站，不采集图像。",
        "outcomes": "夜间跌倒平均发现时间由 47 分钟缩短到 2 分钟；试运行半年无漏报，误报率 3.1%；"
                    "护理员夜间巡房次数减少 40%。",
        "replication": "设备按床位吸顶安装，无需改造网络；告警规则按机构护理等级配置；"
                       "隐私影响评估模板可直接沿用。",
    },
}


def _walk(project, department, admin, target, story, day):
    """Take the project through each gate up to `target`, with each stage's document; yields the
    moment of each step and returns the day reached."""
    while project.stage != target and project.stage in ORDER[:-1]:
        stage = project.stage
        day += GATE_DAYS
        if stage in DOCUMENT_REQUIRED and ops.missing_documents(project):
            yield story.at(day - 3, 15)
            ops.add_document(department, project, stage=stage, title=DOCUMENT_REQUIRED[stage],
                             upload=_pdf(f"{DOCUMENT_REQUIRED[stage]}.pdf"))
        yield story.at(day, 10)
        if stage == S.acceptance:
            panel = db.session.scalars(sa.select(User.id).where(User.role == Role.evaluator).order_by(User.id)
                                       .limit(3)).all()
            acceptance = ops.convene_acceptance(
                department, project, panel_ids=panel, conclusion="pass", findings="各项指标达标。",
                checklist=[{"item": "功能按合同全部上线", "passed": True},
                           {"item": "量化指标达到预期", "passed": True},
                           {"item": "等保测评与数据安全", "passed": True}])
            # Each expert signs the record on the platform the next morning.
            yield story.at(day + 1, 9, 30)
            for member in acceptance.members:
                ops.sign_acceptance(member.user, acceptance)
            continue
        ops.advance_project(department, project, to_stage=ORDER[ORDER.index(stage) + 1].value, note="同意")
        if stage == S.approval:
            yield story.at(day + 2, 11)
            ops.advance_project(admin, project, to_stage=S.procurement.value, note="同意立项")
    return day


def _story(admin, title, dept_email, provider_email, domain, budget, target, overdue, case, story):
    department = _user(dept_email)
    provider_user = _user(provider_email) if provider_email else None
    day = STARTED[title]
    yield story.at(day, 9, 45)
    project = ops.create_project(
        department, title=title, domain=domain, approved_budget_yuan=Decimal(budget),
        description=f"{title}：按“揭榜挂帅”机制建设，纳入区重点项目库全过程管理。",
        provider_id=provider_user.organisation_id if provider_user else None)
    if title == TERMINATED:
        day = yield from _walk(project, department, admin, S.procurement, story, day)
        yield story.at(day + 10, 16)
        ops.terminate_project(admin, project, reason="场馆改造计划调整，项目暂缓实施。")
        return
    day = yield from _walk(project, department, admin, min(target, S.build, key=ORDER.index), story, day)
    if provider_user is not None and ORDER.index(target) >= ORDER.index(S.build):
        yield story.at(day + 1, 10)
        first = ops.add_milestone(department, project, title="需求调研与方案深化",
                                  due_date=today_shanghai() + timedelta(days=20), owner_id=provider_user.id)
        # Due a month after the seed: the pilot is still under way whatever the project's age.
        second = ops.add_milestone(department, project, title="系统上线试运行",
                                   due_date=story.today + timedelta(days=30), owner_id=provider_user.id)
        if not overdue:  # an overdue project simply never reported on its first milestone
            yield story.at(day + 18, 17)
            report = ops.submit_report(provider_user, first, percent=100, narrative="调研完成，方案已评审。")
            yield story.at(day + 20, 10)
            ops.confirm_report(department, report)
        yield story.at(day + 21, 15)
        ops.record_payment(department, project, amount_yuan=(project.approved_yuan * Decimal("0.3")).quantize(Decimal("0.01")),
                           note="首付款（合同额 30%）", voucher_no=f"记字第{project.id:04d}号")
        yield story.at(day + 25, 17)
        ops.submit_report(provider_user, second, percent=40, narrative="核心模块开发中，已完成联调环境部署。")
        day += 25
    day = yield from _walk(project, department, admin, target, story, day)
    if case:
        text = CASES[title]
        yield story.at(day + 20, 10)
        case_ops.publish_case(admin, project, summary=text["summary"], outcomes=text["outcomes"],
                              replication=text["replication"], solution_id=_solution_id(project, text["solution"]))


def _solution_id(project, title):
    from marketplace.providers.models import Solution

    return db.session.scalar(sa.select(Solution.id).where(Solution.organisation_id == project.provider_id,
                                                          Solution.title == title))


def project_stories(admin, story):
    """The stories of the demo projects that are missing (one in every stage, two overdue, two cases)."""
    if admin is None or db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0:
        return []
    return [_story(admin, *row, story) for row in PROJECTS
            if db.session.scalar(sa.select(Project.id).where(Project.title == row[0])) is None
            and _user(row[1]) is not None]
