"""供需对接 in a browser: a department opens the 推荐服务商 panel of its published challenge,
invites the two best recommended providers, and sees one of them open the invitation."""

import pytest
from playwright.sync_api import expect

from marketplace.challenges import operations as challenge_ops
from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from tests import factories
from tests.challenges.conftest import challenge_values
from tests.e2e.people import log_in, unit_menu

pytestmark = pytest.mark.e2e


def _provider(admin, name, domains, title, summary):
    org, user, _ = factories.create_provider(domains=domains, admin=admin, name=name)
    provider_ops.create_solution(user, title=title, domain=domains[0], summary=summary)
    db.session.commit()
    return org, user


def test_department_invites_two_recommended_providers(new_page):
    admin = factories.create_user("admin")
    dept_user = factories.create_user("department", org=factories.create_org("department", name="区卫生健康委"))
    _, triage_user = _provider(admin, "上海数智医联科技有限公司", ["医疗"], "智能分诊导诊系统",
                               "症状问答与科室知识图谱的智能分诊导诊，院内导航与医疗收费电子票据。")
    _provider(admin, "上海健康云数据服务有限公司", ["医疗", "养老"], "互联网医院医养结合服务平台", "在线复诊、处方流转、医保结算。")
    _provider(admin, "上海通用软件有限公司", ["医疗"], "校园一卡通", "学生食堂消费与门禁。")
    _provider(admin, "上海颐康智慧养老科技有限公司", ["养老"], "智能分诊导诊", "智能分诊导诊院内导航。")
    challenge = challenge_ops.create_challenge(dept_user, challenge_values())
    challenge_ops.submit_for_review(dept_user, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    db.session.commit()

    dept = new_page()
    log_in(dept, dept_user.email)
    unit_menu(dept, "本单位榜单")
    dept.get_by_role("link", name=challenge.title).click()
    dept.get_by_role("link", name="推荐服务商").click()
    matches = dept.get_by_test_id("match")
    expect(matches).to_have_count(3)  # 颐康 does not cover 医疗: never shown
    expect(matches.nth(0)).to_contain_text("上海数智医联科技有限公司")
    expect(matches.nth(0)).to_contain_text("与榜单内容相近")
    expect(matches.nth(1)).to_contain_text("上海健康云数据服务有限公司")
    dept.get_by_label("上海数智医联科技有限公司").check()
    dept.get_by_label("上海健康云数据服务有限公司").check()
    dept.get_by_role("button", name="邀请所选服务商").click()
    expect(dept.get_by_role("alert")).to_contain_text("已邀请 2 家服务商")
    invitations = dept.get_by_test_id("invitations")
    expect(invitations.get_by_role("row")).to_have_count(3)
    expect(invitations).not_to_contain_text("上海通用软件有限公司")

    provider = new_page()
    log_in(provider, triage_user.email)
    provider.goto("/notifications")
    provider.get_by_text("发榜单位邀请您揭榜").first.click()
    provider.goto("/me/recommendations")
    provider.get_by_test_id("my-invitations").get_by_role("link", name=challenge.title).click()
    expect(provider.get_by_role("heading", level=1)).to_contain_text(challenge.title)

    dept.reload()
    row = dept.get_by_test_id("invitations").get_by_role("row").filter(has_text="上海数智医联科技有限公司")
    expect(row).not_to_contain_text("未查看")
