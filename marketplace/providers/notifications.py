"""Who hears of what happens to a partner-list application: subscribers turning provider events
(events.py) into notices. Connected by the workflow (marketplace/workflow.py)."""

from marketplace.core.urls import link_for
from marketplace.notifications.operations import admins, notify, organisation_users
from marketplace.providers import events


def _own_application_link():
    return link_for("providers.my_application")


def _tell_provider(app, kind, title, body):
    notify(organisation_users(app.organisation_id), kind, title, body, link=_own_application_link())


def on_application_submitted(app, **_):
    notify(admins(), "partner.applied", "新的伙伴清单申请待审核",
           f"{app.organisation.name} 提交了伙伴清单申请。",
           link=link_for("providers.admin_application", app_id=app.id))


def on_application_admitted(app, *, valid_until, **_):
    _tell_provider(app, "partner.admitted", "伙伴清单申请已通过",
                   f"贵单位已入选数字化转型伙伴服务商清单，有效期至 {valid_until}。")


def on_application_rejected(app, *, reason, **_):
    _tell_provider(app, "partner.rejected", "伙伴清单申请未通过", f"驳回理由：{reason}。您可以修改后重新申请。")


def on_listing_expired(app, **_):
    _tell_provider(app, "partner.expired", "伙伴清单资格已到期",
                   f"贵单位的伙伴清单资格已于 {app.valid_until} 到期，如需继续承接榜单请重新申请。")


def on_listing_suspended(app, *, reason, **_):
    _tell_provider(app, "partner.suspended", "伙伴清单资格已暂停", f"暂停理由：{reason}。暂停期间不能承接新的榜单。")


def on_listing_reinstated(app, **_):
    _tell_provider(app, "partner.reinstated", "伙伴清单资格已恢复", "贵单位的伙伴清单资格已恢复。")


def on_listing_removed(app, *, reason, **_):
    _tell_provider(app, "partner.removed", "已被移出伙伴清单", f"移出理由：{reason}。")


SUBSCRIPTIONS = [
    (events.application_submitted, on_application_submitted),
    (events.application_admitted, on_application_admitted),
    (events.application_rejected, on_application_rejected),
    (events.listing_expired, on_listing_expired),
    (events.listing_suspended, on_listing_suspended),
    (events.listing_reinstated, on_listing_reinstated),
    (events.listing_removed, on_listing_removed),
]
