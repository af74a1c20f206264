"""Demo needs: every state of the lifecycle, two published batches of the 场景需求清单, and one
need that became a challenge which is now open for entries (征集中).

Called at the end of `marketplace.demo.seed` (it needs the departments and providers). Idempotent:
the set is seeded once, recognised by its first title.
"""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrganisationKind, Role, User
from marketplace.accounts.operations import create_organisation, create_user
from marketplace.challenges import operations as challenge_ops
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.needs import operations as ops
from marketplace.needs.conversion import convert_need
from marketplace.needs.models import Need

STREETS = [("湖南路街道", "hnl")]  # a second 街道 besides 徐家汇街道 (seeded with the departments)

# title, submitter slug, domain, keywords, budget, source, problem, scenario, beneficiaries, outcomes,
# data, target state, assignee slug, batch number, feedback, days ago submitted
NEEDS = [
    ("社区长者食堂助餐服务数字化：订餐、结算与补贴核销", "xjh", "养老", ["助餐", "长者食堂", "补贴核销", "适老化"],
     "600000.00", "区级财政养老服务专项",
     "辖区 12 家长者食堂靠纸质登记订餐和核销助餐补贴，月底人工对账需 3 天，冒领、漏领时有发生。",
     "老人刷卡或刷脸在长者食堂订餐、取餐，系统按户籍和补贴等级自动结算，街道和民政局在线核销补贴。",
     "辖区约 4,200 名 60 岁以上享受助餐补贴的老人，12 家长者食堂，街道养老服务中心。",
     "补贴核销由 3 天缩短到当天；冒领为零；老人取餐排队不超过 5 分钟；支持子女代订。",
     "老人补贴等级名单（每月更新）、长者食堂点位与供餐能力。", "converted", "mzj", 1, None, 48),
    ("学校食堂“明厨亮灶”AI智能监管", "jyj", "教育", ["明厨亮灶", "食品安全", "AI识别", "学校食堂"],
     "850000.00", "部门预算",
     "全区 96 所中小学食堂已装摄像头，但靠人工抽看，未戴口罩、生熟混放等违规发现不及时。",
     "食堂后厨视频接入 AI 识别，违规行为实时告警到学校食安管理员和市场监管所，家长可看公开画面。",
     "全区约 8 万名在校学生及家长，学校食堂从业人员。", "违规行为识别准确率 ≥ 90%，告警 10 分钟内处置闭环。",
     "食堂视频流（已接入区视频共享平台）。", "published", "scjg", 1, "请与区市场监管局对接视频接入规范。", 46),
    ("老旧小区电动自行车充电安全智能监测", "hnl", "社区", ["电动自行车", "充电安全", "消防", "老旧小区"],
     None, "",
     "老旧小区电动自行车“飞线充电”、入户充电屡禁不止，去年辖区发生 2 起充电起火。",
     "在小区集中充电棚和楼道加装智能监测，电瓶进电梯、楼道充电自动识别告警，物业和街道联动处置。",
     "辖区 23 个老旧小区约 1.6 万户居民。", "楼道充电告警后 15 分钟内处置；全年零充电火灾。",
     "小区点位、物业联系人、既有充电棚位置。", "published", "jgw", 1, None, 44),
    ("智慧停车：商圈周边共享车位错峰停车", "xjh", "交通", ["智慧停车", "共享车位", "错峰", "商圈"],
     "1200000.00", "区级财政 + 社会资本",
     "商圈周边道路违停严重，而附近写字楼夜间和周末车位闲置率超过 60%。",
     "整合写字楼、小区闲置车位，居民和访客在手机上预约错峰停车、无感支付。",
     "商圈周边居民约 2 万户、商圈访客。", "新增错峰共享车位 1,500 个；周边道路违停下降 50%。",
     "路内泊位数据、违停抓拍统计。", "published", "jgw", 2, None, 20),
    ("智慧菜场：菜市场摊位数字化与食品安全追溯", "hnl", "经济", ["智慧菜场", "菜市场", "食品安全", "追溯"],
     "500000.00", "区商务发展专项资金",
     "辖区 3 家标准化菜市场仍用纸质台账，菜价不透明，食品安全问题无法追溯到摊位和供货商。",
     "摊位使用联网电子秤和数字价签，进货台账电子化，居民扫码查看菜价和产地，市场监管可追溯。",
     "辖区 3 家菜市场约 260 个摊位，周边约 5 万居民。", "菜价每日自动公示；食品安全问题 2 小时内追溯到供货商。",
     "菜市场摊位清单、既有电子秤型号。", "published", "swk", 2, "与区商务委“智慧菜场”榜单统筹推进。", 18),
    ("农贸市场电子秤联网与菜价公示", "xjh", "经济", ["菜价", "电子秤", "农贸市场"],
     None, "",
     "菜价不透明，居民投诉缺斤短两。", "农贸市场电子秤联网，菜价在市场大屏和小程序公示。",
     "辖区 2 家农贸市场周边居民。", "缺斤短两投诉下降 80%。", "", "merged", None, None, None, 16),
    ("夜间经济：商圈客流监测与疏导", "wlj", "文旅", ["夜间经济", "客流", "疏导"],
     "400000.00", "部门预算",
     "夜市和演出散场时客流骤增，现场靠人工估算，疏导滞后。",
     "商圈重点点位客流实时监测，超阈值自动提醒公安和城管，向游客推送分流路线。",
     "夜间商圈游客、商户。", "高峰疏导响应时间缩短到 5 分钟以内。", "商圈点位、历史客流统计。",
     "accepted", "wlj", None, None, 8),
    ("独居老人用水用电异常智能预警", "hnl", "养老", ["独居老人", "用水用电", "异常预警"],
     "300000.00", "街道自筹",
     "独居老人在家发生意外往往数天后才被发现，上门巡访频次有限。",
     "通过智能水表、电表数据识别长时间无用水用电的异常，自动通知社区网格员和家属上门。",
     "辖区约 900 名独居老人。", "异常 2 小时内有人上门；不采集室内图像。", "独居老人名单、水电户号。",
     "submitted", None, None, None, 3),
    ("一网通办：街道综合窗口智能导办", "xjh", "数字治理", ["一网通办", "智能导办", "综合窗口"],
     None, "",
     "社区事务受理中心窗口办事人多，群众不清楚材料，来回跑。",
     "在自助终端和小程序上智能问答导办，提前预审材料，窗口只做核验。",
     "到社区事务受理中心办事的居民，每月约 1.2 万人次。", "一次办成率提升到 95%。", "高频事项清单与材料目录。",
     "submitted", None, None, None, 2),
    ("数字化赋能基层治理", "hnl", "数字治理", ["基层治理"],
     None, "",
     "需要提升基层治理数字化水平。", "街道各项工作。", "居民。", "提高效率。", "",
     "returned", None, None, "问题和场景描述过于笼统：请说明具体哪项业务、现在哪里做不好、预期量化成效。", 10),
    ("街道办公电脑更新换代", "xjh", "数字治理", ["办公设备"],
     "200000.00", "部门预算",
     "街道办公电脑老旧。", "更换 120 台办公电脑。", "街道工作人员。", "办公效率提升。", "",
     "rejected", None, None, "属于常规信息化设备采购，请按政府采购程序办理，不属于应用场景需求。", 12),
]


