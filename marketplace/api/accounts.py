"""API: tokens, /me, organisations and users."""

import sqlalchemy as sa
from flask import request

from marketplace.accounts import operations as ops
from marketplace.accounts import throttle
from marketplace.accounts.forms import OrganisationForm, TokenForm, UserEditForm, UserForm
from marketplace.accounts.models import Organisation, Role, User
from marketplace.api import api_user, endpoint, json_body, paged
from marketplace.api.serializers import organisation_json, user_json
from marketplace.audit.operations import record
from marketplace.core.errors import NotAuthenticated, ValidationFailed
from marketplace.core.forms import validate_json
from marketplace.core.permissions import get_or_404
from marketplace.core.timeutil import isoformat
from marketplace.extensions import db


@endpoint("/auth/token", ["POST"], auth=False, form=TokenForm, tag="认证", throttled=True,
          summary="用邮箱和密码换取访问令牌")
def create_token():
    form = validate_json(TokenForm, json_body())
    user = throttle.sign_in(form.email.data, form.password.data)
    if user is None:
        raise NotAuthenticated("邮箱或密码不正确，或账号已停用", code="invalid_credentials")
    token, row = ops.issue_token(user)
    record(user, "user.token_issued", user)
    return {"token": token, "expires_at": isoformat(row.expires_at), "token_type": "Bearer"}


@endpoint("/auth/token", ["DELETE"], tag="认证", summary="撤销当前访问令牌")
def revoke_token():
    ops.revoke_token(request.headers["Authorization"].partition(" ")[2].strip())
    return {"revoked": True}


@endpoint("/me", tag="认证", summary="当前用户（含角色与单位）")
def me():
    return user_json(api_user())


def _organisation_from(form_value):
    if not form_value:
        return None
    org = db.session.get(Organisation, form_value)
    if org is None:
        raise ValidationFailed(fields={"organisation_id": "所选单位不存在"})
    return org


@endpoint("/organisations", ["GET"], roles=["admin"], tag="账号与单位", summary="单位列表",
          query={"kind": "department | provider", "q": "名称关键词"})
def list_organisations():
    query = sa.select(Organisation).order_by(Organisation.id)
    if request.args.get("kind") in ("department", "provider"):
        query = query.where(Organisation.kind == request.args["kind"])
    if request.args.get("q"):
        query = query.where(Organisation.name.contains(request.args["q"][:100], autoescape=True))
    return paged(query, organisation_json)


@endpoint("/organisations", ["POST"], roles=["admin"], form=OrganisationForm, tag="账号与单位",
          summary="创建单位", success=201)
def create_organisation():
    form = validate_json(OrganisationForm, json_body())
    org = ops.create_organisation(
        api_user(), name=form.name.data, kind=form.kind.data, credit_code=form.credit_code.data,
        contact_name=form.contact_name.data, contact_phone=form.contact_phone.data)
    return organisation_json(org), 201


@endpoint("/organisations/<int:org_id>", roles=["admin"], tag="账号与单位", summary="单位详情")
def get_organisation(org_id):
    return organisation_json(get_or_404(Organisation, org_id))


@endpoint("/users", ["GET"], roles=["admin"], tag="账号与单位", summary="用户列表",
          query={"role": "admin | department | provider | evaluator", "organisation_id": "单位 id"})
def list_users():
    query = sa.select(User).order_by(User.id)
    if Role.get(request.args.get("role")):
        query = query.where(User.role == Role(request.args["role"]))
    org_id = request.args.get("organisation_id", type=int)
    if org_id and 0 < org_id < 2**31:
        query = query.where(User.organisation_id == org_id)
    return paged(query, user_json)


@endpoint("/users", ["POST"], roles=["admin"], form=UserForm, tag="账号与单位", summary="创建用户",
          success=201)
def create_user():
    form = validate_json(UserForm, json_body())
    user = ops.create_user(
        api_user(), email=form.email.data, password=form.password.data, name=form.name.data,
        role=form.role.data, organisation=_organisation_from(form.organisation_id.data))
    return user_json(user), 201


@endpoint("/users/<int:user_id>", roles=["admin"], tag="账号与单位", summary="用户详情")
def get_user(user_id):
    return user_json(get_or_404(User, user_id))


@endpoint("/users/<int:user_id>", ["PATCH"], roles=["admin"], form=UserEditForm, tag="账号与单位",
          summary="修改用户（姓名、角色、单位）")
def update_user(user_id):
    user = get_or_404(User, user_id)
    body = {"name": user.name, "role": user.role.value, "organisation_id": user.organisation_id}
    body.update(json_body())
    form = validate_json(UserEditForm, body)
    ops.update_user(api_user(), user, name=form.name.data, role=form.role.data,
                    organisation=_organisation_from(form.organisation_id.data))
    return user_json(user)


@endpoint("/users/<int:user_id>/deactivate", ["POST"], roles=["admin"], tag="账号与单位",
          summary="停用账号")
def deactivate_user(user_id):
    return user_json(ops.set_user_active(api_user(), get_or_404(User, user_id), False))


@endpoint("/users/<int:user_id>/activate", ["POST"], roles=["admin"], tag="账号与单位",
          summary="重新启用账号")
def activate_user(user_id):
    return user_json(ops.set_user_active(api_user(), get_or_404(User, user_id), True))
