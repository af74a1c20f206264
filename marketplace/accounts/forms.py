from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields import IntegerField
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.accounts.emails import InvalidEmail, normalise_email
from marketplace.accounts.models import OrganisationKind, Role
from marketplace.core.credit_code import credit_code_error, normalise_credit_code
from marketplace.core.forms import BaseForm

REQUIRED = "此项为必填项"


def upper(value):
    return normalise_credit_code(value) if isinstance(value, str) else value


def valid_credit_code(form, field):
    if field.data:
        error = credit_code_error(field.data)
        if error:
            raise ValidationError(error)


def password_field(label="密码"):
    return PasswordField(label, validators=[
        InputRequired(REQUIRED), Length(min=8, max=128, message="密码长度应为 8–128 个字符"),
    ])


def valid_email(form, field):
    """The accounts rule (accounts/emails.py); the field then holds the normalised address."""
    try:
        field.data = normalise_email(field.data)
    except InvalidEmail as exc:
        raise ValidationError(str(exc)) from None


def email_field(label="邮箱"):
    return EmailField(label, validators=[InputRequired(REQUIRED), valid_email])


class LoginForm(BaseForm):
    email = email_field()
    password = PasswordField("密码", validators=[InputRequired(REQUIRED), Length(max=128)])


class TokenForm(LoginForm):
    pass


class SignUpForm(BaseForm):
    organisation_name = StringField("单位名称", validators=[
        InputRequired(REQUIRED), Length(max=200, message="单位名称不能超过 200 个字符")])
    credit_code = StringField("统一社会信用代码", filters=[upper],
                              validators=[InputRequired(REQUIRED), valid_credit_code])
    contact_name = StringField("联系人", validators=[InputRequired(REQUIRED), Length(max=100)])
    phone = StringField("联系电话", validators=[Optional(), Length(max=40)])
    email = email_field("联系人邮箱（登录账号）")
    password = password_field()
    confirm = PasswordField("确认密码", validators=[InputRequired(REQUIRED), EqualTo("password", "两次输入的密码不一致")])


class OrganisationForm(BaseForm):
    name = StringField("单位名称", validators=[InputRequired(REQUIRED), Length(max=200, message="单位名称不能超过 200 个字符")])
    kind = SelectField("单位类型", choices=OrganisationKind.choices(),
                       validators=[InputRequired(REQUIRED)], validate_choice=True)
    credit_code = StringField("统一社会信用代码", filters=[upper], validators=[Optional(), valid_credit_code])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=100)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=40)])


class OrganisationEditForm(OrganisationForm):
    kind = None


class UserForm(BaseForm):
    email = email_field()
    name = StringField("姓名", validators=[InputRequired(REQUIRED), Length(max=100)])
    password = password_field("初始密码")
    role = SelectField("角色", choices=Role.choices(), validators=[InputRequired(REQUIRED)])
    organisation_id = IntegerField("所属单位", validators=[
        Optional(), NumberRange(min=1, max=2**31 - 1, message="请选择有效的单位")])


class UserEditForm(BaseForm):
    name = StringField("姓名", validators=[InputRequired(REQUIRED), Length(max=100)])
    role = SelectField("角色", choices=Role.choices(), validators=[InputRequired(REQUIRED)])
    organisation_id = IntegerField("所属单位", validators=[
        Optional(), NumberRange(min=1, max=2**31 - 1, message="请选择有效的单位")])


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("当前密码", validators=[InputRequired(REQUIRED), Length(max=128)])
    new_password = password_field("新密码")
    confirm = PasswordField("确认新密码", validators=[InputRequired(REQUIRED), EqualTo("new_password", "两次输入的密码不一致")])
