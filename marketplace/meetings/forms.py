"""Event and registration forms, shared by the pages and the API."""

from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.core.forms import BaseForm, MultiCheckboxField
from marketplace.core.timeutil import parse_iso_datetime
from marketplace.meetings.states import MAX_ATTENDEES, EventKind

REQUIRED = "此项为必填项"


class ShanghaiDateTimeField(DateTimeLocalField):
    """A time typed on the page (read as Shanghai time) or sent as ISO 8601 with an offset by the
    API; `data` is aware UTC."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0]:
            try:
                self.data = parse_iso_datetime(valuelist[0])
            except ValueError:
                raise ValueError("时间格式不正确，例如 2026-12-01T14:00") from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data:
            from marketplace.core.timeutil import to_shanghai

            return to_shanghai(self.data).strftime("%Y-%m-%dT%H:%M")
        return ""


class EventForm(BaseForm):
    title = StringField("活动名称", validators=[DataRequired(REQUIRED), Length(max=200, message="不能超过 200 个字符")])
    kind = SelectField("活动类型", choices=EventKind.choices(), validators=[InputRequired(REQUIRED)])
    starts_at = ShanghaiDateTimeField("开始时间（北京时间）", validators=[InputRequired(REQUIRED)])
    ends_at = ShanghaiDateTimeField("结束时间（北京时间）", validators=[InputRequired(REQUIRED)])
    venue = StringField("地点", validators=[DataRequired(REQUIRED), Length(max=200, message="不能超过 200 个字符")])
    capacity = IntegerField("名额（人）", validators=[InputRequired("请填写名额"),
                                                  NumberRange(min=1, max=10000, message="名额为 1–10000 人")])
    registration_deadline = ShanghaiDateTimeField("报名截止（北京时间）", validators=[InputRequired(REQUIRED)])
    requires_approval = BooleanField("报名需主办方审核")
    description = TextAreaField("活动介绍", validators=[Optional(), Length(max=5000, message="不能超过 5000 个字符")])
    challenge_ids = MultiCheckboxField("关联榜单", coerce=int, validate_choice=False, validators=[Optional()])

    def values(self):
        return {name: getattr(self, name).data for name in (
            "title", "kind", "starts_at", "ends_at", "venue", "capacity", "registration_deadline",
            "requires_approval", "description", "challenge_ids")} | {"description": self.description.data or ""}


class RegistrationForm(BaseForm):
    attendees = IntegerField("参加人数", default=1, validators=[
        InputRequired("请填写参加人数"),
        NumberRange(min=1, max=MAX_ATTENDEES, message=f"参加人数为 1–{MAX_ATTENDEES} 人")])
    note = StringField("备注（可选）", validators=[Optional(), Length(max=500, message="不能超过 500 个字符")])


class CancelEventForm(BaseForm):
    reason = TextAreaField("取消原因", validators=[DataRequired("请填写取消原因"),
                                               Length(max=1000, message="不能超过 1000 个字符")])
