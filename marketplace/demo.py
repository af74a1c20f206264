"""Demo data from the domain brief: departments, providers in several states, catalogue entries,
and challenges in every state reachable today, with clarifications and entries with versions.

Idempotent: every record is looked up by a natural key (email, organisation name, title) first.
"""

import heapq
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrganisationKind, Role, User
from marketplace.accounts.operations import create_organisation, create_user
from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.core.credit_code import check_character
from marketplace.core.db import utcnow
from marketplace.core.timeutil import SHANGHAI, clock_at, today_shanghai
from marketplace.extensions import db
from marketplace.notices import operations as notice_ops
from marketplace.projects import operations as project_ops
from marketplace.providers import operations as provider_ops
from marketplace.providers import queries as provider_queries
from marketplace.providers.models import Solution
from marketplace.providers.states import PartnerState
from marketplace.review import operations as review_ops
from marketplace.review.models import EvaluatorDomain
from marketplace.submissions import operations as submission_ops

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
    ("上海健康云数据服务有限公司", "91310104MA1FL0008", "jiankangyun", PartnerState.admitted, ["医疗", "养老", "普惠民生"],
     [("互联网医院医养结合服务平台", "医疗",
       "在线复诊、处方流转、医保在线结算与药品配送到院的闭环服务，已在两家养老机构试运行。"),
      ("老人“数字画像”数据池", "养老", "汇聚健康档案、养老服务与社区云数据，为养老顾问提供风险分级与服务推荐。")]),
    ("上海安澜消防科技有限公司", "91310104MA1FL0009", "anlan", PartnerState.admitted, ["数字治理", "社区"],
     [("消防AI作战 无人机实景测绘", "数字治理",
       "无人机火场快速实景测绘与三维建模，火情信息实时回传指挥中心，辅助战时决策。"),
      ("社区消防设施物联监测", "社区", "消火栓水压、烟感、电梯困人告警接入街道与物业，隐患闭环处置。")]),
]

