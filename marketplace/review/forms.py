from flask_wtf.file import FileField
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace.core.domains import DOMAIN_CHOICES
from marketplace.core.forms import BaseForm, MultiCheckboxField


class PanelForm(BaseForm):
    evaluator_ids = MultiCheckboxField("评审专家", coerce=int, validators=[InputRequired("请至少选择一名评审专家")])


class DrawForm(BaseForm):
    size = IntegerField("抽取人数", validators=[InputRequired("请填写抽取人数"), NumberRange(1, 30, "抽取人数应为 1–30")])
    seed = IntegerField("随机种子（可选，留空自动生成）", validators=[Optional(), NumberRange(0, 2**48, "随机种子应为非负整数")])


class DeclarationForm(BaseForm):
    conflict_provider_ids = MultiCheckboxField("与我存在利益冲突、须回避的服务商", coerce=int, validators=[Optional()])


class SheetReturnForm(BaseForm):
    reason = TextAreaField("退回理由", validators=[InputRequired("请填写退回理由"), Length(max=2000)])


class ExpertDomainsForm(BaseForm):
    domains = MultiCheckboxField("专业领域", choices=DOMAIN_CHOICES, validators=[Optional()])


class ObjectionForm(BaseForm):
    reason = TextAreaField("异议理由", validators=[InputRequired("请填写异议理由"), Length(max=5000, message="不能超过 5000 个字符")])
    file = FileField("证明材料（可选）")


class ResolveForm(BaseForm):
    decision = StringField("处理结果", validators=[InputRequired("请选择处理结果"), Length(max=20)])
    note = TextAreaField("处理说明", validators=[InputRequired("请填写处理说明"), Length(max=5000, message="不能超过 5000 个字符")])
