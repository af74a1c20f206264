"""The invitation form (pages and API)."""

from wtforms.validators import Optional, ValidationError

from marketplace.core.forms import BaseForm, MultiCheckboxField


class InviteForm(BaseForm):
    provider_org_ids = MultiCheckboxField("邀请的服务商", coerce=int, validate_choice=False, validators=[Optional()])

    def validate_provider_org_ids(self, field):
        if not field.data:
            raise ValidationError("请至少选择一家服务商")
