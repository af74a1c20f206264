"""Events in a browser: a provider registers for a full event, is put on the waitlist, and is
promoted when a registered provider cancels; the organiser checks it in on a phone-sized page."""

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.meetings import operations as ops
from tests import factories
from tests.e2e.people import log_in, main_nav
from tests.meetings.conftest import event_values

pytestmark = pytest.mark.e2e


def test_full_event_waitlist_then_promotion(new_page, browser, live_server):
    organiser = factories.create_user("department", org=factories.create_org("department", name="区民政局"))
    early = factories.create_user("provider", org=factories.create_org("provider", name="上海先到科技有限公司"))
    late = factories.create_user("provider", org=factories.create_org("provider", name="上海后到科技有限公司"))
    event = ops.create_event(organiser, event_values(capacity=3))
    ops.publish_event(organiser, event)
    first = ops.register(early, event, attendees=3)
    db.session.commit()

    page = new_page()
    log_in(page, late.email)
    main_nav(page).get_by_role("link", name="活动", exact=True).click()
    page.get_by_role("link", name=event.title).click()
    expect(page.get_by_test_id("seats-left")).to_have_text("0")
    page.get_by_label("参加人数").fill("2")
    page.get_by_role("button", name="报名").click()
    expect(page.get_by_role("alert")).to_contain_text("已列入候补")
    expect(page.get_by_test_id("own-registration")).to_contain_text("候补第 1 位")

    other = new_page()
    log_in(other, early.email)
    other.goto(f"/events/{event.id}")
    other.once("dialog", lambda dialog: dialog.accept())
    other.get_by_role("button", name="取消报名").click()
    expect(other.get_by_role("alert")).to_contain_text("报名已取消")

    page.reload()
    expect(page.get_by_test_id("registration-state")).to_have_text("已报名")
    page.goto("/notifications")
    expect(page.get_by_text("候补报名已递补").first).to_be_visible()
    assert first.id

    # At the door: a phone-sized page with a big check-in button.
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        phone = context.new_page()
        phone.goto("/login")  # the navigation bar is collapsed on a phone
        phone.get_by_label("邮箱").fill(organiser.email)
        phone.get_by_label("密码").fill(factories.PASSWORD)
        phone.get_by_role("button", name="登录").click()
        expect(phone.get_by_role("alert")).to_contain_text("欢迎")
        phone.goto(f"/events/{event.id}/check-in")
        row = phone.get_by_test_id("checkin-list").get_by_role("listitem").filter(has_text="上海后到科技有限公司")
        row.get_by_role("button", name="签到").click()
        expect(phone.get_by_test_id("checkin-list")).to_contain_text("已签到")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
