"""Accounts and organisations: sign-up, creation by the admin, activation, login, API tokens."""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from marketplace.accounts.emails import InvalidEmail, normalise_email
from marketplace.accounts.models import ROLE_ORGANISATION_KIND, ApiToken, Organisation, OrganisationKind, Role, User
from marketplace.accounts.passwords import burn_time, check_password, hash_password, needs_rehash
from marketplace.accounts.strength import password_problem
from marketplace.audit.operations import record
from marketplace.core.credit_code import credit_code_error, normalise_credit_code
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.extensions import db


def _email(email, field="email"):
    try:
        return normalise_email(email)
    except InvalidEmail as exc:
        raise ValidationFailed(fields={field: str(exc)}) from None


def _check_password_strength(password, *user_inputs, field="password"):
    problem = password_problem(password, user_inputs)
    if problem:
        raise ValidationFailed(fields={field: problem})


def _org_snapshot(org):
    return {"name": org.name, "kind": org.kind, "credit_code": org.credit_code}


def _user_snapshot(user):
    return {"email": user.email, "name": user.name, "role": user.role,
            "organisation_id": user.organisation_id, "is_active": user.is_active}


def check_credit_code_available(code, organisation=None, field="credit_code"):
    """Validate a 统一社会信用代码 and that no other organisation holds it."""
    code = normalise_credit_code(code)
    error = credit_code_error(code)
    if error:
        raise ValidationFailed(fields={field: error})
    holder = db.session.scalar(sa.select(Organisation).where(Organisation.credit_code == code))
    if holder is not None and holder is not organisation:
        raise ValidationFailed(fields={field: "该统一社会信用代码已被其他单位注册"})
    return code


def _check_name_available(name, organisation=None, field="name"):
    holder = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if holder is not None and holder is not organisation:
        raise ValidationFailed(fields={field: "已存在同名单位"})


def _check_email_available(email):
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed(fields={"email": "该邮箱已注册"})


def create_organisation(actor, *, name, kind, credit_code=None, contact_name=None, contact_phone=None):
    kind = OrganisationKind(kind)
    _check_name_available(name)
    if credit_code:
        credit_code = check_credit_code_available(credit_code)
    org = Organisation(name=name, kind=kind, credit_code=credit_code or None,
                       contact_name=contact_name or None, contact_phone=contact_phone or None)
    db.session.add(org)
    record(actor, "organisation.create", org, after=_org_snapshot(org))
    return org


def update_organisation(actor, org, *, name, credit_code=None, contact_name=None, contact_phone=None):
    before = _org_snapshot(org)
    _check_name_available(name, org)
    if credit_code:
        credit_code = check_credit_code_available(credit_code, org)
    org.name = name
    org.credit_code = credit_code or None
    org.contact_name = contact_name or None
    org.contact_phone = contact_phone or None
    record(actor, "organisation.update", org, before=before, after=_org_snapshot(org))
    return org


def _check_role_organisation(role, organisation):
    required = ROLE_ORGANISATION_KIND[role]
    if required is not None and (organisation is None or organisation.kind != required):
        raise ValidationFailed(
            fields={"organisation_id": f"{role.label}必须属于一个{required.label}"}
        )


def create_user(actor, *, email, password, name, role, organisation=None):
    role = Role(role)
    email = _email(email)
    _check_email_available(email)
    _check_role_organisation(role, organisation)
    _check_password_strength(password, email, name, organisation.name if organisation else None)
    user = User(email=email, name=name, role=role, organisation=organisation,
                password_hash=hash_password(password), is_active=True)
    db.session.add(user)
    db.session.flush()  # organisation_id is set from the relationship only at flush
    record(actor, "user.create", user, after=_user_snapshot(user))
    return user


def update_user(actor, user, *, name, role, organisation=None):
    role = Role(role)
    if user.id == actor.id and role != user.role:
        raise Conflict("不能修改自己的角色")
    _check_role_organisation(role, organisation)
    before = _user_snapshot(user)
    user.name, user.role, user.organisation = name, role, organisation
    db.session.flush()
    record(actor, "user.update", user, before=before, after=_user_snapshot(user))
    return user


def set_user_active(actor, user, active: bool):
    """Deactivate (停用) or reactivate an account. A deactivated user cannot log in or use tokens."""
    if user.id == actor.id:
        raise Conflict("不能停用自己的账号")
    if user.is_active == active:
        raise Conflict("账号已经是启用状态" if active else "账号已经停用")
    user.is_active = active
    if not active:
        _end_sessions(user)
        _revoke_tokens(user)
    record(actor, "user.activate" if active else "user.deactivate", user,
           before={"is_active": not active}, after={"is_active": active})
    return user


def change_password(actor, user, *, current_password, new_password):
    if not check_password(user.password_hash, current_password):
        raise ValidationFailed(fields={"current_password": "当前密码不正确"})
    _check_password_strength(new_password, user.email, user.name,
                             user.organisation.name if user.organisation else None, field="new_password")
    user.password_hash = hash_password(new_password)
    # Whoever knew the old password may hold a session or a token: both end. The view signs
    # the person who changed it in again, so only their own browser stays signed in.
    _end_sessions(user)
    _revoke_tokens(user)
    record(actor, "user.change_password", user)


def log_out(user):
    """Logging out ends every web session of the user, on every device: a copy of the session
    cookie (it is signed, not stored on the server) would otherwise stay valid for good."""
    _end_sessions(user)
    record(user, "user.logout", user)


def _end_sessions(user):
    db.session.execute(
        sa.update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    db.session.refresh(user, ["session_version"])


def sign_up_provider(*, organisation_name, credit_code, contact_name, email, password, phone=None):
    """A provider organisation registers itself with its first user (联系人).

    Returns the new user, or None when the email already has an account: nothing is created
    and the caller must answer exactly as for a new account, so that sign-up does not tell
    anyone which addresses are registered (organisations, whose names and codes are public
    registry data, are still refused by name)."""
    _check_name_available(organisation_name, field="organisation_name")
    credit_code = check_credit_code_available(credit_code)
    email = _email(email)
    _check_password_strength(password, email, contact_name, organisation_name, phone)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        burn_time(password)  # as long as hashing the password of a new account
        return None
    org = Organisation(name=organisation_name, kind=OrganisationKind.provider,
                       credit_code=credit_code, contact_name=contact_name, contact_phone=phone or None)
    user = User(email=email, name=contact_name, role=Role.provider, organisation=org,
                password_hash=hash_password(password), is_active=True)
    db.session.add_all([org, user])
    db.session.flush()
    record(user, "organisation.sign_up", org, after=_org_snapshot(org))
    record(user, "user.sign_up", user, after=_user_snapshot(user))
    return user


def authenticate(email, password) -> User | None:
    """The active user with these credentials, or None. Takes the same time either way."""
    try:
        email = normalise_email(email)
    except InvalidEmail:
        email = None
    user = db.session.scalar(sa.select(User).where(User.email == email)) if email else None
    if user is None:
        burn_time(password)
        return None
    if not check_password(user.password_hash, password) or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    ttl = timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    row = ApiToken(user_id=user.id, token_hash=_token_hash(token), expires_at=utcnow() + ttl)
    db.session.add(row)
    return token, row


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row.user if row.user.is_active else None


def revoke_token(token: str):
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def _revoke_tokens(user):
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def require_admin(actor):
    if actor is None or not actor.is_authenticated or actor.role != Role.admin:
        raise NotAllowed()
