from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.challenges.forms import REQUIRED, yuan_validator
from marketplace.core.forms import BaseForm


class SubmissionForm(BaseForm):
    summary = TextAreaField("方案摘要", validators=[DataRequired(REQUIRED), Length(max=5000, message="不能超过 5000 个字符")])
    technical_plan = TextAreaField("技术方案", validators=[DataRequired(REQUIRED), Length(max=50000, message="不能超过 50000 个字符")])
    price_yuan = StringField("报价（元）", validators=[DataRequired(REQUIRED), Length(max=30), yuan_validator])
    timeline = TextAreaField("实施周期与进度安排", validators=[DataRequired(REQUIRED), Length(max=5000, message="不能超过 5000 个字符")])
    team = TextAreaField("项目团队", validators=[Optional(), Length(max=5000, message="不能超过 5000 个字符")])

    def values(self):
        return {"summary": self.summary.data, "technical_plan": self.technical_plan.data,
                "price_yuan": self.price_yuan.parsed, "timeline": self.timeline.data, "team": self.team.data or ""}


class UploadForm(BaseForm):
    file = FileField("附件", validators=[InputRequired("请选择要上传的文件")])
