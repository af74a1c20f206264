"""Reusable evaluation plans (评审方案模板, issue 13).

A template is a plan in the shape POST /challenges takes (`rounds`), kept by the admin. Templates
are versioned: an edit adds a row (the next version of the same family) and retires the previous
one; a challenge copies one version's rounds when it is drafted and its rounds keep the id of that
row, so editing a template never changes a challenge already written.
"""

from decimal import Decimal

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.audit.operations import record
from marketplace.core.errors import NotAllowed, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.review.models import EvaluationTemplate
from marketplace.review.states import Aggregation


def _require_admin(actor):
    if actor is not None and actor.role != Role.admin:
        raise NotAllowed("只有平台管理员可以维护评审方案模板")


def plan_json(plan) -> list[dict]:
    """A checked plan (the form's `plan()`) as JSON data: threshold as text, tie-break by name."""
    out = []
    for r in plan:
        criteria = [{"name": c["name"], "description": c.get("description") or "", "weight": c["weight"],
                     "max_points": c["max_points"], "kind": c.get("kind") or "judged",
                     **({"formula": c["formula"]} if c.get("kind") == "metric" else {}),
                     **({"guidance": c["guidance"]} if c.get("guidance") else {})} for c in r["criteria"]]
        tie = r.get("tie_break_position")
        threshold = r.get("advance_threshold")
        out.append({"name": r["name"], "aggregation": r.get("aggregation") or "mean",
                    "advance_top": r.get("advance_top"),
                    "advance_threshold": None if threshold is None else f"{Decimal(threshold):.2f}",
                    "blind": bool(r.get("blind")), "min_panel": r.get("min_panel") or 3,
                    "normalise": bool(r.get("normalise")),
                    "tie_break": criteria[tie - 1]["name"] if tie and tie <= len(criteria) else "",
                    "criteria": criteria})
    return out


def challenge_plan_json(challenge) -> list[dict]:
    """An earlier challenge's rounds in the same shape, to start a new challenge from (复制)."""
    plan = []
    for r in sorted(challenge.rounds, key=lambda r: r.position):
        plan.append({"name": r.name, "aggregation": r.aggregation.value, "advance_top": r.advance_top,
                     "advance_threshold": r.advance_threshold, "blind": r.blind, "min_panel": r.min_panel,
                     "normalise": r.normalise, "tie_break_position": r.tie_break_position,
                     "criteria": [{"name": c.name, "description": c.description, "weight": c.weight,
                                   "max_points": c.max_points, "kind": c.kind, "formula": c.formula,
                                   "guidance": c.guidance} for c in r.criteria]})
    return plan_json(plan)


def tag_plan(plan, template):
    """Mark a checked plan as copied from this template version (recorded on every round)."""
    for round_ in plan:
        round_["template_id"] = template.id
    return plan


def current_templates() -> list[EvaluationTemplate]:
    return db.session.scalars(sa.select(EvaluationTemplate).where(EvaluationTemplate.current)
                              .order_by(EvaluationTemplate.family_id)).all()


def get_current(family_id) -> EvaluationTemplate:
    template = db.session.scalar(sa.select(EvaluationTemplate).where(
        EvaluationTemplate.family_id == family_id, EvaluationTemplate.current))
    if template is None:
        raise NotFound("未找到该评审方案模板")
    return template


def get_version(version_id) -> EvaluationTemplate | None:
    """A template version by its row id (what a challenge's rounds record), or None."""
    try:
        return db.session.get(EvaluationTemplate, int(version_id)) if version_id not in (None, "") else None
    except (TypeError, ValueError):
        return None


def versions(family_id) -> list[EvaluationTemplate]:
    return db.session.scalars(sa.select(EvaluationTemplate).where(EvaluationTemplate.family_id == family_id)
                              .order_by(EvaluationTemplate.version.desc())).all()


# What the versions page says changed between two versions (plan_json shapes), field by field.
_ROUND_FIELDS = {"aggregation": "汇总方式", "advance_top": "晋级名额", "advance_threshold": "晋级分数线",
                 "blind": "盲评", "min_panel": "最少专家人数", "normalise": "标准化参考分", "tie_break": "同分比较项"}
