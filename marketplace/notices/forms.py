"""The notice's forms (公示): objections, their resolution, and the substitute award (递补)."""

from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from marketplace.core.forms import BaseForm, MultiCheckboxField


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
