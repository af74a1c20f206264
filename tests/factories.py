"""Test data built through the real operations, so that audit events and notifications exist
exactly as they would in production. Each call commits."""

import itertools
from datetime import timedelta

from marketplace.accounts import operations as account_ops
from marketplace.accounts.models import OrganisationKind, Role
from marketplace.core.credit_code import check_character
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from marketplace.providers.states import PartnerState

PASSWORD = "correct-horse-42"
_seq = itertools.count(1)


def valid_credit_code(n=None):
    n = next(_seq) if n is None else n
    body = f"91310104MA{n:07d}"
    return body + check_character(body)


def create_org(kind="provider", name=None, credit_code=None, with_code=True):
    n = next(_seq)
    kind = OrganisationKind(kind)
    if name is None:
        name = f"测试{'服务商' if kind == OrganisationKind.provider else '委办局'}{n}"
    if credit_code is None and with_code and kind == OrganisationKind.provider:
        credit_code = valid_credit_code(n)
    org = account_ops.create_organisation(None, name=name, kind=kind, credit_code=credit_code)
    db.session.commit()
    return org


def create_user(role="provider", org=None, email=None, name=None, password=PASSWORD):
    n = next(_seq)
    role = Role(role)
    if org is None and role in (Role.provider, Role.department):
        org = create_org(kind="provider" if role == Role.provider else "department")
    user = account_ops.create_user(None, email=email or f"user{n}@example.cn", password=password,
                                   name=name or f"用户{n}", role=role, organisation=org)
    db.session.commit()
    return user


def create_provider(state="admitted", domains=("养老", "医疗"), admin=None, valid_days=365, name=None):
    """A provider organisation with one user, its partner application taken to `state`.

    Returns (organisation, user, application).
    """
    state = PartnerState(state)
    org = create_org("provider", name=name)
    user = create_user("provider", org=org)
    admin = admin or create_user("admin")
    app = provider_ops.apply_for_partner_list(
        user, credit_code=org.credit_code, domains=list(domains),
        qualifications="ISO 27001；CMMI 3", reference_cases="智慧养老试点（2025）")
    db.session.flush()
    if state == PartnerState.rejected:
        provider_ops.reject_application(admin, app, reason="材料不全")
    elif state != PartnerState.applied:
        provider_ops.admit_application(admin, app, valid_until=today_shanghai() + timedelta(days=valid_days))
        if state == PartnerState.suspended:
            provider_ops.suspend_provider(admin, org, reason="核查中")
        elif state == PartnerState.removed:
            provider_ops.remove_provider(admin, org, reason="严重违约")
        elif state == PartnerState.expired:
            app.valid_until = today_shanghai() - timedelta(days=1)
    db.session.commit()
    return org, user, app
