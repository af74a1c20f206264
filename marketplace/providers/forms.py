from datetime import date

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from marketplace.accounts.forms import REQUIRED, upper, valid_credit_code
from marketplace.core.domains import DOMAIN_CHOICES
from marketplace.core.forms import BaseForm, MultiCheckboxField


class PartnerApplicationForm(BaseForm):
    credit_code = StringField("统一社会信用代码", filters=[upper],
                              validators=[InputRequired(REQUIRED), valid_credit_code])
    domains = MultiCheckboxField("能力领域", choices=DOMAIN_CHOICES,
                                 validators=[InputRequired("请至少选择一个能力领域")])
    qualifications = TextAreaField("资质情况", validators=[
        InputRequired(REQUIRED), Length(max=5000, message="不能超过 5000 个字符")])
    reference_cases = TextAreaField("典型案例", validators=[
        InputRequired(REQUIRED), Length(max=5000, message="不能超过 5000 个字符")])

    def validate_domains(self, field):
        if not field.data:
            raise ValidationError("请至少选择一个能力领域")


class AdmitForm(BaseForm):
    valid_until = DateField("有效期至", validators=[InputRequired("请填写有效期截止日期（YYYY-MM-DD）")])

    def validate_valid_until(self, field):
        if field.data and field.data > date(2100, 1, 1):
            raise ValidationError("有效期截止日期不合理")


class ReasonForm(BaseForm):
    reason = TextAreaField("理由", validators=[
        InputRequired("请填写理由"), Length(max=2000, message="理由不能超过 2000 个字符")])


class NoteForm(BaseForm):
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不能超过 2000 个字符")])


class SolutionForm(BaseForm):
    title = StringField("方案名称", validators=[
        InputRequired(REQUIRED), Length(max=200, message="方案名称不能超过 200 个字符")])
    domain = SelectField("领域", choices=DOMAIN_CHOICES, validators=[InputRequired(REQUIRED)])
    summary = TextAreaField("方案简介", validators=[
        InputRequired(REQUIRED), Length(max=10000, message="方案简介不能超过 10000 个字符")])