_CRITERION_FIELDS = {"weight": "权重", "max_points": "满分", "kind": "类型", "description": "说明",
                     "formula": "计算公式", "guidance": "评分指引"}
_KINDS = {"judged": "专家评分", "price": "报价自动计算", "metric": "指标自动计算"}
_AGGREGATIONS = {a.value: a.label for a in Aggregation}


def _shown(field, value):
    if field in ("formula", "guidance", "description"):
        return None  # long values: only "changed" is said
    if field == "kind":
        return _KINDS.get(value, value)
    if field == "aggregation":
        return _AGGREGATIONS.get(value, value)
    if field == "weight":
        return f"{value}%"
    if isinstance(value, bool):
        return "是" if value else "否"
    return "无" if value in (None, "") else str(value)


def _field_changes(label, fields, old, new):
    out = []
    for field, name in fields.items():
        before, after = old.get(field), new.get(field)
        if field in ("guidance", "formula", "description"):
            before, after = before or None, after or None
        if before != after:
            shown_before, shown_after = _shown(field, before), _shown(field, after)
            out.append(f"{label}：{name}已修改" if shown_before is None
                       else f"{label}：{name} {shown_before} → {shown_after}")
    return out


def plan_diff(old_rounds, new_rounds) -> list[str]:
    """What changed from one version's plan to the next, in words (rounds and criteria matched by
    name): rounds and criteria added or removed, changed settings, weights and points, reordering."""
    changes = []
    old_by_name = {r["name"]: r for r in old_rounds}
    new_by_name = {r["name"]: r for r in new_rounds}
    for r in new_rounds:
        if r["name"] not in old_by_name:
            changes.append(f"新增轮次“{r['name']}”（{'、'.join(c['name'] for c in r['criteria'])}）")
    for r in old_rounds:
        if r["name"] not in new_by_name:
            changes.append(f"删除轮次“{r['name']}”")
    kept_old = [r["name"] for r in old_rounds if r["name"] in new_by_name]
    kept_new = [r["name"] for r in new_rounds if r["name"] in old_by_name]
    if kept_old != kept_new:
        changes.append(f"轮次顺序调整为：{' → '.join(kept_new)}")
    for name in kept_new:
        old, new = old_by_name[name], new_by_name[name]
        changes += _field_changes(f"轮次“{name}”", _ROUND_FIELDS, old, new)
        old_c = {c["name"]: c for c in old["criteria"]}
        new_c = {c["name"]: c for c in new["criteria"]}
        for c in new["criteria"]:
            if c["name"] not in old_c:
                changes.append(f"轮次“{name}”：新增评分项“{c['name']}”（{c['weight']}%，{_KINDS.get(c.get('kind'), '专家评分')}）")
        for c in old["criteria"]:
            if c["name"] not in new_c:
                changes.append(f"轮次“{name}”：删除评分项“{c['name']}”（原 {c['weight']}%）")
        kept_c_old = [c for c in old_c if c in new_c]
        kept_c_new = [c for c in new_c if c in old_c]
        if kept_c_old != kept_c_new:
            changes.append(f"轮次“{name}”：评分项顺序调整")
        for cname in kept_c_new:
            changes += _field_changes(f"轮次“{name}”评分项“{cname}”", _CRITERION_FIELDS,
                                      {"kind": "judged", **old_c[cname]}, {"kind": "judged", **new_c[cname]})
    return changes


def version_changes(previous, template) -> list[str]:
    """The changes a version made to the one before it (None: the first version)."""
    if previous is None:
        return ["初始版本"]
    changes = []
    if previous.name != template.name:
        changes.append(f"名称 “{previous.name}” → “{template.name}”")
    if (previous.description or "") != (template.description or ""):
        changes.append("说明已修改")
    changes += plan_diff(previous.rounds, template.rounds)
    return changes or ["无实质修改"]


def copied_by(template_ids) -> dict:
    """{template version id: [Challenge]} the challenges whose rounds were copied from each version."""
    from marketplace.challenges.models import Challenge
    from marketplace.review.models import EvaluationRound

    pairs = db.session.execute(
        sa.select(EvaluationRound.template_id, EvaluationRound.challenge_id)
        .where(EvaluationRound.template_id.in_(list(template_ids))).distinct()).all()
    challenges = {c.id: c for c in db.session.scalars(
        sa.select(Challenge).where(Challenge.id.in_({challenge_id for _, challenge_id in pairs})))}
    out = {}
    for template_id, challenge_id in sorted(pairs):
        out.setdefault(template_id, []).append(challenges[challenge_id])
    return out