def _user(slug):
    return db.session.scalar(sa.select(User).where(User.email == f"{slug}@demo.gov.cn"))


def _org_of(slug):
    return _user(slug).organisation_id


def _ensure_streets(admin):
    from marketplace.demo import DEMO_PASSWORD

    for name, slug in STREETS:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name)) or create_organisation(
            admin, name=name, kind=OrganisationKind.department, contact_name=f"{name}联络员")
        if _user(slug) is None:
            create_user(admin, email=f"{slug}@demo.gov.cn", password=DEMO_PASSWORD, name=f"{name}经办人",
                        role=Role.department, organisation=org)
    db.session.flush()


def _values(spec):
    title, _, domain, keywords, budget, source, problem, scenario, beneficiaries, outcomes, data = spec[:11]
    return {"title": title, "domain": domain, "keywords": keywords,
            "budget_yuan": Decimal(budget) if budget else None, "budget_source": source, "problem": problem,
            "scenario": scenario, "beneficiaries": beneficiaries, "expected_outcomes": outcomes,
            "data_available": data}


def seed_needs(admin):
    if db.session.scalar(sa.select(Need.id).where(Need.title == NEEDS[0][0])) is not None:
        return
    _ensure_streets(admin)
    provider = db.session.scalar(sa.select(User).where(User.email == "yilian@demo-provider.cn"))
    if provider is not None:
        ops.set_subscriptions(provider, ["医疗", "养老", "社区"])
    by_title, batches = {}, {}
    for spec in NEEDS:
        title, slug, target, assignee, batch, feedback, days = spec[0], spec[1], *spec[11:]
        need = ops.submit_need(_user(slug), _values(spec))
        # demo only: the needs arrived over the last weeks, so the queue's ages and the dashboard's
        # days from need to challenge look like a running office's.
        need.submitted_at = utcnow() - timedelta(days=days)
        by_title[title] = need
        if target in ("accepted", "published", "converted"):
            ops.accept_need(admin, need, note=feedback, assignee_id=_org_of(assignee))
            if batch:
                batches.setdefault(batch, []).append(need)
        elif target == "returned":
            ops.return_need(admin, need, note=feedback)
        elif target == "rejected":
            ops.reject_need(admin, need, note=feedback)
        elif target == "merged":
            ops.merge_need(admin, need, by_title[NEEDS[4][0]])
    db.session.flush()
    for number in sorted(batches):
        batch = ops.create_batch(admin, need_ids=[n.id for n in batches[number]])
        ops.publish_batch(admin, batch)
    converted = by_title[NEEDS[0][0]]
    department = _user(NEEDS[0][12])
    challenge = convert_need(department, converted)
    db.session.flush()
    challenge_ops.submit_for_review(department, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    db.session.flush()