# 专家库: the demo evaluators, their affiliation and fields. Every field the demo challenges use
# (医疗、养老、社区、数字治理) has at least six experts, so the admin's random draw has a real choice.
EXPERTS = [
    ("王建国", "同济大学城市治理研究院 教授", ["数字治理", "社区", "养老"]),
    ("李梅", "复旦大学公共卫生学院 教授", ["医疗", "养老", "普惠民生"]),
    ("张志强", "上海市信息安全测评认证中心 高级工程师", ["数字治理", "社区"]),
    ("陈静", "上海市第六人民医院信息中心 主任", ["医疗", "养老"]),
    ("刘洋", "上海社会科学院数字经济研究所 研究员", ["数字治理", "经济", "社区"]),
    ("赵敏", "华东师范大学社会发展学院 副教授", ["养老", "社区", "普惠民生"]),
    ("孙立新", "上海市消防救援总队 高级工程师（退休）", ["数字治理", "社区"]),
    ("周慧", "上海市老年医学中心 副主任医师", ["医疗", "养老"]),
    ("吴海峰", "上海交通大学人工智能研究院 副教授", ["数字治理", "医疗", "交通"]),
    ("郑晓雯", "上海健康医学院护理与健康管理学院 教授", ["医疗", "养老", "社区"]),
    ("黄振华", "华东政法大学数字法治研究院 教授", ["数字治理", "普惠民生"]),
    ("钱文博", "上海市卫生健康信息中心 高级工程师", ["医疗", "数字治理"]),
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
    story = Story(today_shanghai())
    with clock_at(story.at(PLATFORM_START, 9)):
        admin = _ensure_user(None, "admin@demo.gov.cn", "平台管理员（演示）", Role.admin)
        db.session.flush()
        for name, slug in DEPARTMENTS:
            org = _get_org(name) or create_organisation(admin, name=name, kind=OrganisationKind.department,
                                                       contact_name=f"{name}联络员")
            _ensure_user(admin, f"{slug}@demo.gov.cn", f"{name}经办人", Role.department, org)
        _seed_experts(admin)
        for name, body, slug, state, domains, solutions in PROVIDERS:
            _seed_provider(admin, name, credit_code(body), slug, state, domains, solutions)
        db.session.flush()
    from marketplace.projects.demo import project_stories  # projects need the rest of the demo data

    run_stories([*challenge_stories(admin, story), *project_stories(admin, story)])
    from marketplace.needs.demo import seed_needs

    seed_needs(admin)
    from marketplace.review.templates import seed_templates

    seed_templates()
    from marketplace.meetings.demo import seed_events

    seed_events(admin)
    return {
        "admin": "admin@demo.gov.cn",
        "department": "dsj@demo.gov.cn",
        "provider": "yilian@demo-provider.cn",
        "evaluator": "expert1@demo.gov.cn",
    }


def _expert(number):
    return _get_user(f"expert{number}@demo.gov.cn")


def _seed_experts(admin):
    for number, (name, affiliation, domains) in enumerate(EXPERTS, start=1):
        expert = _ensure_user(admin, f"expert{number}@demo.gov.cn", f"{name}（{affiliation}）", Role.evaluator)
        db.session.flush()
        current = set(db.session.scalars(sa.select(EvaluatorDomain.domain).where(EvaluatorDomain.user_id == expert.id)))
        if current != set(domains):
            review_ops.set_expert_domains(admin, expert, domains)
    db.session.flush()


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


# --- challenges ---------------------------------------------------------------------------------
#
# Scenarios from the policy texts (seeds/ beside DOMAIN.md), taken through the real operations so
# that audit events and notifications exist as they would in production. Every challenge state is
# present: draft, returned to draft (with a reason), pending_review, published, closed, failed
# (流标), cancelled (撤榜), and — through panels, declarations, score sheets and round closes —
# evaluating (a round half-scored, one sheet returned, one declared conflict, and the demo
# evaluator's sheet untouched), racing (racers told, the mid-term panel drawn), notice (公示期
# running, one objection pending) and awarded (挂帅, the winner's project in the library).

DEPARTMENT_SLUGS = dict(DEPARTMENTS)
CONTACT_PHONE = "021-6487 0000"


def _criteria(*rows):
    return [{"name": name, "description": description, "weight": weight, "max_points": max_points}
            for name, weight, max_points, description in rows]


def _proposal_round(advance_top, *, threshold=None):
    return {"name": "方案评审", "aggregation": "trimmed_mean", "blind": True, "min_panel": 5,
            "advance_top": advance_top, "advance_threshold": threshold,
            "criteria": _criteria(
                ("技术方案先进性与可行性", 30, 10, "技术路线成熟度、与现有系统的对接方式、数据安全与等保合规"),
                ("场景理解与痛点回应", 25, 10, "是否逐条回应榜单列出的痛点，方案是否贴合一线业务"),
                ("量化指标可达性", 20, 10, "对榜单量化指标的承诺是否明确、可测、可验收"),
                ("实施团队与同类案例", 15, 10, "项目经理及核心成员经验，同类场景落地案例"),
                ("报价合理性", 10, 10, "报价构成清晰，与工作量匹配，运维费用透明"))}


# 方案评审 → 中期评估 → 终期评审, for challenges with horse-race slots (赛马制).
def race_plan(slots):
    return [
        _proposal_round(slots, threshold=Decimal("60.00")),
        {"name": "中期评估", "aggregation": "mean", "blind": False, "min_panel": 3,
         # 末位淘汰 from three racers; with two both go on to the final round.
         "advance_top": slots - 1 if slots > 2 else slots,
         "criteria": _criteria(
             ("里程碑完成度", 40, 100, "试点里程碑按期完成情况，以发榜单位确认的进度报告为准"),
             ("试点运行指标", 35, 100, "试点期间量化指标的实测值"),
             ("用户满意度", 25, 100, "一线工作人员与群众满意度抽样调查"))},
        {"name": "终期评审", "aggregation": "trimmed_mean", "blind": False, "min_panel": 5, "advance_top": 1,
         "criteria": _criteria(
             ("量化指标达成", 40, 100, "对照榜单量化指标逐项验收"),
             ("系统稳定性与安全合规", 25, 100, "可用性、等保三级测评、个人信息保护"),
             ("可复制推广价值", 20, 100, "能否作为最佳实践在其他街道、委办局复制"),
             ("运维与持续运营成本", 15, 100, "三年运维成本与运营机制"))},
    ]


# 统一里程碑 of the demo races (days after the race starts).
RACE_MILESTONES = [
    {"title": "试点环境部署与数据对接完成", "due_days": 20, "evidence": "部署报告、接口联调记录、现场照片"},
    {"title": "试点上线运行满一个月", "due_days": 70, "evidence": "运行日志、量化指标实测值、用户抽样调查"},
    {"title": "试点总结与推广方案", "due_days": 100, "evidence": "试点总结报告、第三方测评报告"},
]


def single_plan():
    return [_proposal_round(1)]


def _entry(summary, plan, price, timeline, team):
    return {"summary": summary, "technical_plan": plan, "price_yuan": Decimal(price), "timeline": timeline,
            "team": team}


CHALLENGES = [
    {
        "title": "便捷就医服务2.0：区属医院门诊智能分诊导诊与院内导航",
        "department": "区卫生健康委", "domain": "医疗", "required": ["医疗"], "state": "published",
        "budget": "1800000.00", "days": 21, "race_slots": 2, "min_submissions": 2, "plan": race_plan(2),
        "description": "推出“便捷就医服务”2.0 场景：在三家区属医院门诊上线智能分诊导诊、智能院内导航和医疗收费电子票据，"
                       "患者在手机上完成症状自述、科室推荐、挂号、导航到诊室和领取电子票据的全流程。",
        "pain_points": "1. 初诊患者不清楚该挂哪个科，导医台高峰排队 15 分钟以上；\n"
                       "2. 院区楼宇多、改扩建频繁，患者反复问路；\n3. 纸质收费票据易丢失，报销需跑回医院补打。",
        "outcomes": "1. 分诊推荐准确率 ≥ 90%（以首诊医生确认科室为准）；\n2. 导医台问询量下降 40%；\n"
                    "3. 门诊电子票据覆盖率 100%；\n4. 适老化：支持大字版与语音交互，满足无障碍标准。",
        "questions": [
            ("yilian", "智能分诊是否需要对接医院现有 HIS 的号源接口？接口文档何时提供？",
             "需要。三家医院均使用同一厂商的 HIS，号源接口文档将在方案评审通过后向入围单位提供。"),
            ("yuntu", "院内导航是否允许在院区加装蓝牙信标？数量上限是多少？", None),
        ],
        "entries": [
            ("yilian", [
                _entry("基于症状问答与科室知识图谱的智能分诊导诊，叠加院内导航与电子票据一体化。",
                       "症状问答引擎 + 科室知识图谱；室内定位采用蓝牙信标与视觉定位融合；电子票据对接市财政电子票据平台。",
                       "1560000.00", "签约后 4 个月上线首家医院，6 个月覆盖三家。", "项目经理 1 名、算法 3 名、开发 6 名、驻场 2 名"),
                _entry("基于症状问答与科室知识图谱的智能分诊导诊，叠加院内导航与电子票据一体化；新增适老化语音交互。",
                       "在第 1 版基础上增加普通话与沪语语音问诊、大字版界面；导航支持轮椅无障碍路线。",
                       "1620000.00", "签约后 4 个月上线首家医院，6 个月覆盖三家。", "项目经理 1 名、算法 3 名、开发 7 名、驻场 2 名"),
            ]),
        ],
    },
    {
        "title": "为老服务一键通：独居老人紧急呼叫与助餐助浴联动",
        "department": "区民政局", "domain": "养老", "required": ["养老"], "state": "published",
        "budget": "960000.00", "days": 14, "race_slots": 1, "min_submissions": 1, "plan": single_plan(),
        "description": "拓展“为老服务一键通”内容，形成居家养老多渠道“一键助老”：独居老人按一个键即可呼叫紧急救援、"
                       "预约助餐助浴，街道养老顾问和家属同步收到提醒。",
        "pain_points": "独居老人不会用智能手机；现有呼叫器只能拨打 110/120，无法联动社区助餐点和家属；"
                       "夜间跌倒往往数小时后才被发现。",
        "outcomes": "1. 覆盖辖区 3,000 户独居老人；\n2. 紧急呼叫 60 秒内接通人工坐席；\n3. 助餐预约线上化率 ≥ 70%；\n"
                    "4. 不采集室内图像，个人信息处理符合《个人信息保护法》。",
        "questions": [
            ("yikang", "终端设备由中标方提供还是使用区里已发放的呼叫器？",
             "优先利旧：区里 2023 年发放的 1,200 台呼叫器需兼容，其余由中标方提供，费用计入报价。"),
        ],
        "entries": [
            ("yikang", [
                _entry("一键呼叫终端 + 为老服务平台，联动 120、社区助餐点与家属。",
                       "终端支持 4G 与 NB-IoT 双模；平台对接区养老服务平台与“社区云”；毫米波雷达跌倒监测为可选件。",
                       "890000.00", "签约后 3 个月完成 3,000 户安装。", "项目经理 1 名、坐席 6 名、安装 10 名"),
            ]),
        ],
    },
    {
        "title": "一网统管：城市运行体征智能识别算法（占道经营、垃圾满溢、非机动车乱停放）",
        "department": "区大数据中心", "domain": "数字治理", "required": ["数字治理"], "state": "published",
        "budget": "2500000.00", "days": 21, "extend_days": 35, "race_slots": 3, "min_submissions": 3,
        "plan": race_plan(3),
        "description": "以“揭榜挂帅”形式支持企业参与“一网统管”算法开发：基于现有 1.2 万路视频，识别占道经营、"
                       "垃圾满溢、非机动车乱停放三类高频事件，自动派单到街道网格。赛马制：三家并行试点，终期评审择优。",
        "pain_points": "人工巡查覆盖不足，事件发现滞后；现有算法误报率高，网格员疲于核实。",
        "outcomes": "1. 三类事件识别准确率 ≥ 92%，误报率 ≤ 5%；\n2. 事件发现到派单 ≤ 3 分钟；\n"
                    "3. 算法以容器形式部署在区政务云，接入市“一网统管”算法仓。",
        "questions": [
            ("yuntu", "试点期间能否获得脱敏后的历史视频样本用于训练？",
             "可以。入围后签署数据安全协议，在区政务云隔离区内提供脱敏样本，不得带出。"),
            ("yilian", "算法是否必须国产化 GPU 部署？", None),
        ],
        "entries": [
            ("yuntu", [
                _entry("城市运行体征算法平台：三类事件识别 + 自动派单。",
                       "YOLO 系列检测模型 + 时序跟踪；边缘推理盒子与政务云协同。",
                       "2380000.00", "签约后 2 个月完成试点部署。", "算法 5 名、开发 4 名"),
                _entry("城市运行体征算法平台：三类事件识别 + 自动派单，支持国产化算力。",
                       "模型适配国产 AI 加速卡；增加误报自学习闭环，网格员核实结果回流训练。",
                       "2350000.00", "签约后 2 个月完成试点部署。", "算法 6 名、开发 4 名、运营 2 名"),
                _entry("城市运行体征算法平台：三类事件识别 + 自动派单，支持国产化算力与数字孪生底座。",
                       "在第 2 版基础上接入区数字孪生底座，事件在三维场景中定位。",
                       "2350000.00", "签约后 2 个月完成试点部署，4 个月接入数字孪生。", "算法 6 名、开发 5 名、运营 2 名"),
            ]),
        ],
    },
    {
        "title": "智慧菜场：农贸市场数字化改造与食品安全追溯",
        "department": "区商务委", "domain": "经济", "required": ["经济"], "state": "published",
        "budget": "680000.00", "days": 5, "race_slots": 1, "min_submissions": 1, "plan": single_plan(),
        "description": "推进辖区两家标准化菜市场智慧化升级：电子价签、智能秤、食品安全追溯与客流热力，"
                       "支持数字人民币支付，努力构建 10 分钟数字生活圈。",
        "pain_points": "价格公示不及时，缺斤短两投诉多；进货票据纸质留存，追溯靠翻本子。",
        "outcomes": "1. 摊位电子价签与智能秤覆盖率 100%；\n2. 主要品类追溯信息扫码可查；\n"
                    "3. 支持数字人民币与医保外的多种支付方式。",
        "questions": [
            ("cailanzi", "摊位智能秤是否需要通过计量检定？检定费用由谁承担？", None),
        ],
        "entries": [],
    },
    {
        "title": "信息化标杆校：人机协同课堂与学情分析",
        "department": "区教育局", "domain": "教育", "required": ["教育"], "state": "published",
        "budget": "1200000.00", "days": 28, "race_slots": 1, "min_submissions": 1, "plan": single_plan(),
        "description": "围绕“高、先、精”定位打造信息化标杆校特色场景：课堂教学与人工智能融合的“人机协同”，"
                       "作业与测验的学情分析，教师减负。",
        "pain_points": "教师批改负担重；学情数据分散在多个系统，无法形成个人成长画像。",
        "outcomes": "1. 两所试点校 40 个班级常态化使用；\n2. 作业批改时间减少 30%；\n3. 学生数据不出校，符合未成年人个人信息保护要求。",
        "questions": [],
        "entries": [],
    },
    {
        "title": "一网通办 免申即享：惠企政策精准匹配与免申兑现",
        "department": "区科委", "domain": "数字治理", "required": ["数字治理"], "state": "pending_review",
        "budget": "1500000.00", "days": 30, "race_slots": 1, "min_submissions": 1, "plan": single_plan(),
        "description": "重点推进服务、资金、补贴等 8 项惠企政策“免申即享”，变被动服务为主动服务，实现“政策找人”。",
        "pain_points": "企业不知道自己符合哪些政策，申报材料重复提交，兑现周期长。",
        "outcomes": "1. 8 项政策实现免申即享；\n2. 政策匹配准确率 ≥ 95%；\n3. 兑现周期由 60 天缩短到 15 天。",
    },
    {
        "title": "一网通办 智能预审：高频事项申请材料智能预审",
        "department": "区大数据中心", "domain": "数字治理", "required": ["数字治理"], "state": "returned",
        "budget": "800000.00", "days": 30, "race_slots": 1, "min_submissions": 1, "plan": single_plan(),
        "return_reason": "量化指标不够具体：请写明覆盖的事项清单、预审准确率的口径和验收方法，并补充预算测算依据后重新提交。",
        "description": "对 28 个区级高效办成“一件事”涉及的高频事项，提供申请材料智能预审：识别缺项、错项并即时提示。",
        "pain_points": "窗口退件率高，群众多次跑腿。",
        "outcomes": "预审准确率高，群众满意。",
    },
    {
        "title": "红色场馆数字化：革命遗址沉浸式导览",
        "department": "区文化旅游局", "domain": "文旅", "required": ["文旅"], "state": "draft",
        "budget": "650000.00", "days": 40, "race_slots": 1, "min_submissions": 1, "plan": single_plan(),
        "description": "推动红色场馆数字化改造，以 VR/AR 沉浸式展示为切入点，打造红色经典“现代表达”、"
                       "历史场景“文化重现”。",
        "pain_points": "展陈以图文为主，青少年参观停留时间短；讲解员不足，周末预约难。",
        "outcomes": "1. 完成 2 处场馆 AR 导览；\n2. 青少年观众平均停留时间提升 50%；\n3. 支持无障碍语音讲解。",
    },
    {
        "title": "数据中心能效评估：PUE/CUE/EUE 综合评价指标体系",
        "department": "区科委", "domain": "经济", "required": [], "state": "draft",
        "budget": "300000.00", "days": 45, "race_slots": 1, "min_submissions": 1, "plan": single_plan(),
        "description": "探索建立覆盖电能使用效率（PUE）、有效算力效率（CUE）、经济产出效益（EUE）等指标的综合评价体系，"
                       "推动本区数据中心使用效率提升。",
        "pain_points": "现有评价只看 PUE，无法反映算力实际利用率与经济产出。",
        "outcomes": "形成指标体系与测评方法各 1 套，完成 3 家数据中心试评估。",
    },
    {
        "title": "数字小区与社区云：街道精细化治理场景",
        "department": "徐家汇街道", "domain": "社区", "required": ["社区"], "state": "closed",
        "budget": "1100000.00", "days": 10, "race_slots": 2, "min_submissions": 2, "plan": race_plan(2),
        "description": "拓展“社区云”个人服务事项，推动街道特色社区治理平台与“社区云”融合：小区门禁、车辆、"
                       "独居老人关爱数据汇聚，支撑居委会精细化治理。",
        "pain_points": "小区数据各自为政，居委会靠电话和表格摸排；独居老人异常（如多日未出门）无法及时发现。",
        "outcomes": "1. 覆盖街道 12 个小区；\n2. 独居老人异常 24 小时内上门核实率 100%；\n3. 数据按“社区云”标准回流。",
        "questions": [
            ("yikang", "小区门禁数据的接入是否已取得物业同意？",
             "街道已与 12 个小区物业签订数据共享协议，门禁数据经脱敏后接入。"),
        ],
        "entries": [
            ("yikang", [
                _entry("独居老人关爱 + 社区云对接：门禁与水电数据异常预警。",
                       "门禁通行、智能水表数据融合建模，连续 48 小时无活动触发居委会核实工单。",
                       "980000.00", "签约后 3 个月覆盖 12 个小区。", "项目经理 1 名、开发 5 名、社工顾问 2 名"),
            ]),
            ("yuntu", [
                _entry("数字小区与社区云一体化平台。",
                       "小区门禁、车辆、消防通道占用识别汇聚到社区云，居委会工作台统一处置。",
                       "1050000.00", "签约后 4 个月覆盖 12 个小区。", "项目经理 1 名、开发 6 名"),
                _entry("数字小区与社区云一体化平台（含非机动车棚充电安全监测）。",
                       "在第 1 版基础上增加非机动车棚电动车充电过温告警。",
                       "1080000.00", "签约后 4 个月覆盖 12 个小区。", "项目经理 1 名、开发 7 名"),
            ]),
        ],
    },
    {
        "title": "精准助残：残障人士“一人一档”与政策找人",
        "department": "区民政局", "domain": "普惠民生", "required": [], "state": "closed",
        "budget": "720000.00", "days": 12, "race_slots": 1, "min_submissions": 2, "plan": single_plan(),
        "description": "打造精准助残智慧服务场景：通过残障人士准确分类、人物画像，形成“精准助残”“一人一档”，"
                       "实现精准救助、政策找人、实时跟踪。",
        "pain_points": "救助政策分散在多个部门，符合条件的残障人士常因不知情而未申请。",
        "outcomes": "1. 建立全区持证残障人士“一人一档”；\n2. 政策主动推送覆盖率 ≥ 90%；\n3. 服务全程可跟踪。",
        "entries": [
            ("yilian", [
                _entry("残障人士健康档案与康复服务对接方案。",
                       "基于区域卫生信息平台的康复需求识别。",
                       "700000.00", "签约后 5 个月上线。", "开发 4 名"),
            ], "withdraw"),
            ("yikang", [
                _entry("“一人一档”助残服务平台，联动居家养老服务网络。",
                       "残障类别与服务需求画像；政策规则引擎自动匹配；社区助残员上门跟踪。",
                       "690000.00", "签约后 4 个月上线。", "项目经理 1 名、开发 4 名、助残顾问 2 名"),
            ]),
            ("yuntu", [
                _entry("政策找人引擎 + 助残服务工单。",
                       "政策知识图谱与人员画像匹配，结果推送至社区云工作台。",
                       "710000.00", "签约后 4 个月上线。", "项目经理 1 名、开发 5 名"),
            ]),
        ],
    },
    {
        "title": "智慧工地监管：在建工地扬尘噪声与临边防护 AI 监测",
        "department": "区建管委", "domain": "数字治理", "required": ["数字治理"], "state": "failed",
        "budget": "1300000.00", "days": 9, "race_slots": 1, "min_submissions": 3, "plan": single_plan(),
        "description": "打造智慧工地监管场景：通过物联感知、人工智能等技术，加强现场环境、施工机械、临边防护监测，"
                       "实现建筑施工全天候全过程监管。",
        "pain_points": "监管人员少、工地多，夜间施工和临边防护缺失难以及时发现。",
        "outcomes": "1. 接入 30 个在建工地；\n2. 扬尘超标 10 分钟内告警；\n3. 临边防护缺失识别准确率 ≥ 90%。",
        "questions": [
            ("yuntu", "工地现有视频监控的接入权限由谁协调？",
             "由区建管委统一协调施工总包单位开放接入权限。"),
        ],
        "entries": [
            ("yuntu", [
                _entry("工地物联感知 + AI 视频识别一体化监管平台。",
                       "扬尘、噪声传感器与视频识别融合；告警推送至建管委与总包单位。",
                       "1250000.00", "签约后 3 个月接入 30 个工地。", "项目经理 1 名、算法 3 名、开发 4 名"),
            ]),
        ],
    },
    {
        "title": "数字景区：重点景区在线预约与无感入园",
        "department": "区文化旅游局", "domain": "文旅", "required": [], "state": "cancelled",
        "budget": "900000.00", "days": 20, "race_slots": 1, "min_submissions": 1, "plan": single_plan(),
        "cancel_reason": "市文旅局统一建设的“一码游”平台已覆盖在线预约与无感入园功能，为避免重复建设，本榜撤销。",
        "description": "推进“数字景区”建设，优化在线预订、无感入园、客流监测、智能导览、预警处置等功能。",
        "pain_points": "节假日入园排队长；客流统计依赖人工，预警滞后。",
        "outcomes": "1. 入园核验平均耗时 ≤ 2 秒；\n2. 客流实时监测，超限自动预警。",
        "entries": [
            ("yuntu", [
                _entry("预约码与人脸核验融合的无感入园方案。",
                       "预约码、身份证、人脸三种核验方式；客流热力与阈值预警。",
                       "860000.00", "签约后 2 个月上线。", "项目经理 1 名、开发 4 名"),
            ]),
        ],
    },
    {
        "title": "智慧养老：老人“数字画像”与居家安全智能监护",
        "department": "区民政局", "domain": "养老", "required": ["养老"], "state": "evaluating",
        "budget": "1350000.00", "days": 15, "race_slots": 1, "min_submissions": 2, "plan": single_plan(),
        "description": "升级“智慧养老”平台，构建老人“数字画像”数据池，打造“智能终端+IoT+数据平台+服务模式+政府街道”"
                       "养老服务生态链：对 80 岁以上独居、纯老家庭开展居家安全智能监护，异常情况分级派单到养老顾问和家庭医生。",
        "pain_points": "1. 老人健康、养老服务、社区走访数据分散在民政、卫健和街道三套系统，养老顾问看不到全貌；\n"
                       "2. 现有智能终端告警误报多，夜间告警无人响应；\n3. 老人和家属对摄像头类设备普遍抵触。",
        "outcomes": "1. 覆盖 80 岁以上独居、纯老家庭 5,000 户；\n2. 高风险老人识别后 24 小时内上门率 100%；\n"
                    "3. 终端告警误报率 ≤ 10%；\n4. 不采集室内图像，数据按“社区云”标准回流。",
        "questions": [
            ("jiankangyun", "老人健康档案数据能否通过区医疗健康大数据平台调用？需履行哪些授权手续？",
             "可以。经老人或监护人书面授权后，通过区医疗健康大数据平台接口按最小必要原则调用，具体流程入围后提供。"),
        ],
        "entries": [
            ("yikang", [
                _entry("毫米波雷达 + 一键呼叫终端的居家安全监护，养老顾问工作台分级派单。",
                       "毫米波雷达跌倒与离床监测（不采集图像）；“数字画像”按失能等级、独居状态、慢病情况分级；"
                       "告警先由坐席电话核实，再派单至养老顾问或 120。",
                       "1280000.00", "签约后 4 个月完成 5,000 户安装与平台上线。",
                       "项目经理 1 名、开发 6 名、坐席 8 名、安装 12 名"),
            ]),
            ("jiankangyun", [
                _entry("医养结合的老人“数字画像”数据池与居家监护服务。",
                       "健康档案、长护险评估、社区走访数据融合建模；智能水表与门磁作为无感监测补充；"
                       "高风险老人同步推送家庭医生。",
                       "1190000.00", "签约后 5 个月上线，首月完成数据治理。", "项目经理 1 名、数据 4 名、开发 5 名、护理顾问 2 名"),
            ]),
        ],
        "review": {
            # The admin picked this panel by hand; expert 1 (the printed demo evaluator) has not yet
            # signed the declaration, expert 8 has a draft, expert 6's sheet was returned.
            "panel": [1, 2, 4, 6, 8], "submitted": [2, 4, 6], "drafts": [8],
            "conflicts": {4: ["jiankangyun"]},
            "returned": (6, "“量化指标可达性”一项的分数与评语不一致（评语肯定指标明确可测，分数却明显偏低），请核对后重新提交。"),
            "low": (6, 2, 3),  # expert 6 gave 3 points on criterion 3 — the reason the sheet is returned
            "marks": {"yikang": [8.0, 8.5, 7.5, 7.5, 7.0], "jiankangyun": [7.5, 8.0, 8.0, 7.0, 8.0]},
            "remarks": {
                "yikang": ["雷达监测路线成熟，不采集图像，隐私保护到位", "逐条回应了误报与夜间响应痛点",
                           "误报率承诺明确，但未说明测算口径", "已有一键通项目经验，坐席团队完整", "报价接近预算上限"],
                "jiankangyun": ["数据融合思路清晰，需关注授权合规", "医养结合贴合高龄老人需求",
                                "24 小时上门率有保障措施，指标可测", "护理顾问配置合理，同类案例偏少", "报价构成清晰"],
            },
        },
    },
    {
        "title": "社区新基建：老旧小区电梯与消防设施智能监测",
        "department": "区建管委", "domain": "社区", "required": ["社区"], "state": "racing",
        "budget": "1600000.00", "days": 18, "race_slots": 2, "min_submissions": 2, "plan": race_plan(2),
        "description": "深化“社区新基建”，推进老旧小区加装电梯、消防设施、非机动车棚的数字化改造：电梯困人与故障、"
                       "消火栓水压、楼道烟感和电动车违规充电统一接入街道和物业，隐患发现即派单、处置可追溯。"
                       "赛马制：两家并行试点，中期评估后终期评审择优挂帅。",
        "pain_points": "1. 老旧小区电梯故障多，困人救援平均 40 分钟；\n2. 消火栓无水、烟感失效往往在火灾时才发现；\n"
                       "3. 物业、居委、维保单位信息不通，隐患整改无人跟踪。",
        "outcomes": "1. 两个街道 20 个老旧小区试点；\n2. 电梯困人 15 分钟内救援到场；\n3. 消防设施完好率 ≥ 98%；\n"
                    "4. 隐患闭环处置率 100%，全过程留痕。",
        "questions": [
            ("anlan", "试点小区的电梯是否已加装物联网采集终端？维保单位是否配合接入？",
             "20 个试点小区中 8 个已有采集终端；其余由揭榜单位加装，维保单位配合接入已由区建管委统一协调。"),
        ],
        "entries": [
            ("anlan", [
                _entry("电梯与消防设施物联监测一体化平台，隐患派单闭环。",
                       "电梯运行、消火栓水压、烟感数据统一接入；困人告警同步 119、维保单位与物业；"
                       "隐患工单在居委会工作台闭环。",
                       "1480000.00", "签约后 3 个月完成 20 个小区接入。", "项目经理 1 名、开发 6 名、消防工程师 2 名"),
            ]),
            ("yuntu", [
                _entry("社区云 + 物联感知的社区安全治理平台。",
                       "依托社区云底座接入电梯、消防与非机动车棚数据；事件识别后进入一网统管派单。",
                       "1520000.00", "签约后 4 个月完成 20 个小区接入。", "项目经理 1 名、开发 7 名"),
            ]),
            ("yikang", [
                _entry("适老化电梯安全与独居老人困梯救援服务。",
                       "电梯困人告警联动为老服务坐席，优先救援独居老人；消防设施监测外包集成。",
                       "1350000.00", "签约后 4 个月上线。", "项目经理 1 名、开发 4 名、坐席 4 名"),
            ]),
        ],
        "review": {
            "draw_seed": 20260318, "midterm_seed": 20260401,
            "marks": {"anlan": [8.5, 8.5, 8.0, 8.0, 7.5], "yuntu": [8.0, 7.5, 8.0, 8.5, 7.0],
                      "yikang": [6.0, 7.0, 5.5, 6.0, 8.0]},
            "remarks": {
                "anlan": ["物联接入方案完整，消防专业性强", "对困人救援时长痛点回应充分", "15 分钟到场指标有测算依据",
                          "消防工程师参与，团队配置合理", "报价适中"],
                "yuntu": ["依托社区云底座，复用度高", "对隐患闭环有设计，电梯部分略弱", "指标承诺明确",
                          "同类社区治理案例丰富", "报价偏高"],
                "yikang": ["消防设施监测依赖外包集成，技术路线不够清晰", "适老化视角好，但覆盖面偏窄",
                           "消防设施完好率指标未作承诺", "电梯与消防领域案例不足", "报价最低，构成清晰"],
            },
        },
    },
    {
        "title": "互联网医院进养老机构：在线复诊、医保结算与药品配送",
        "department": "区卫生健康委", "domain": "医疗", "required": ["医疗"], "state": "notice",
        "budget": "1100000.00", "days": 16, "race_slots": 1, "min_submissions": 2, "plan": single_plan(),
        "description": "探索互联网医院在 7 家养老机构推广应用，提供在线复诊预约、线上开药、医保结算、药品配送等全流程"
                       "闭环服务，加强医养结合信息化支撑。",
        "pain_points": "1. 养老机构老人慢病复诊需护工陪同往返医院，每次半天以上；\n2. 线上复诊后的医保结算与配药仍需跑腿；\n"
                       "3. 机构护理记录与医院病历不互通。",
        "outcomes": "1. 7 家养老机构全部开通在线复诊；\n2. 慢病复诊线上占比 ≥ 60%；\n3. 医保在线结算，药品 24 小时内送达机构；\n"
                    "4. 护理记录与电子健康档案互通。",
        "questions": [
            ("yilian", "在线复诊的处方是否可以由区域医疗中心统一审核？",
             "可以。处方由区域医疗中心药学部统一审核，审核接口入围后提供。"),
        ],
        "entries": [
            ("jiankangyun", [
                _entry("互联网医院医养结合服务平台：复诊、处方流转、医保结算、配送到院闭环。",
                       "机构端平板 + 护理员代操作；医保电子凭证在线结算；药品由区域医疗中心药房配送至机构，签收留痕。",
                       "1050000.00", "签约后 3 个月覆盖 7 家机构。", "项目经理 1 名、开发 5 名、药师 1 名、驻点 3 名"),
            ]),
            ("yilian", [
                _entry("基于便捷就医 2.0 的养老机构远程复诊服务。",
                       "复用三家区属医院已上线的智能分诊与电子票据能力，养老机构开通远程复诊专窗。",
                       "930000.00", "签约后 2 个月覆盖 7 家机构。", "项目经理 1 名、开发 4 名、驻场 2 名"),
            ]),
        ],
        "review": {
            "draw_seed": 20260325,
            "marks": {"jiankangyun": [8.5, 9.0, 8.0, 8.5, 7.5], "yilian": [8.0, 7.5, 7.5, 8.0, 9.0]},
            "remarks": {
                "jiankangyun": ["处方流转与医保结算闭环完整", "护理员代操作贴合机构老人实际，痛点回应到位",
                                "线上复诊占比与配送时效承诺明确", "驻点与药师配置到位", "报价合理"],
                "yilian": ["复用已有能力，上线快，但机构端设计较少", "对护理记录互通回应不足", "指标承诺基本明确",
                           "区属医院落地经验丰富", "报价最低，构成清晰透明"],
            },
            "objection": ("yilian", "我方报价低于拟挂帅单位 12 万元，且已在三家区属医院上线同类服务，"
                                    "“场景理解与痛点回应”一项得分明显偏低，申请复核评分过程并说明扣分理由。"),
        },
    },
    {
        "title": "消防AI作战：无人机火场实景测绘与三维建模辅助指挥",
        "department": "区大数据中心", "domain": "数字治理", "required": ["数字治理"], "state": "awarded",
        "budget": "1900000.00", "days": 20, "race_slots": 1, "min_submissions": 2,
        "plan": single_plan(),
        "description": "探索消防AI作战场景，以无人机为战时火势火情信息采集载体，在突发火灾时快速实景测绘和三维建模，"
                       "实现战时智能化、可视化、协同化的决策指挥。",
        "pain_points": "高层和老旧里弄火场内部情况不明，指挥员靠经验判断；现场图像回传慢，多部门协同缺少统一底图。",
        "outcomes": "1. 接警后 15 分钟内完成火场实景测绘；\n2. 三维模型实时回传指挥中心，延迟 ≤ 5 秒；\n"
                    "3. 与一网统管城市运行平台共用底图，公安、医疗、燃气等部门协同处置。",
        "questions": [
            ("anlan", "无人机飞行空域审批是否由区里统一协调？",
             "战时飞行纳入区应急联动机制，由区大数据中心会同公安分局统一报备。"),
        ],
        "entries": [
            ("anlan", [
                _entry("无人机火场实景测绘 + 三维建模指挥系统。",
                       "双光（可见光、热成像）无人机倾斜摄影；边缘计算实时建模；指挥端叠加建筑图纸与消防水源。",
                       "1780000.00", "签约后 4 个月完成系统部署与实战演练。", "项目经理 1 名、算法 4 名、飞手 3 名、消防顾问 1 名"),
            ]),
            ("yuntu", [
                _entry("基于数字孪生底座的火场态势感知。",
                       "接入一网统管数字孪生底座，无人机视频与周边视频融合展示火场态势。",
                       "1650000.00", "签约后 5 个月完成部署。", "项目经理 1 名、算法 3 名、开发 5 名"),
            ]),
        ],
        "review": {
            "draw_seed": 20260304,
            "marks": {"anlan": [9.0, 8.5, 8.5, 8.0, 7.5], "yuntu": [7.5, 7.5, 7.0, 8.5, 8.0]},
            "remarks": {
                "anlan": ["双光倾斜摄影与边缘建模技术领先，15 分钟测绘有实测数据", "对火场内部情况不明的痛点回应充分",
                          "测绘时长与回传延迟指标可测可验收", "有消防顾问与持证飞手", "报价合理"],
                "yuntu": ["数字孪生底座复用度高，但实时建模能力不足", "侧重态势展示，对战时指挥回应不足",
                          "回传延迟未作明确承诺", "一网统管项目经验丰富", "报价较低"],
            },
            "objection": ("yuntu", "我方方案可直接复用一网统管数字孪生底座，建设成本更低，"
                                   "请复核“技术方案先进性与可行性”一项的评分。"),
            "dismiss": "经复核，专家组 5 名成员均已签署回避声明，无回避情形；评分按评审办法进行，"
                       "“技术方案先进性与可行性”一项的扣分理由为实时建模能力不足，评语已记录在案。异议不成立，予以驳回。",
        },
    },
]


# --- when things happened ------------------------------------------------------------------------
#
# Each challenge and project is a story told through the real operations with the clock set to the
# moment each step happened (core/timeutil.clock_at), so deadlines, publication and award dates,
# receipts, notices and audit events are spread over months as on a platform in use, instead of all
# being the minute the seed ran. All stories run interleaved in time order, so the audit chain's
# sequence and its times agree. Offsets are days from the day the seed runs (negative: past).
#
# published: the day the admin approved it; deadline: its (original) deadline — for open challenges
# `days` after the seed instead; closes: the day the panel's last round closed (the notice starts).
TIMELINE = {
    "便捷就医服务2.0": {"published": -12},
    "为老服务一键通": {"published": -20},
    "一网统管": {"published": -30},
    "智慧菜场": {"published": -25},
    "信息化标杆校": {"published": -3},
    "一网通办 免申即享": {"drafted": -5},
    "一网通办 智能预审": {"drafted": -16},
    "红色场馆数字化": {"drafted": -2},
    "数据中心能效评估": {"drafted": -8},
    "数字小区与社区云": {"published": -31, "deadline": -6},
    "精准助残": {"published": -26, "deadline": -3},
    "智慧工地监管": {"published": -64, "deadline": -40},
    "数字景区": {"published": -95, "deadline": -60, "cancelled": -70},
    "智慧养老": {"published": -48, "deadline": -21},
    "社区新基建": {"published": -110, "deadline": -82, "closes": -62},
    "互联网医院进养老机构": {"published": -58, "deadline": -30, "closes": -1},
    "消防AI作战": {"published": -190, "deadline": -160, "closes": -135},
}
# Partner listings, experts and departments were set up well before the first challenge.
PLATFORM_START = -400


def _timeline(spec):
    return TIMELINE[spec["title"].split("：")[0]]


class Story:
    """Moments of a story as days from the real today, at Beijing office hours."""

    def __init__(self, today):
        self.today = today

    def at(self, day, hour=10, minute=0):
        moment = datetime.combine(self.today + timedelta(days=day), time(hour, minute), tzinfo=SHANGHAI)
        return moment.astimezone(UTC)

    def deadline(self, day):
        """Deadlines are set and shown at 17:00 Beijing time."""
        return self.at(day, 17)


def run_stories(stories):
    """Run generator stories interleaved in time order. A story yields the moment of its next step
    and the step runs with the clock set to that moment; the moments of one story never go back."""
    real_now = utcnow()
    queue = []
    for order, story in enumerate(stories):
        moment = next(story, None)
        if moment is not None:
            heapq.heappush(queue, (moment, order, story))
    while queue:
        moment, order, story = heapq.heappop(queue)
        if moment > real_now:
            raise RuntimeError(f"demo story step at {moment} lies in the future")
        with clock_at(moment):
            upcoming = next(story, None)
            db.session.flush()
        if upcoming is not None:
            if upcoming < moment:
                raise RuntimeError(f"demo story goes back in time: {upcoming} after {moment}")
            heapq.heappush(queue, (upcoming, order, story))


def _values(spec, deadline):
    return {
        "title": spec["title"], "domain": spec["domain"], "description": spec["description"],
        "pain_points": spec["pain_points"], "outcomes": spec["outcomes"],
        "budget_yuan": Decimal(spec["budget"]), "deadline": deadline,
        "required_domains": spec["required"], "race_slots": spec["race_slots"],
        "min_submissions": spec["min_submissions"], "notice_days": spec.get("notice_days", 5),
        "contact": f"{spec['department']}联络员 {CONTACT_PHONE}", "rounds": spec["plan"],
        # The horse race: the same pilot milestones for every racer, a tenth of the budget each.
        "pilot_budget_yuan": Decimal(spec["budget"]) / 10 if spec["race_slots"] > 1 else None,
        "race_milestones": spec.get("race_milestones", RACE_MILESTONES) if spec["race_slots"] > 1 else [],
    }


def _provider_user(slug):
    return _get_user(f"{slug}@demo-provider.cn")


def challenge_stories(admin, story):
    for spec in CHALLENGES:
        if db.session.scalar(sa.select(Challenge.id).where(Challenge.title == spec["title"])) is None:
            yield _challenge_story(admin, spec, story)


def _challenge_story(admin, spec, story):  # noqa: C901 - one story, told in order
    department = _get_user(f"{DEPARTMENT_SLUGS[spec['department']]}@demo.gov.cn")
    target = spec["state"]
    when = _timeline(spec)
    if "drafted" in when:
        drafted = when["drafted"]
    else:
        drafted = when["published"] - 6
    past = "deadline" in when
    if past:
        deadline = story.deadline(when["deadline"])
    elif spec.get("extend_days"):
        deadline = story.deadline(when["published"] + spec["days"])  # the original, extended later
    else:
        deadline = story.deadline(spec["days"])
    yield story.at(drafted, 9, 30)
    challenge = challenge_ops.create_challenge(department, _values(spec, deadline))
    if target == "draft":
        return
    yield story.at(drafted + 2, 15)
    challenge_ops.submit_for_review(department, challenge)
    if target == "pending_review":
        return
    if target == "returned":
        yield story.at(drafted + 5, 11)
        challenge_ops.return_challenge(admin, challenge, reason=spec["return_reason"])
        return
    published = when["published"]
    yield story.at(published, 10)
    challenge_ops.approve_challenge(admin, challenge)
    questions = []
    for index, (slug, text, answer) in enumerate(spec.get("questions", [])):
        yield story.at(published + 1, 11 + index)
        questions.append((challenge_ops.ask_question(_provider_user(slug), challenge, text=text), answer))
    for question, answer in questions:
        if answer is not None:
            yield story.at(published + 2, 15)
            challenge_ops.answer_question(department, question, text=answer)
    for index, (slug, versions, *withdraw) in enumerate(spec.get("entries", [])):
        user = _provider_user(slug)
        yield story.at(published + 3 + 2 * index, 16, 20)
        submission, _ = submission_ops.submit_entry(user, challenge, **versions[0])
        for number, later in enumerate(versions[1:], start=1):
            yield story.at(published + 3 + 2 * index + number, 11, 5)
            submission_ops.update_entry(user, submission, **later)
        if withdraw:
            yield story.at(published + 4 + 2 * index + len(versions), 9, 40)
            submission_ops.withdraw_entry(user, submission)
    if spec.get("extend_days"):
        yield story.at(when["published"] + spec["days"] - 3, 14)
        challenge_ops.extend_deadline(department, challenge, deadline=story.deadline(spec["extend_days"]))
    if target == "cancelled":
        yield story.at(when["cancelled"], 16)
        challenge_ops.cancel_challenge(department, challenge, reason=spec["cancel_reason"])
        return
    if not past:
        return
    # The first request after the deadline closes it (or 流标 below min_submissions).
    yield story.at(when["deadline"], 17, 1)
    challenge_ops.close_if_due(challenge)
    if target in REVIEW_STATES:
        yield from REVIEW_STATES[target](admin, challenge, spec["review"], story, when)
    if challenge.state.value != target:
        raise RuntimeError(f"demo challenge “{challenge.title}” ended as {challenge.state.value}, not {target}")


# --- evaluation: panels, declarations, sheets, the race, the notice and the award ----------------

# Each evaluator marks a little above or below the entry's level — some are stricter than others,
# and each differs per criterion — as real panels do; points are on the criterion's own scale, in
# half points.
EVALUATOR_LEAN = [Decimal("0"), Decimal("0.5"), Decimal("-0.5"), Decimal("1.0"), Decimal("-1.0")]
EVALUATOR_STRICTNESS = [Decimal("0"), Decimal("-0.5"), Decimal("0.5"), Decimal("-1.0"), Decimal("0.5")]


def _provider(slug):
    return _provider_user(slug).organisation


def _sheet(round_, member_index, entries, review, only=None):
    """Score rows for one evaluator: the entry's level per criterion (out of 10), the evaluator's
    lean, scaled to each criterion's max points; every score carries the criterion's remark."""
    rows = []
    for entry in entries:
        slug = _slug_of(entry.submission.provider_id)
        for c_index, criterion in enumerate(round_.criteria):
            if only is not None and (slug, c_index) not in only:
                continue
            level = Decimal(str(review["marks"][slug][c_index]))
            level += EVALUATOR_LEAN[(member_index + c_index) % len(EVALUATOR_LEAN)]
            level += EVALUATOR_STRICTNESS[member_index % len(EVALUATOR_STRICTNESS)]
            low = review.get("low")
            if low and low[0] == member_index and low[1] == c_index:
                level = Decimal(low[2])
            level = min(Decimal(10), max(Decimal(0), level))
            points = (level * criterion.max_points / 10 * 2).to_integral_value() / 2
            rows.append({"submission_id": entry.submission_id, "criterion_id": criterion.id, "points": str(points),
                         "comment": review["remarks"][slug][c_index]})
    return rows


def _slug_of(provider_id):
    user = db.session.scalar(sa.select(User).where(User.organisation_id == provider_id, User.role == Role.provider)
                             .order_by(User.id).limit(1))
    return user.email.split("@")[0]


def _expert_number(user):
    return int(user.email.removeprefix("expert").split("@")[0])


def _first_round(admin, challenge, review, story, when):
    """Panel drawn two days after the deadline, round opened the next day, each expert scores on a
    later day, the round closes on `closes` (its results are the notice or the race)."""
    round_ = challenge.rounds[0]
    deadline = when["deadline"]
    yield story.at(deadline + 2, 10)
    review_ops.draw_panel(admin, round_, size=round_.min_panel, seed=review["draw_seed"])
    yield story.at(deadline + 3, 9)
    review_ops.open_round(admin, round_)
    for index, member in enumerate(review_ops.members(round_)):
        evaluator = member.evaluator
        yield story.at(deadline + 4 + index, 14, 10 * index)
        review_ops.sign_declaration(evaluator, round_, conflict_provider_ids=[])
        entries = review_ops.entries_for(member)
        review_ops.save_sheet(evaluator, round_, _sheet(round_, _expert_number(evaluator), entries, review))
        review_ops.submit_sheet(evaluator, round_)
    yield story.at(when["closes"], 10)
    review_ops.close_round(admin, round_)
    # Results checked by the admin, the report signed by every panel member, then published.
    for member in review_ops.members(round_):
        review_ops.sign_report(member.evaluator, round_, dissent=review.get("dissent", {}).get(
            _expert_number(member.evaluator)))
    review_ops.publish_round(admin, round_)


def _seed_evaluating(admin, challenge, review, story, when):
    """A round half-way: some sheets submitted (one with a declared conflict), one returned with a
    reason, one draft, and the printed demo evaluator (expert 1) yet to sign the declaration."""
    round_ = challenge.rounds[0]
    deadline = when["deadline"]
    yield story.at(deadline + 5, 10)
    review_ops.set_panel(admin, round_, [_expert(n).id for n in review["panel"]])
    yield story.at(deadline + 7, 9)
    review_ops.open_round(admin, round_)
    for index, number in enumerate((*review["submitted"], *review["drafts"])):
        evaluator = _expert(number)
        yield story.at(deadline + 8 + index, 15, 30)
        conflicts = [_provider(slug).id for slug in review["conflicts"].get(number, [])]
        member = review_ops.sign_declaration(evaluator, round_, conflict_provider_ids=conflicts)
        entries = review_ops.entries_for(member)
        # A draft: the evaluator has scored the first entry and will come back for the rest.
        only = None
        if number in review["drafts"]:
            first = _slug_of(entries[0].submission.provider_id)
            only = {(first, i) for i in range(len(round_.criteria))}
        review_ops.save_sheet(evaluator, round_, _sheet(round_, number, entries, review, only=only))
        if number in review["submitted"]:
            review_ops.submit_sheet(evaluator, round_)
    number, reason = review["returned"]
    yield story.at(deadline + 14, 11)
    review_ops.return_sheet(admin, round_, _expert(number).id, reason=reason)


def _seed_racing(admin, challenge, review, story, when):
    """The proposal round closed: the top race_slots entries race (and are told), the rest are
    told they are out; the mid-term panel is drawn and the round waits to be opened."""
    yield from _first_round(admin, challenge, review, story, when)
    midterm = challenge.rounds[1]
    yield story.at(when["closes"] + 5, 10)
    review_ops.draw_panel(admin, midterm, size=midterm.min_panel, seed=review["midterm_seed"])
    yield from _pilot_progress(challenge, story, when["closes"])


# Mid-race progress on the pilots (days after the race started): the leader finished the first
# milestone on time and is half-way through the second; the other finished the first late and
# waits for the department to confirm its second report. One report was returned first.
PILOT_REPORTS = [
    # (racer index, milestone index, day, percent, narrative, indicators, decision)
    (0, 0, 12, 60, "两个试点小区 48 部电梯完成传感器安装，消防设施数据接入进行中。", "电梯在线率 96%", "confirm"),
    (1, 0, 16, 100, "试点小区设备安装完成。", "", "return"),
    (0, 0, 18, 100, "试点小区电梯与消防设施全部接入平台，部署报告与联调记录已上传。",
     "电梯在线率 99.2%；消防设施接入率 100%", "confirm"),
    (1, 0, 23, 100, "补充了联调记录和现场照片：三个试点小区设备安装与平台接入完成。",
     "电梯在线率 97.5%；消防设施接入率 92%", "confirm"),
    (0, 1, 45, 60, "试点运行 27 天，困人故障平均响应 9 分钟，较试点前缩短 58%。",
     "困人平均响应 9 分钟；误报率 3.1%", "confirm"),
    (1, 1, 52, 40, "试点运行 20 天，正在优化误报规则。", "困人平均响应 14 分钟；误报率 7.8%", None),
]


def _pilot_progress(challenge, story, started):
    pilots = project_ops.challenge_projects(challenge.id)
    department = db.session.get(User, challenge.created_by_id)
    for racer, milestone_index, day, percent, narrative, indicators, decision in PILOT_REPORTS:
        pilot = pilots[racer]
        milestone = pilot.milestones[milestone_index]
        yield story.at(started + day, 16)
        report = project_ops.submit_report(milestone.owner, milestone, percent=percent, narrative=narrative,
                                           indicators=indicators)
        if decision == "confirm":
            yield story.at(started + day + 1, 10)
            project_ops.confirm_report(department, report)
            if percent == 100:
                project_ops.record_payment(department, pilot, amount_yuan=pilot.approved_yuan * Decimal("0.3"),
                                           note=f"试点经费第一笔（{milestone.title}）")
        elif decision == "return":
            yield story.at(started + day + 1, 10)
            project_ops.return_report(department, report, reason="请补充联调记录与现场照片等佐证材料")


def _seed_notice(admin, challenge, review, story, when):
    """The last round closed: the ranking is published for the notice period (公示期, working days),
    and a losing provider has lodged an objection the admin has not resolved yet."""
    yield from _first_round(admin, challenge, review, story, when)
    slug, reason = review["objection"]
    yield story.at(when["closes"], 16, 30)
    notice_ops.lodge_objection(_provider_user(slug), challenge, reason=reason)


def _seed_awarded(admin, challenge, review, story, when):
    """An objection was lodged during the notice and dismissed; after the notice period ended the
    admin awarded the winner, whose project entered the library."""
    yield from _first_round(admin, challenge, review, story, when)
    slug, reason = review["objection"]
    yield story.at(when["closes"] + 2, 16, 30)
    notice_ops.lodge_objection(_provider_user(slug), challenge, reason=reason)
    yield story.at(when["closes"] + 5, 11)
    objection = notice_ops.pending_objections(challenge)[0]
    notice_ops.resolve_objection(admin, objection, decision="dismissed", note=review["dismiss"])
    yield story.at(when["closes"] + 12, 10)
    notice_ops.finalize(admin, challenge)


REVIEW_STATES = {"evaluating": _seed_evaluating, "racing": _seed_racing, "notice": _seed_notice,
                 "awarded": _seed_awarded}
