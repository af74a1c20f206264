from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.challenges.forms import PlanForm
from marketplace.core.domains import DOMAIN_CHOICES
from marketplace.core.forms import BaseForm, MultiCheckboxField


class PanelForm(BaseForm):
    evaluator_ids = MultiCheckboxField("评审专家", coerce=int, validators=[InputRequired("请至少选择一名评审专家")])


class DrawForm(BaseForm):
    size = IntegerField("抽取人数", validators=[InputRequired("请填写抽取人数"), NumberRange(1, 30, "抽取人数应为 1–30")])
    seed = IntegerField("随机种子（可选，留空自动生成）", validators=[Optional(), NumberRange(0, 2**48, "随机种子应为非负整数")])
    reason = TextAreaField("重新抽取理由（已抽取过或已有专家组时必填）",
                           validators=[Optional(), Length(max=2000, message="理由不能超过 2000 个字符")])


class DeclarationForm(BaseForm):
    conflict_provider_ids = MultiCheckboxField("与我存在利益冲突、须回避的服务商", coerce=int, validators=[Optional()])


class SheetReturnForm(BaseForm):
    reason = TextAreaField("退回理由", validators=[InputRequired("请填写退回理由"), Length(max=2000)])


class ExpertDomainsForm(BaseForm):
    domains = MultiCheckboxField("专业领域", choices=DOMAIN_CHOICES, validators=[Optional()])


class ReplaceMemberForm(BaseForm):
    old_evaluator_id = IntegerField("被更换的专家", validators=[InputRequired("请选择被更换的专家"), NumberRange(1, 2**31 - 1)])
    new_evaluator_id = IntegerField("新专家", validators=[InputRequired("请选择新专家"), NumberRange(1, 2**31 - 1)])


class ReportSignForm(BaseForm):
    dissent = TextAreaField("保留意见（可选，写入评审报告）",
                            validators=[Optional(), Length(max=4000, message="不能超过 4000 个字符")])
    refuse = BooleanField("拒绝签署（须写明理由）")


class TemplateForm(PlanForm):
    """An evaluation template: a name, a description and a plan of rounds × criteria."""

    name = StringField("模板名称", validators=[DataRequired("请填写模板名称"), Length(max=100, message="模板名称不能超过 100 个字符")])
    description = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不能超过 2000 个字符")])
