"""Project forms, shared by the pages and the API (validate_json flattens JSON onto them)."""

from datetime import date

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.challenges.forms import REQUIRED, yuan_validator
from marketplace.core.domains import DOMAIN_CHOICES
from marketplace.core.forms import BaseForm, MultiCheckboxField, SubForm
from marketplace.projects.states import ORDER, Conclusion, ProjectStage

STAGE_CHOICES = [SelectChoice(s.value, s.label) for s in ORDER]
CONCLUSION_CHOICES = [SelectChoice(c.value, c.label) for c in Conclusion]
MAX_CHECKLIST = 30
HTML_CHECKLIST = 6


def date_validator(form, field):
    """YYYY-MM-DD; `field.parsed` holds the date."""
    field.parsed = None
    if not field.data:
        return
    try:
        field.parsed = date.fromisoformat(str(field.data).strip())
    except ValueError:
        raise ValidationError("日期格式不正确，例如 2026-12-01") from None


class DateText(StringField):
    """A date typed as text (YYYY-MM-DD); `parsed` is the date, None when left empty."""

    parsed = None


def positive_yuan(form, field):
    parsed = getattr(field, "parsed", None)
    if parsed is not None and parsed <= 0:
        raise ValidationError("金额必须大于 0")


class OptionalInt(IntegerField):
    """An id that may be left empty; a non-number is a Chinese field error."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, [Optional(), *(validators or ())], **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] in ("", None):
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("请填写有效的编号") from None


class ProjectForm(BaseForm):
    title = StringField("项目名称", validators=[InputRequired(REQUIRED), Length(max=200, message="项目名称不能超过 200 个字符")])
    domain = SelectField("场景领域", choices=DOMAIN_CHOICES, validators=[InputRequired(REQUIRED)])
    description = TextAreaField("建设内容与目标", validators=[Optional(), Length(max=20000, message="不能超过 20000 个字符")])
    approved_budget_yuan = StringField("批复预算（元）", validators=[InputRequired(REQUIRED), Length(max=30), yuan_validator])
    provider_id = SelectField("承建服务商（可在招标后确定）", coerce=lambda v: int(v) if v not in (None, "") else None,
                              validators=[Optional()], validate_choice=False)
    solution_id = OptionalInt("关联的解决方案编号")

    def validate_provider_id(self, field):
        if field.raw_data and field.raw_data[0] not in ("", None) and field.data is None:
            raise ValidationError("请选择有效的服务商")

    def values(self):
        return {"title": self.title.data, "domain": self.domain.data, "description": self.description.data or "",
                "approved_budget_yuan": self.approved_budget_yuan.parsed, "provider_id": self.provider_id.data,
                "solution_id": self.solution_id.data}


class AdvanceForm(BaseForm):
    to_stage = SelectField("进入阶段", choices=[*STAGE_CHOICES, SelectChoice("terminated", "已终止")],
                           validators=[InputRequired("请选择要进入的阶段")])
    note = TextAreaField("审批意见", validators=[Optional(), Length(max=2000, message="审批意见不能超过 2000 个字符")])


class ReasonForm(BaseForm):
    reason = TextAreaField("理由", validators=[InputRequired("请填写理由"), Length(max=2000, message="理由不能超过 2000 个字符")])


class AssignProviderForm(BaseForm):
    provider_id = IntegerField("承建服务商", validators=[InputRequired("请选择服务商")])
    solution_id = OptionalInt("关联的解决方案编号")


class DocumentForm(BaseForm):
    stage = SelectField("所属阶段", choices=STAGE_CHOICES, validators=[InputRequired("请选择所属阶段")])
    title = StringField("文件名称", validators=[InputRequired("请填写文件名称"), Length(max=200, message="文件名称不能超过 200 个字符")])
    file = FileField("文件", validators=[InputRequired("请选择要上传的文件")])


class MilestoneForm(BaseForm):
    title = StringField("里程碑", validators=[InputRequired(REQUIRED), Length(max=200, message="里程碑名称不能超过 200 个字符")])
    due_date = DateText("截止日期", validators=[InputRequired(REQUIRED), Length(max=20), date_validator])
    owner_id = IntegerField("负责人", validators=[InputRequired("请选择负责人")])


class ReportForm(BaseForm):
    percent = IntegerField("完成进度（%）", validators=[InputRequired("请填写完成进度"),
                                                    NumberRange(0, 100, "进度应为 0–100 的整数")])
    narrative = TextAreaField("进度说明", validators=[InputRequired("请填写进度说明"), Length(max=10000, message="不能超过 10000 个字符")])
    indicators = TextAreaField("实测指标（对照榜单量化指标，可选）",
                               validators=[Optional(), Length(max=5000, message="不能超过 5000 个字符")])
    file = FileField("附件（可选）", validators=[Optional()])


class PaymentForm(BaseForm):
    """API: `paid_on` defaults to today (Beijing) and `voucher_no` may be left out, so the
    contract `{amount_yuan, note}` keeps working; the page requires both (PaymentPageForm)."""
    amount_yuan = StringField("付款金额（元）", validators=[InputRequired(REQUIRED), Length(max=30), yuan_validator, positive_yuan])
    note = StringField("说明", validators=[Optional(), Length(max=500, message="说明不能超过 500 个字符")])
    paid_on = DateText("付款日期（YYYY-MM-DD，默认今天）", validators=[Optional(), Length(max=20), date_validator])
    voucher_no = StringField("凭证号", validators=[Optional(), Length(max=50, message="凭证号不能超过 50 个字符")])


class PaymentPageForm(PaymentForm):
    paid_on = DateText("付款日期", validators=[InputRequired("请填写付款日期"), Length(max=20), date_validator])
    voucher_no = StringField("凭证号", validators=[InputRequired("请填写凭证号"),
                                                 Length(max=50, message="凭证号不能超过 50 个字符")])


class VoidForm(BaseForm):
    reason = TextAreaField("作废理由", validators=[InputRequired("请填写作废理由"),
                                                   Length(max=2000, message="理由不能超过 2000 个字符")])


class GateRequestForm(BaseForm):
    note = TextAreaField("申请说明", validators=[Optional(), Length(max=2000, message="申请说明不能超过 2000 个字符")])


class GateReturnForm(BaseForm):
    reason = TextAreaField("退回理由", validators=[InputRequired("请填写退回理由"),
                                                   Length(max=2000, message="理由不能超过 2000 个字符")])


class RefusalForm(BaseForm):
    user_id = SelectField("拒签的专家", coerce=int, validate_choice=False, validators=[InputRequired("请选择专家")])
    reason = TextAreaField("拒签情况说明", validators=[InputRequired("请填写拒签情况说明"),
                                                       Length(max=2000, message="说明不能超过 2000 个字符")])


class ChecklistItemForm(SubForm):
    item = StringField("验收项", validators=[Optional(), Length(max=300, message="验收项不能超过 300 个字符")])
    passed = BooleanField("符合")
    note = StringField("说明", validators=[Optional(), Length(max=1000, message="说明不能超过 1000 个字符")])


class AcceptanceForm(BaseForm):
    panel_ids = MultiCheckboxField("验收专家组", coerce=int, validate_choice=False)
    checklist = FieldList(FormField(ChecklistItemForm), min_entries=1, max_entries=MAX_CHECKLIST)
    conclusion = SelectField("验收结论（不填则由专家在平台上签署）", choices=[SelectChoice("", "由专家组在平台签署"), *CONCLUSION_CHOICES],
                             validators=[Optional()])
    rectify_by = DateText("整改期限", validators=[Optional(), Length(max=20), date_validator])
    findings = TextAreaField("验收意见 / 发现的问题", validators=[Optional(), Length(max=10000, message="不能超过 10000 个字符")])

    def validate_panel_ids(self, field):
        if not field.data:
            raise ValidationError("请选择验收专家组成员")

    def validate_checklist(self, field):
        if not any((entry.form.item.data or "").strip() for entry in field):
            raise ValidationError("验收清单至少需要一项")

    def values(self):
        # With a conclusion the form is the signed minutes, so every item has its result; without
        # one the panel works the checklist later and the results start empty.
        minutes = bool(self.conclusion.data)
        return {
            "panel_ids": self.panel_ids.data,
            "checklist": [{"item": e.form.item.data, "passed": bool(e.form.passed.data) if minutes else None,
                           "note": e.form.note.data or ""} for e in self.checklist if (e.form.item.data or "").strip()],
            "conclusion": self.conclusion.data or None, "rectify_by": self.rectify_by.parsed,
            "findings": self.findings.data or "",
        }


class SignForm(BaseForm):
    """A member's own signature. `conclusion` is required while the panel decides on the platform
    (the operation says so at the field); on a record whose conclusion was entered at the meeting
    it may be left out (the member confirms that conclusion)."""
    conclusion = SelectField("验收结论", choices=[SelectChoice("", "请选择"), *CONCLUSION_CHOICES],
                             validators=[Optional()])
    rectify_by = DateText("整改期限（有条件通过时必填）", validators=[Optional(), Length(max=20), date_validator])
    note = TextAreaField("意见 / 发现的问题", validators=[Optional(), Length(max=5000, message="不能超过 5000 个字符")])
    dissent = TextAreaField("保留意见（可选）", validators=[Optional(), Length(max=5000, message="不能超过 5000 个字符")])

    def validate_conclusion(self, field):
        if field.data and field.data not in {c.value for c in Conclusion}:
            raise ValidationError("请选择验收结论")


class SignResultForm(SubForm):
    position = IntegerField("序号", validators=[InputRequired(), NumberRange(1, MAX_CHECKLIST)])
    passed = BooleanField("符合")
    note = StringField("说明", validators=[Optional(), Length(max=1000, message="说明不能超过 1000 个字符")])


class SignJsonForm(SignForm):
    checklist = FieldList(FormField(SignResultForm), min_entries=0, max_entries=MAX_CHECKLIST)


def stage_choice(value):
    return ProjectStage.get(value)
