"""Demo projects in every stage, some with overdue milestones, some published as cases.

Idempotent: a project is looked up by its title first. Everything goes through the operations,
so the audit chain and inboxes look as they would in production.
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


def _walk(project, department, admin, target):
    """Take the project through each gate up to `target`, with each stage's document."""
    while project.stage != target and project.stage in ORDER[:-1]:
        stage = project.stage
        if stage in DOCUMENT_REQUIRED and ops.missing_documents(project):
            ops.add_document(department, project, stage=stage, title=DOCUMENT_REQUIRED[stage],
                             upload=_pdf(f"{DOCUMENT_REQUIRED[stage]}.pdf"))
        if stage == S.acceptance:
            panel = db.session.scalars(sa.select(User.id).where(User.role == Role.evaluator).order_by(User.id)
                                       .limit(3)).all()
            ops.convene_acceptance(department, project, panel_ids=panel, conclusion="pass", findings="各项指标达标。",
                                   checklist=[{"item": "功能按合同全部上线", "passed": True},
                                              {"item": "量化指标达到预期", "passed": True},
                                              {"item": "等保测评与数据安全", "passed": True}])
            continue
        ops.advance_project(department, project, to_stage=ORDER[ORDER.index(stage) + 1].value, note="同意")
        if stage == S.approval:
            ops.advance_project(admin, project, to_stage=S.procurement.value, note="同意立项")


def _seed_one(admin, title, dept_email, provider_email, domain, budget, target, overdue, case):
    if db.session.scalar(sa.select(Project.id).where(Project.title == title)) is not None:
        return
    department = _user(dept_email)
    provider_user = _user(provider_email) if provider_email else None
    if department is None:
        return
    project = ops.create_project(
        department, title=title, domain=domain, approved_budget_yuan=Decimal(budget),
        description=f"{title}：按“揭榜挂帅”机制建设，纳入区重点项目库全过程管理。",
        provider_id=provider_user.organisation_id if provider_user else None)
    if title == TERMINATED:
        _walk(project, department, admin, S.procurement)
        ops.terminate_project(admin, project, reason="场馆改造计划调整，项目暂缓实施。")
        return
    _walk(project, department, admin, min(target, S.build, key=ORDER.index))
    today = today_shanghai()
    if provider_user is not None and ORDER.index(target) >= ORDER.index(S.build):
        first = ops.add_milestone(department, project, title="需求调研与方案深化", due_date=today,
                                  owner_id=provider_user.id)
        second = ops.add_milestone(department, project, title="系统上线试运行", due_date=today + timedelta(days=30),
                                   owner_id=provider_user.id)
        if overdue:
            first.due_date = today - timedelta(days=12)  # demo only: a milestone already late
        else:
            report = ops.submit_report(provider_user, first, percent=100, narrative="调研完成，方案已评审。")
            ops.confirm_report(department, report)
        ops.submit_report(provider_user, second, percent=40, narrative="核心模块开发中，已完成联调环境部署。")
        ops.record_payment(department, project, amount_yuan=(project.approved_yuan * Decimal("0.3")).quantize(Decimal("0.01")),
                           note="首付款（合同额 30%）")
    _walk(project, department, admin, target)
    if case:
        case_ops.publish_case(
            admin, project, summary=f"{title}项目通过验收并稳定运营，形成可复制的区级经验。",
            outcomes="平均办理时长缩短 45%；群众满意度 98.6%；覆盖 12 个街道（镇）。",
            replication="统一数据标准与接口规范；先试点后推广；建设单位与使用单位共同运营。",
            solution_id=_solution_id(project))


def _solution_id(project):
    from marketplace.providers.models import Solution

    return db.session.scalar(sa.select(Solution.id).where(Solution.organisation_id == project.provider_id,
                                                          Solution.domain == project.domain).order_by(Solution.id))


def seed_projects(admin):
    """Create the demo projects that are missing (one in every stage, two overdue, two cases)."""
    if admin is None or db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0:
        return
    for row in PROJECTS:
        _seed_one(admin, *row)
    db.session.flush()
