from flask_wtf.file import FileField
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


class ObjectionForm(BaseForm):
    reason = TextAreaField("异议理由", validators=[InputRequired("请填写异议理由"), Length(max=5000, message="不能超过 5000 个字符")])
    file = FileField("证明材料（可选）")


class ResolveForm(BaseForm):
    decision = StringField("处理结果", validators=[InputRequired("请选择处理结果"), Length(max=20)])
    note = TextAreaField("处理说明（公开，答复异议人）",
                         validators=[InputRequired("请填写处理说明"), Length(max=5000, message="不能超过 5000 个字符")])
    # Upheld only (checked by the operation): who re-scores, and a note the panel alone sees.
    scope = StringField("重新评审范围", validators=[Optional(), Length(max=16)])
    evaluator_ids = MultiCheckboxField("重新评分的专家", coerce=int, validate_choice=False, validators=[Optional()])
    panel_note = TextAreaField("给专家组的说明（仅专家组可见）",
                               validators=[Optional(), Length(max=5000, message="不能超过 5000 个字符")])


class SubstituteForm(BaseForm):
    """递补: the awarded winner withdrew (主动放弃) or was disqualified (被取消资格) before the contract."""
    cause = StringField("情形", validators=[Optional(), Length(max=16)])
    reason = TextAreaField("理由（公开，写入递补公示）",
                           validators=[InputRequired("请填写挂帅单位退出或被取消资格的理由"),
                                       Length(max=2000, message="不能超过 2000 个字符")])


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
