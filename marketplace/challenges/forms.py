"""Challenge forms, shared by the pages and the API (JSON flattened to `rounds-0-criteria-1-weight`)."""

import json

from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.core.db import utcnow
from marketplace.core.domains import DOMAIN_CHOICES
from marketplace.core.forms import BaseForm, MultiCheckboxField, SubForm
from marketplace.core.money import parse_yuan
from marketplace.core.timeutil import parse_iso_datetime
from marketplace.review.states import Aggregation

REQUIRED = "此项为必填项"
# Text fields use DataRequired: input is stripped first, so "   " must count as missing (InputRequired
# only sees that something was sent, and a blank amount or time then reached the operation).
MAX_ROUNDS, MAX_CRITERIA = 5, 10
HTML_ROUNDS, HTML_CRITERIA = 3, 6  # blank rows offered on the page; blank ones are ignored
HTML_RACE_MILESTONES = 3
MAX_RACE_MILESTONES = 12


def yuan_validator(form, field):
    if field.data in (None, ""):
        return
    try:
        field.parsed = parse_yuan(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def datetime_validator(form, field):
    if not field.data:
        return
    try:
        field.parsed = parse_iso_datetime(field.data)
    except (ValueError, TypeError, OverflowError):
        raise ValidationError("时间格式不正确，例如 2026-12-01T17:00（北京时间）") from None


def future_validator(form, field):
    """Deadlines must lie in the future when they are set (the operation checks it again)."""
    parsed = getattr(field, "parsed", None)
    if parsed is not None and parsed <= utcnow():
        raise ValidationError("截止时间必须晚于当前时间")


# --- the evaluation plan (rounds × criteria); issue 13 adds computed criteria and templates ------

CRITERION_KINDS = [("judged", "专家评分"), ("price", "报价得分（自动计算）"), ("metric", "指标得分（按申报值计算）")]


def formula_validator(form, field):
    """A metric criterion's formula: JSON data checked against the declarative schema (no code)."""
    field.parsed = None
    if not field.data:
        return
    from marketplace.review.scoring import ScoringError, check_formula

    try:
        raw = json.loads(field.data)
    except (ValueError, RecursionError):
        raise ValidationError("计算公式应为 JSON，例如 {\"type\": \"linear\", \"best\": \"1.2\", \"worst\": \"1.5\"}") from None
    try:
        field.parsed = check_formula(raw, form.max_points.data or 1000)
    except ScoringError as exc:
        raise ValidationError(str(exc)) from None


def parse_guidance(text):
    """Scoring guidance, one band a line: “90–100：方案完整可行……” → [{"band", "text"}]."""
    bands = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        band, sep, rest = line.replace(":", "：").partition("：")
        bands.append({"band": band.strip(), "text": rest.strip()} if sep else {"band": "", "text": line})
    return bands


def guidance_text(bands):
    return "\n".join(f"{b['band']}：{b['text']}" if b.get("band") else b.get("text", "") for b in bands or [])


class CriterionForm(SubForm):
    name = StringField("评分项", validators=[Optional(), Length(max=100, message="评分项名称不能超过 100 个字符")])
    description = StringField("说明", validators=[Optional(), Length(max=500, message="说明不能超过 500 个字符")])
    weight = IntegerField("权重（%）", validators=[Optional(), NumberRange(1, 100, "权重应为 1–100 的整数")])
    max_points = IntegerField("满分", validators=[Optional(), NumberRange(1, 1000, "满分应为 1–1000 的正整数")])
    kind = SelectField("计分方式", choices=CRITERION_KINDS, default="judged", validators=[Optional()])
    formula = TextAreaField("指标计算公式（JSON，仅指标得分）", validators=[Optional(), Length(max=2000), formula_validator])
    guidance = TextAreaField("评分指引（每行一档，如“90–100：……”）", validators=[Optional(), Length(max=4000)])

    def is_blank(self):
        return not (self.name.data or self.weight.data or self.max_points.data or self.description.data)

    def values(self):
        kind = self.kind.data if self.kind.data in dict(CRITERION_KINDS) else "judged"
        return {"name": self.name.data, "description": self.description.data or "", "weight": self.weight.data,
                "max_points": self.max_points.data, "kind": kind,
                "formula": getattr(self.formula, "parsed", None) if kind == "metric" else None,
                "guidance": parse_guidance(self.guidance.data)}


class RoundForm(SubForm):
    name = StringField("轮次名称", validators=[Optional(), Length(max=100, message="轮次名称不能超过 100 个字符")])
    aggregation = SelectField("汇总方式", choices=Aggregation.choices(), default=Aggregation.mean.value,
                              validators=[Optional()])
    advance_top = IntegerField("晋级名额（前 K 名）", validators=[Optional(), NumberRange(1, 100, "晋级名额应为 1–100")])
    advance_threshold = StringField("晋级分数线（0–100）", validators=[Optional(), Length(max=10)])
    blind = BooleanField("盲评（对评审专家隐藏服务商身份）")
    min_panel = IntegerField("专家组最少人数", default=3, validators=[Optional(), NumberRange(1, 30, "专家人数应为 1–30")])
    # A choice among the round's own criteria (their names); choices follow the rows as typed.
    tie_break = SelectField("同分时优先比较的评分项", choices=[("", "（默认：权重最高的一项）")],
                            validate_choice=False, validators=[Optional(), Length(max=100)])
    normalise = BooleanField("另列按专家标准化（z 分数）的参考结果")
    criteria = FieldList(FormField(CriterionForm), min_entries=1, max_entries=MAX_CRITERIA)

    def is_blank(self):
        return not self.name.data and all(c.form.is_blank() for c in self.criteria)

    def refresh_choices(self):
        names = [c.form.name.data for c in self.criteria if c.form.name.data]
        self.tie_break.choices = [("", "（默认：权重最高的一项）"), *((n, n) for n in names)]


class RaceMilestoneForm(SubForm):
    """One unified pilot milestone (统一里程碑) of a horse race."""
    title = StringField("里程碑", validators=[Optional(), Length(max=200, message="里程碑名称不能超过 200 个字符")])
    due_days = IntegerField("赛马开始后第几天到期", validators=[Optional(), NumberRange(1, 730, "天数应为 1–730")])
    evidence = StringField("须提交的佐证材料", validators=[Optional(), Length(max=1000, message="不能超过 1000 个字符")])
    remove = BooleanField("删除此行")

    def is_blank(self):
        return bool(self.remove.data) or not (self.title.data or self.due_days.data or self.evidence.data)


class PlanForm(BaseForm):
    """The evaluation plan part of a form (a challenge's, or an evaluation template's)."""

    rounds = FieldList(FormField(RoundForm), min_entries=1, max_entries=MAX_ROUNDS)
    # The page's memory of the template version the plan was copied from (the API takes template_id).
    template_version_id = HiddenField(validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for entry in self.rounds:
            entry.form.refresh_choices()

    def validate_rounds(self, field):
        rounds = [r for r in field if not r.form.is_blank()]
        if not rounds:
            raise ValidationError("评审方案至少需要一轮")
        ok = True
        for entry in rounds:
            form = entry.form
            if not form.name.data:
                form.name.errors.append("请填写轮次名称")
                ok = False
            criteria = [c for c in form.criteria if not c.form.is_blank()]
            if not criteria:
                form.criteria.errors.append("每轮至少需要一个评分项")
                ok = False
            for c in criteria:
                for sub, message in ((c.form.name, "请填写评分项名称"), (c.form.weight, "请填写权重"),
                                     (c.form.max_points, "请填写满分")):
                    if sub.data in (None, "") and not sub.errors:
                        sub.errors.append(message)
                        ok = False
            for c in criteria:
                if c.form.kind.data == "metric" and not c.form.formula.data and not c.form.formula.errors:
                    c.form.formula.errors.append("指标得分须填写计算公式")
                    ok = False
            if sum(1 for c in criteria if c.form.kind.data == "price") > 1:
                form.criteria.errors.append("每轮最多一个报价得分项")
                ok = False
            total = sum(c.form.weight.data or 0 for c in criteria)
            if criteria and total != 100:
                form.criteria.errors.append(f"本轮各评分项权重之和应为 100（当前为 {total}）")
                ok = False
            names = [c.form.name.data for c in criteria]
            if form.tie_break.data and form.tie_break.data not in names:
                form.tie_break.errors.append("同分比较项须为本轮的一个评分项名称")
                ok = False
            if form.advance_threshold.data:
                try:
                    value = parse_yuan(form.advance_threshold.data)
                except ValueError:
                    value = None
                if value is None or value > 100:
                    form.advance_threshold.errors.append("分数线应为 0–100，最多两位小数")
                    ok = False
            if form.aggregation.data and form.aggregation.data not in {a.value for a in Aggregation}:
                form.aggregation.errors.append("请选择有效的汇总方式")
                ok = False
        if not ok:
            raise ValidationError("评审方案有误，请检查标出的字段")

    def plan(self):
        """The evaluation plan as plain data, blank rows dropped."""
        rounds = []
        for entry in self.rounds:
            form = entry.form
            if form.is_blank():
                continue
            criteria = [c.form for c in form.criteria if not c.form.is_blank()]
            names = [c.name.data for c in criteria]
            rounds.append({
                "name": form.name.data,
                "tie_break_position": names.index(form.tie_break.data) + 1 if form.tie_break.data in names else None,
                "aggregation": form.aggregation.data or Aggregation.mean.value,
                "advance_top": form.advance_top.data,
                "advance_threshold": parse_yuan(form.advance_threshold.data) if form.advance_threshold.data else None,
                "blind": bool(form.blind.data),
                "min_panel": form.min_panel.data or 3,
                "normalise": bool(form.normalise.data),
                "criteria": [c.values() for c in criteria],
            })
        return rounds


class ChallengeForm(PlanForm):
    title = StringField("榜单名称", validators=[DataRequired(REQUIRED), Length(max=200, message="榜单名称不能超过 200 个字符")])
    domain = SelectField("场景领域", choices=DOMAIN_CHOICES, validators=[InputRequired(REQUIRED)])
    description = TextAreaField("场景描述", validators=[DataRequired(REQUIRED), Length(max=20000, message="不能超过 20000 个字符")])
    pain_points = TextAreaField("痛点问题", validators=[Optional(), Length(max=10000, message="不能超过 10000 个字符")])
    outcomes = TextAreaField("预期成效与量化指标", validators=[DataRequired(REQUIRED), Length(max=10000, message="不能超过 10000 个字符")])
    budget_yuan = StringField("预算 / 奖励（元）", validators=[DataRequired(REQUIRED), Length(max=30), yuan_validator])
    deadline = StringField("揭榜截止时间（北京时间）",
                           validators=[DataRequired(REQUIRED), Length(max=40), datetime_validator, future_validator])
    required_domains = MultiCheckboxField("揭榜资格：须具备的能力领域", choices=DOMAIN_CHOICES, validators=[Optional()])
    race_slots = IntegerField("赛马名额", default=1, validators=[InputRequired(REQUIRED), NumberRange(1, 20, "赛马名额应为 1–20")])
    min_submissions = IntegerField("最少有效方案数", default=1,
                                   validators=[InputRequired(REQUIRED), NumberRange(1, 100, "最少有效方案数应为 1–100")])
    notice_days = IntegerField("公示期（工作日）", default=5, validators=[InputRequired(REQUIRED), NumberRange(0, 30, "公示期应为 0–30 个工作日")])
    contact = StringField("联系人及电话", validators=[Optional(), Length(max=200, message="不能超过 200 个字符")])
    # The horse race (赛马): only with more than one race slot.
    # No Optional(): it would stop the chain before the inline check that a race needs it.
    pilot_budget_yuan = StringField("每个赛马团队的试点经费（元）", validators=[Length(max=30), yuan_validator])
    race_milestones = FieldList(FormField(RaceMilestoneForm), min_entries=1, max_entries=MAX_RACE_MILESTONES)

    def race_rows(self):
        return [m.form for m in self.race_milestones if not m.form.is_blank()]

    def validate_race_milestones(self, field):
        if (self.race_slots.data or 1) <= 1:
            return
        rows = self.race_rows()
        if not rows:
            raise ValidationError("赛马名额大于 1 时须设置统一试点里程碑（至少一个）")
        ok = True
        for form in rows:
            if not form.title.data:
                form.title.errors.append("请填写里程碑名称")
                ok = False
            if form.due_days.data is None and not form.due_days.errors:
                form.due_days.errors.append("请填写到期天数")
                ok = False
        if not ok:
            raise ValidationError("统一试点里程碑有误，请检查标出的字段")

    def validate_pilot_budget_yuan(self, field):
        if (self.race_slots.data or 1) <= 1 or field.errors:
            return
        if field.data in (None, ""):
            raise ValidationError("赛马名额大于 1 时须填写每个团队的试点经费")
        budget = getattr(self.budget_yuan, "parsed", None)
        parsed = getattr(field, "parsed", None)
        if budget is not None and parsed is not None and parsed * self.race_slots.data > budget:
            raise ValidationError(f"试点经费 × 赛马名额（{self.race_slots.data}）不能超过预算")

    def values(self):
        return {
            "title": self.title.data, "domain": self.domain.data, "description": self.description.data,
            "pain_points": self.pain_points.data or "", "outcomes": self.outcomes.data,
            "budget_yuan": self.budget_yuan.parsed, "deadline": self.deadline.parsed,
            "required_domains": self.required_domains.data or [], "race_slots": self.race_slots.data,
            "min_submissions": self.min_submissions.data, "notice_days": self.notice_days.data,
            "contact": self.contact.data or "", "rounds": self.plan(),
            "pilot_budget_yuan": getattr(self.pilot_budget_yuan, "parsed", None) if self.race_slots.data > 1 else None,
            "race_milestones": [{"title": f.title.data, "due_days": f.due_days.data, "evidence": f.evidence.data or ""}
                                for f in self.race_rows()] if self.race_slots.data > 1 else [],
        }


def plan_form_data(plan):
    """Plan JSON (a template's or an earlier challenge's rounds) → the form's data for its fields."""
    rounds = []
    for r in plan or []:
        rounds.append({**{k: r.get(k) for k in ("name", "aggregation", "advance_top", "blind", "min_panel", "normalise")},
                       "advance_threshold": r.get("advance_threshold") or "", "tie_break": r.get("tie_break") or "",
                       "criteria": [{"name": c["name"], "description": c.get("description") or "",
                                     "weight": c["weight"], "max_points": c["max_points"],
                                     "kind": c.get("kind") or "judged",
                                     "formula": json.dumps(c["formula"], ensure_ascii=False) if c.get("formula") else "",
                                     "guidance": guidance_text(c.get("guidance"))} for c in r.get("criteria", [])]})
    return rounds


def apply_plan_action(data, action):
    """A plan button pressed without JavaScript: add, remove or move up a round or a criterion in the
    form's data (typed values kept). Returns a message for the page, or None for an unknown action."""
    rounds = data.setdefault("rounds", [])
    parts = (action or "").split("-")
    try:
        verb, what, *numbers = parts
        numbers = [int(n) for n in numbers]
    except ValueError:
        return None
    if what == "round":
        if verb == "add" and len(rounds) < MAX_ROUNDS:
            rounds.append({"criteria": [{}]})
            return "已添加一轮"
        if numbers and 0 <= numbers[0] < len(rounds):
            i = numbers[0]
            if verb == "remove":
                rounds.pop(i)
                return f"已删除第 {i + 1} 轮"
            if verb == "up" and i > 0:
                rounds[i - 1], rounds[i] = rounds[i], rounds[i - 1]
                return f"第 {i + 1} 轮已上移"
        return None
    if what == "criterion" and numbers and 0 <= numbers[0] < len(rounds):
        criteria = rounds[numbers[0]].setdefault("criteria", [])
        if verb == "add" and len(criteria) < MAX_CRITERIA:
            criteria.append({})
            return "已添加评分项"
        if len(numbers) == 2 and 0 <= numbers[1] < len(criteria):
            j = numbers[1]
            if verb == "remove":
                criteria.pop(j)
                return "已删除评分项"
            if verb == "up" and j > 0:
                criteria[j - 1], criteria[j] = criteria[j], criteria[j - 1]
                return "评分项已上移"
    return None


def encode_plan(rounds):
    """JSON rounds → what the flattened form fields take: a metric formula as JSON text, scoring
    guidance as lines. Anything else is left for the form to judge."""
    if not isinstance(rounds, list):
        return rounds
    out = []
    for round_ in rounds:
        if isinstance(round_, dict) and isinstance(round_.get("criteria"), list):
            criteria = []
            for c in round_["criteria"]:
                if isinstance(c, dict):
                    c = dict(c)
                    if isinstance(c.get("formula"), dict | list):
                        c["formula"] = json.dumps(c["formula"], ensure_ascii=False)
                    if isinstance(c.get("guidance"), list):
                        c["guidance"] = guidance_text([b for b in c["guidance"] if isinstance(b, dict)])
                criteria.append(c)
            round_ = {**round_, "criteria": criteria}
        out.append(round_)
    return out


class QuestionForm(BaseForm):
    text = TextAreaField("问题", validators=[DataRequired("请填写问题"), Length(max=2000, message="问题不能超过 2000 个字符")])


class AnswerForm(BaseForm):
    text = TextAreaField("答复", validators=[DataRequired("请填写答复"), Length(max=5000, message="答复不能超过 5000 个字符")])


class ExtendForm(BaseForm):
    deadline = StringField("新的截止时间（北京时间）",
                           validators=[DataRequired(REQUIRED), Length(max=40), datetime_validator, future_validator])


class ChallengeReasonForm(BaseForm):
    reason = TextAreaField("理由", validators=[DataRequired("请填写理由"), Length(max=2000, message="理由不能超过 2000 个字符")])
