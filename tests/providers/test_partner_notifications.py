"""Who hears of the partner list (providers/notifications.py, subscribed to the provider events):
each act tells exactly the right people, once each, with the message and the link."""

from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification
from marketplace.providers import operations as provider_ops
from tests import factories

OWN = "/partner/application"


def told(act):
    """Run `act`; the notifications it made, as {user id: [(kind, title, body, link)]}."""
    last = _db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    act()
    _db.session.commit()
    out = {}
    for note in _db.session.scalars(sa.select(Notification).where(Notification.id > last).order_by(Notification.id)):
        out.setdefault(note.user_id, []).append((note.kind, note.title, note.body, note.link))
    return out


def _org_with_two_users(admin):
    org = factories.create_org("provider", name="上海智联养老科技有限公司")
    user = factories.create_user("provider", org=org)
    mate = factories.create_user("provider", org=org)
    factories.create_provider(name="旁观服务商", admin=admin)  # another provider, never told
    _db.session.commit()
    return org, user, {user.id, mate.id}


def _apply(user, org):
    return provider_ops.apply_for_partner_list(user, credit_code=org.credit_code, domains=["养老"],
                                               qualifications="ISO 27001", reference_cases="试点")


def test_each_partner_list_act_tells_the_right_people_once(db):
    admin = factories.create_user("admin")
    second_admin = factories.create_user("admin")
    org, user, staff = _org_with_two_users(admin)
    made = {}

    def apply():
        made["app"] = _apply(user, org)

    result = told(apply)
    app = made["app"]
    assert result == {a.id: [("partner.applied", "新的伙伴清单申请待审核", "上海智联养老科技有限公司 提交了伙伴清单申请。",
                              f"/admin/partner-applications/{app.id}")] for a in (admin, second_admin)}

    valid_until = today_shanghai() + timedelta(days=100)
    result = told(lambda: provider_ops.admit_application(admin, app, valid_until=valid_until))
    assert result == {u: [("partner.admitted", "伙伴清单申请已通过",
                           f"贵单位已入选数字化转型伙伴服务商清单，有效期至 {valid_until}。", OWN)] for u in staff}

    result = told(lambda: provider_ops.suspend_provider(admin, org, reason="核查资质"))
    assert result == {u: [("partner.suspended", "伙伴清单资格已暂停", "暂停理由：核查资质。暂停期间不能承接新的榜单。", OWN)]
                      for u in staff}

    result = told(lambda: provider_ops.reinstate_provider(admin, org, note="核查无误"))
    assert result == {u: [("partner.reinstated", "伙伴清单资格已恢复", "贵单位的伙伴清单资格已恢复。", OWN)] for u in staff}

    result = told(lambda: provider_ops.remove_provider(admin, org, reason="严重违约"))
    assert result == {u: [("partner.removed", "已被移出伙伴清单", "移出理由：严重违约。", OWN)] for u in staff}

    result = told(apply)  # re-applies after the removal; then rejected
    result = told(lambda: provider_ops.reject_application(admin, made["app"], reason="材料不全"))
    assert result == {u: [("partner.rejected", "伙伴清单申请未通过", "驳回理由：材料不全。您可以修改后重新申请。", OWN)]
                      for u in staff}


def test_an_expired_listing_tells_the_provider_once(db):
    admin = factories.create_user("admin")
    org, user, staff = _org_with_two_users(admin)
    app = _apply(user, org)
    provider_ops.admit_application(admin, app, valid_until=today_shanghai() + timedelta(days=10))
    app.valid_until = date(2020, 1, 31)
    _db.session.commit()
    result = told(lambda: provider_ops.expire_if_due(app))
    assert result == {u: [("partner.expired", "伙伴清单资格已到期",
                           "贵单位的伙伴清单资格已于 2020-01-31 到期，如需继续承接榜单请重新申请。", OWN)] for u in staff}
    assert told(lambda: provider_ops.expire_if_due(app)) == {}