def history(family_id) -> list[dict]:
    """Every version of a template, newest first: what changed from the one before, and which
    challenges copied it."""
    rows = versions(family_id)
    if not rows:
        raise NotFound("未找到该评审方案模板")
    copies = copied_by(t.id for t in rows)
    oldest_first = list(reversed(rows))
    out = []
    for index, template in enumerate(oldest_first):
        previous = oldest_first[index - 1] if index else None
        out.append({"template": template, "changes": version_changes(previous, template),
                    "challenges": copies.get(template.id, [])})
    return list(reversed(out))


def _check(name, rounds):
    if not (name or "").strip():
        raise ValidationFailed(fields={"name": "请填写模板名称"})
    if not rounds:
        raise ValidationFailed(fields={"rounds": "评审方案至少需要一轮"})


def create_template(actor, *, name, description, rounds, key=None):
    """`rounds`: a checked plan in JSON shape (plan_json)."""
    _require_admin(actor)
    _check(name, rounds)
    template = EvaluationTemplate(version=1, key=key, name=name.strip(), description=description or "",
                                  rounds=rounds, current=True, created_by_id=getattr(actor, "id", None))
    db.session.add(template)
    db.session.flush()
    template.family_id = template.id
    db.session.flush()
    record(actor, "evaluation_template.create", template,
           after={"name": template.name, "version": 1, "rounds": [r["name"] for r in rounds]})
    return template


def edit_template(actor, template, *, name, description, rounds):
    """An edit is a new version; the previous one stays, retired, for the challenges that copied it."""
    _require_admin(actor)
    _check(name, rounds)
    current = db.session.scalar(sa.select(EvaluationTemplate).where(
        EvaluationTemplate.family_id == template.family_id, EvaluationTemplate.current).with_for_update())
    if current is None or current.id != template.id:
        raise ValidationFailed(fields={"version": "模板已有更新的版本，请在最新版本上修改"})
    current.current = False
    db.session.flush()
    new = EvaluationTemplate(family_id=current.family_id, version=current.version + 1, key=current.key,
                             name=name.strip(), description=description or "", rounds=rounds, current=True,
                             created_by_id=getattr(actor, "id", None))
    db.session.add(new)
    db.session.flush()
    record(actor, "evaluation_template.edit", new, before={"id": current.id, "version": current.version},
           after={"name": new.name, "version": new.version, "rounds": [r["name"] for r in rounds]})
    return new


def template_json(template) -> dict:
    return {"id": template.family_id, "version": template.version, "version_id": template.id,
            "name": template.name, "description": template.description, "key": template.key,
            "rounds": template.rounds, "created_at": template.created_at.isoformat()}


# --- the templates the platform ships with ---------------------------------------------------

def _c(name, weight, max_points, description, guidance=(), kind="judged", formula=None):
    c = {"name": name, "description": description, "weight": weight, "max_points": max_points, "kind": kind}
    if formula is not None:
        c["formula"] = formula
    if guidance:
        c["guidance"] = [{"band": b, "text": t} for b, t in guidance]
    return c


def _round(name, criteria, **extra):
    return {"name": name, "aggregation": extra.get("aggregation", "trimmed_mean"), "advance_top": None,
            "advance_threshold": None, "blind": extra.get("blind", False), "min_panel": extra.get("min_panel", 5),
            "normalise": False, "tie_break": extra.get("tie_break", ""), "criteria": criteria}


BANDS = lambda high, mid, low: (("优（90–100%）", high), ("良（60–89%）", mid), ("差（0–59%）", low))  # noqa: E731

