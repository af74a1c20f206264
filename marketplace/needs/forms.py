"""Need forms, shared by the pages and the API (JSON lists arrive as repeated keys)."""

import re

from wtforms import Field, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import TextInput

from marketplace.core.domains import DOMAIN_CHOICES
from marketplace.core.forms import BaseForm, MultiCheckboxField, clean_text
from marketplace.core.money import parse_yuan

REQUIRED = "此项为必填项"
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _text(label, required=True, max_chars=5000, **kwargs):
    validators = [DataRequired(REQUIRED)] if required else [Optional()]
    return TextAreaField(label, validators=[*validators, Length(max=max_chars, message=f"不能超过 {max_chars} 个字符")],
                         **kwargs)


class KeywordsField(Field):
    """1–5 keywords: typed on the page separated by spaces or commas, or sent as a JSON list."""

    widget = TextInput()

    def _value(self):
        return " ".join(self.data or [])

    def process_formdata(self, valuelist):
        words = []
        for value in valuelist:
            # clean_text per word: the form's own cleaning filter sees a list and would pass NULs on.
            words += [w for w in (clean_text(p) for p in _SEPARATORS.split(str(value))) if w]
        self.data = words

    def pre_validate(self, form):
        if not self.data:
            raise ValidationError("请填写 1–5 个关键词")
        if len(self.data) > 5:
            raise ValidationError(f"关键词最多 5 个（当前 {len(self.data)} 个）")
        if any(len(w) > 20 for w in self.data):
            raise ValidationError("每个关键词不超过 20 个字")


def yuan_validator(form, field):
    if field.data in (None, ""):
        field.parsed = None
        return
    try:
        field.parsed = parse_yuan(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class NeedForm(BaseForm):
    title = StringField("需求名称", validators=[DataRequired(REQUIRED), Length(max=200, message="需求名称不能超过 200 个字符")])
    domain = SelectField("场景领域", choices=DOMAIN_CHOICES, validators=[InputRequired(REQUIRED)])
    problem = _text("要解决的问题（痛点）", description="现在哪里做不好、靠本单位为什么解决不了")
    scenario = _text("应用场景", description="在什么业务、什么地点、由谁使用")
    beneficiaries = _text("受益对象", max_chars=2000, description="谁会因此受益，大约多少人或多少家")
    expected_outcomes = _text("预期成效", description="尽量量化，例如排队时间缩短 30%")
    data_available = _text("本单位可提供的数据", required=False, description="数据名称、范围、更新频率；没有可留空")
    keywords = KeywordsField("关键词（1–5 个）", description="用空格或逗号分隔，例如：菜场 食品安全 追溯")
    budget_yuan = StringField("预算（元）", validators=[Optional(), Length(max=30), yuan_validator],
                              description="可留空；填写时请说明资金来源")
    budget_source = StringField("资金来源", validators=[Optional(), Length(max=200, message="不能超过 200 个字符")],
                                description="例如：区级财政专项、部门预算、社会资本")

    def validate_budget_source(self, field):
        if self.budget_yuan.data and not field.data:
            raise ValidationError("填写了预算时请说明资金来源")

    def values(self):
        return {
            "title": self.title.data, "domain": self.domain.data, "problem": self.problem.data,
            "scenario": self.scenario.data, "beneficiaries": self.beneficiaries.data,
            "expected_outcomes": self.expected_outcomes.data, "data_available": self.data_available.data or "",
            "keywords": self.keywords.data or [], "budget_yuan": getattr(self.budget_yuan, "parsed", None),
            "budget_source": self.budget_source.data or "",
        }


class AcceptForm(BaseForm):
    assignee_org_id = SelectField("责任单位", coerce=int, validators=[InputRequired("请选择责任单位")])
    note = _text("给提出单位的意见（可选）", required=False, max_chars=2000)
    triage_note = _text("内部备注（仅管理员可见）", required=False, max_chars=2000)


class ReturnForm(BaseForm):
    note = _text("需要补充或修改的内容", max_chars=2000)
    triage_note = _text("内部备注（仅管理员可见）", required=False, max_chars=2000)


class RejectForm(BaseForm):
    note = _text("不予采纳的理由", max_chars=2000)
    triage_note = _text("内部备注（仅管理员可见）", required=False, max_chars=2000)


class MergeForm(BaseForm):
    into_id = IntegerField("合并到需求（编号）", validators=[InputRequired("请填写要合并到的需求编号"),
                                                       NumberRange(1, 2**31 - 1, "请填写有效的需求编号")])
    note = _text("给提出单位的说明（可选）", required=False, max_chars=2000)


class TriageForm(BaseForm):
    """The API's one triage call: accept (with a responsible unit), return or reject."""

    decision = SelectField("处理结果", choices=[SelectChoice("accept", "受理"), SelectChoice("return", "退回修改"),
                                                 SelectChoice("reject", "不予采纳")],
                           validators=[InputRequired(REQUIRED)])
    note = _text("意见", required=False, max_chars=2000)
    assignee_org_id = IntegerField("责任单位", validators=[Optional(), NumberRange(1, 2**31 - 1, "请选择有效的责任单位")])
    triage_note = _text("内部备注", required=False, max_chars=2000)

    def validate_note(self, field):
        if self.decision.data in ("return", "reject") and not field.data:
            raise ValidationError("退回或不予采纳时请填写意见")


class BatchForm(BaseForm):
    title = StringField("清单名称（留空为“第N批场景需求清单”）", validators=[Optional(), Length(max=200)])
    # The operation checks each id (accepted, not yet in a batch) and names the one that is not.
    need_ids = MultiCheckboxField("列入清单的需求", coerce=int, validate_choice=False, validators=[Optional()])

    def validate_need_ids(self, field):
        if not field.data:
            raise ValidationError("请至少选择一条已受理的需求")


class SubscriptionForm(BaseForm):
    domains = MultiCheckboxField("关注的领域", choices=DOMAIN_CHOICES, validators=[Optional()])
