"""Issue 9: creating a user or a solution writes its real values into the audit event (they were
recorded before the flush, so `organisation_id` and `is_active` came out null)."""

import sqlalchemy as sa

from marketplace.accounts import operations as account_ops
from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import verify_chain
from marketplace.extensions import db as _db
from marketplace.providers import operations as provider_ops
from tests import factories


def _last(action, object_id):
    return _db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.seq.desc())
    ).first()


def test_user_create_records_its_organisation(db, admin):
    org = factories.create_org("department", name="区民政局")
    user = account_ops.create_user(admin, email="clerk@example.gov.cn", password="Long-Enough-9", name="民政经办人",
                                   role="department", organisation=org)
    db.session.commit()
    after = _last("user.create", user.id).after
    assert after["organisation_id"] == org.id
    assert after == {"email": "clerk@example.gov.cn", "name": "民政经办人", "role": "department",
                     "organisation_id": org.id, "is_active": True}
    assert verify_chain().ok


def test_user_update_records_the_new_organisation(db, admin):
    first, second = factories.create_org("department"), factories.create_org("department")
    user = factories.create_user("department", org=first)
    account_ops.update_user(admin, user, name=user.name, role="department", organisation=second)
    db.session.commit()
    event = _last("user.update", user.id)
    assert event.before["organisation_id"] == first.id
    assert event.after["organisation_id"] == second.id


def test_solution_create_records_its_values(db, create_provider):
    _, user, _ = create_provider()
    solution = provider_ops.create_solution(user, title="社区养老一体化平台", domain="养老", summary="助餐助浴与紧急呼叫。")
    db.session.commit()
    assert _last("solution.create", solution.id).after == {"title": "社区养老一体化平台", "domain": "养老",
                                                           "is_active": True}