SHIPPED = [
    {"key": "zonghe-standard", "name": "综合评分法（标准）",
     "description": "技术方案、实施能力、团队、业绩案例由专家评分；报价得分按最低有效报价为基准价自动计算"
                    "（报价得分 = 基准价 ÷ 投标报价 × 满分）。",
     "rounds": [_round("综合评审", [
         _c("技术方案", 40, 40, "方案的完整性、先进性与可行性",
            BANDS("方案完整，技术路线先进可行", "方案基本完整，个别环节需完善", "方案缺项或不可行")),
         _c("实施能力", 15, 15, "实施计划、进度保障与风险应对",
            BANDS("计划清晰、保障充分", "计划基本合理", "计划缺失或明显不合理")),
         _c("团队", 10, 10, "项目团队的资历与投入", BANDS("核心成员经验丰富、专职投入", "具备相应经验", "人员不足")),
         _c("业绩案例", 5, 5, "近三年同类项目案例", BANDS("多个同类成功案例", "有相关案例", "无相关案例")),
         _c("报价", 30, 30, "以最低有效报价为评标基准价，自动计算", kind="price"),
     ], tie_break="技术方案")]},
    {"key": "innovation-contest", "name": "创新大赛",
     "description": "初赛书面评审晋级，决赛路演答辩；适用于创新挑战赛、揭榜挂帅大赛。",
     "rounds": [
         _round("初赛（书面评审）", [
             _c("创新性", 30, 100, "技术或模式的原创性与突破程度",
                BANDS("国内领先、原创突破", "有明显改进", "创新不足")),
             _c("可行性", 25, 100, "技术成熟度与落地条件", BANDS("已验证、可快速落地", "需进一步验证", "难以落地")),
             _c("市场前景", 25, 100, "应用场景规模与推广价值", BANDS("市场广阔、可复制", "有一定市场", "市场有限")),
             _c("团队", 20, 100, "团队结构与执行力", BANDS("结构完整、执行力强", "基本具备", "明显不足")),
         ], blind=True),
         _round("决赛（路演答辩）", [
             _c("路演表现", 40, 100, "路演陈述与答辩质量", BANDS("逻辑清晰、回答准确", "基本清楚", "表达不清")),
             _c("创新性", 30, 100, "答辩中体现的创新深度"),
             _c("可行性", 30, 100, "实施路径与资源保障"),
         ]),
     ]},
    {"key": "datacenter-efficiency", "name": "数据中心能效评价",
     "description": "依据数据中心综合评价指标体系：设计 PUE、算力能效等指标按申报值自动计分，"
                    "专家只确认申报值的合理性；另由专家评价技术方案与运维保障。",
     "rounds": [_round("能效与方案评审", [
         _c("设计 PUE", 25, 25, "电能利用效率（越低越好），按服务商申报的设计值计分", kind="metric",
            formula={"type": "thresholds", "unit": "PUE", "otherwise": "0",
                     "thresholds": [{"at_most": "1.25", "points": "25"}, {"at_most": "1.3", "points": "20"},
                                    {"at_most": "1.4", "points": "12"}, {"at_most": "1.5", "points": "5"}]}),
         _c("算力能效（FLOPS/W）", 15, 15, "单位功耗算力，按申报值线性计分（≥ 50 GFLOPS/W 满分，≤ 10 为 0）",
            kind="metric", formula={"type": "linear", "unit": "GFLOPS/W", "best": "50", "worst": "10"}),
         _c("可再生能源利用率（%）", 10, 10, "绿电使用比例，按申报值线性计分（≥ 60% 满分）", kind="metric",
            formula={"type": "linear", "unit": "%", "best": "60", "worst": "0"}),
         _c("技术方案", 30, 30, "制冷、供配电与余热利用方案",
            BANDS("方案先进、节能措施完整", "措施基本完整", "措施缺失")),
         _c("运维保障", 20, 20, "能效监测与持续优化机制", BANDS("在线监测、闭环优化", "有监测手段", "无监测")),
     ], tie_break="设计 PUE")]},
]


def seed_templates(actor=None) -> int:
    """Add the shipped templates that are missing (matched by key): safe to run again, and it never
    overwrites an admin's edit of a shipped template. Returns how many were added."""
    existing = set(db.session.scalars(sa.select(EvaluationTemplate.key).where(EvaluationTemplate.key.is_not(None))))
    added = 0
    for spec in SHIPPED:
        if spec["key"] in existing:
            continue
        create_template(None, name=spec["name"], description=spec["description"], rounds=spec["rounds"],
                        key=spec["key"])
        added += 1
    return added
