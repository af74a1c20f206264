from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from marketplace.core.forms import BaseForm
from marketplace.projects.forms import OptionalInt

REQUIRED = "此项为必填项"


class CaseForm(BaseForm):
    title = StringField("案例名称（默认为项目名称）", validators=[Optional(), Length(max=200, message="不能超过 200 个字符")])
    summary = TextAreaField("案例概述", validators=[InputRequired(REQUIRED), Length(max=10000, message="不能超过 10000 个字符")])
    outcomes = TextAreaField("实测成效（量化指标）", validators=[InputRequired(REQUIRED), Length(max=10000, message="不能超过 10000 个字符")])
    replication = TextAreaField("复制推广方法", validators=[InputRequired(REQUIRED), Length(max=10000, message="不能超过 10000 个字符")])
    solution_id = OptionalInt("关联的解决方案编号")

    def values(self):
        return {"title": self.title.data or None, "summary": self.summary.data, "outcomes": self.outcomes.data,
                "replication": self.replication.data, "solution_id": self.solution_id.data}
