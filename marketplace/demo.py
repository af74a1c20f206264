"""Demo data from the domain brief: departments, providers in several states, catalogue entries.

Idempotent: every record is looked up by a natural key (email, organisation name, title) first.
"""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrganisationKind, Role, User
from marketplace.accounts.operations import create_organisation, create_user
from marketplace.core.credit_code import check_character
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from marketplace.providers import queries as provider_queries
from marketplace.providers.models import Solution
from marketplace.providers.states import PartnerState

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo accounts only

DEPARTMENTS = [
    ("区科委", "kw"), ("区大数据中心", "dsj"), ("区卫生健康委", "wjw"), ("区民政局", "mzj"),
    ("区教育局", "jyj"), ("区文化旅游局", "wlj"), ("区建管委", "jgw"), ("区市场监管局", "scjg"),
    ("区商务委", "swk"), ("徐家汇街道", "xjh"),
]

# name, credit-code body (17 chars), email slug, target state, domains, solutions
PROVIDERS = [
    ("上海数智医联科技有限公司", "91310104MA1FL0001", "yilian", PartnerState.admitted, ["医疗", "普惠民生"],
     [("便捷就医服务2.0 智能分诊导诊系统", "医疗",
       "基于症状问答与科室知识图谱的智能分诊导诊，支持院内导航与医疗收费电子票据，已在三家区属医院上线。"),
      ("院内导航与电子票据一体化平台", "医疗", "室内定位 + 电子票据，患者扫码即可导航至诊室并领取电子票据。")]),
    ("上海颐康智慧养老科技有限公司", "91310104MA1FL0002", "yikang", PartnerState.admitted, ["养老", "社区"],
     [("为老服务一键通", "养老", "独居老人一键呼叫、紧急救援联动、助餐助浴预约，适老化改造的智能终端配套。"),
      ("智慧养老院安全监测", "养老", "毫米波雷达跌倒监测与夜间离床告警，不采集图像，保护隐私。")]),
    ("上海城市云图数字技术有限公司", "91310104MA1FL0003", "yuntu", PartnerState.admitted, ["数字治理", "社区", "交通"],
     [("一网统管 城市运行体征算法平台", "数字治理", "面向一网统管的算法中台：占道经营、垃圾满溢、非机动车乱停放识别，支持数字孪生底座。"),
      ("数字小区与社区云", "社区", "小区门禁、车辆、独居老人关爱数据汇聚到社区云，支撑街道精细化治理。")]),
    ("上海申文旅数字科技有限公司", "91310104MA1FL0004", "shenwen", PartnerState.suspended, ["文旅"],
     [("数字景区 无感入园", "文旅", "人脸核验与预约码融合的无感入园方案，红色场馆数字化导览。")]),
    ("上海智学教育科技有限公司", "91310104MA1FL0005", "zhixue", PartnerState.applied, ["教育"], []),
    ("上海慧通政务服务有限公司", "91310104MA1FL0006", "huitong", PartnerState.rejected, ["数字治理"], []),
    ("上海菜篮子智慧零售有限公司", "91310104MA1FL0007", "cailanzi", PartnerState.expired, ["经济"], []),
]


def credit_code(body17):
    return body17 + check_character(body17)


def _get_user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _get_org(name):
    return db.session.scalar(sa.select(Organisation).where(Organisation.name == name))


def _ensure_user(admin, email, name, role, org=None):
    return _get_user(email) or create_user(admin, email=email, password=DEMO_PASSWORD, name=name,
                                           role=role, organisation=org)


def seed():
    """Create what is missing and return {role: demo email}."""
    admin = _ensure_user(None, "admin@demo.gov.cn", "平台管理员（演示）", Role.admin)
    db.session.flush()
    for name, slug in DEPARTMENTS:
        org = _get_org(name) or create_organisation(admin, name=name, kind=OrganisationKind.department,
                                                   contact_name=f"{name}联络员")
        _ensure_user(admin, f"{slug}@demo.gov.cn", f"{name}经办人", Role.department, org)
    for i, expert in enumerate(["王建国", "李梅", "张志强", "陈静", "刘洋", "赵敏"], start=1):
        _ensure_user(admin, f"expert{i}@demo.gov.cn", f"{expert}（评审专家）", Role.evaluator)
    for name, body, slug, state, domains, solutions in PROVIDERS:
        _seed_provider(admin, name, credit_code(body), slug, state, domains, solutions)
    return {
        "admin": "admin@demo.gov.cn",
        "department": "dsj@demo.gov.cn",
        "provider": "yilian@demo-provider.cn",
        "evaluator": "expert1@demo.gov.cn",
    }


def _seed_provider(admin, name, code, slug, state, domains, solutions):
    org = _get_org(name) or create_organisation(admin, name=name, kind=OrganisationKind.provider,
                                               credit_code=code, contact_name="业务负责人")
    user = _ensure_user(admin, f"{slug}@demo-provider.cn", f"{name[2:6]}投标经理", Role.provider, org)
    db.session.flush()
    if provider_queries.latest_application(org.id) is not None:
        return
    app = provider_ops.apply_for_partner_list(
        user, credit_code=code, domains=domains,
        qualifications="ISO 27001 信息安全管理体系认证；CMMI 3 级；信息系统安全等级保护三级测评经验。",
        reference_cases="2024 年 区级数字化转型试点项目；2025 年 市级应用场景揭榜项目（已验收）。")
    today = today_shanghai()
    if state == PartnerState.rejected:
        provider_ops.reject_application(admin, app, reason="资质证明材料不完整，请补充等保测评报告后重新申请。")
        return
    if state == PartnerState.applied:
        return
    provider_ops.admit_application(admin, app, valid_until=today + timedelta(days=3 * 365))
    for title, domain, summary in solutions:
        if db.session.scalar(sa.select(Solution.id).where(Solution.title == title)) is None:
            provider_ops.create_solution(user, title=title, domain=domain, summary=summary)
    if state == PartnerState.suspended:
        provider_ops.suspend_provider(admin, org, reason="存在未按期整改的项目，暂停资格待核查。")
    elif state == PartnerState.expired:
        app.valid_until = today - timedelta(days=10)  # demo only: a listing whose validity has passed
        provider_ops.expire_if_due(app)
