"""发榜 → 审核 → 揭榜 → 回执, clicked in a browser by a department user, an admin and a provider."""

import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from marketplace.core.timeutil import now_utc, to_shanghai
from tests import factories
from tests.e2e.conftest import RESULTS
from tests.e2e.people import log_in, main_nav, unit_menu

pytestmark = pytest.mark.e2e

TITLE = "便捷就医服务2.0：智能分诊导诊与院内导航"


def snapshot(page: Page, name):
    """Full-page PNGs for a human to look at, when E2E_SCREENSHOTS=1."""
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"challenge-flow-{name}.png"), full_page=True)


def draft_challenge(dept: Page, deadline):
    unit_menu(dept, "发布榜单")
    expect(dept.get_by_role("heading", name="发布榜单（草稿）")).to_be_visible()
    dept.get_by_label("榜单名称").fill(TITLE)
    dept.get_by_label("场景领域").select_option("医疗")
    dept.get_by_label("场景描述").fill("区属医院门诊高峰排队长，需要智能分诊导诊与院内导航。")
    dept.get_by_label("预期成效与量化指标").fill("平均候诊时间缩短 30%")
    dept.get_by_label("预算 / 奖励（元）").fill("1250000")
    dept.get_by_label("揭榜截止时间（北京时间）").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    dept.get_by_role("group", name="揭榜资格：须具备的能力领域").get_by_label("医疗").check()
    first_round = dept.get_by_role("group", name="第 1 轮")
    first_round.get_by_label("轮次名称").fill("方案评审")
    for row, (name, weight) in enumerate((("技术方案", "60"), ("报价合理性", "40")), start=1):
        first_round.get_by_label(f"第 1 轮 第 {row} 行 评分项", exact=True).fill(name)
        first_round.get_by_label(f"第 1 轮 第 {row} 行 权重（%）", exact=True).fill(weight)
        first_round.get_by_label(f"第 1 轮 第 {row} 行 满分", exact=True).fill("100")
    snapshot(dept, "1-form")
    dept.get_by_role("button", name="保存草稿").click()


def test_draft_approve_submit_receipt(new_page):
    department = factories.create_org("department", name="区卫生健康委")
    dept_user = factories.create_user("department", org=department, name="卫健委经办人")
    admin_user = factories.create_user("admin", name="平台管理员")
    _, provider_user, _ = factories.create_provider(admin=admin_user, domains=("医疗",),
                                                    name="上海智慧医疗科技有限公司")
    deadline = to_shanghai(now_utc() + timedelta(days=20)).replace(second=0, microsecond=0)

    # The department drafts the challenge, checks the preview and submits it for review.
    dept = new_page()
    log_in(dept, dept_user.email)
    draft_challenge(dept, deadline)
    expect(dept.get_by_role("alert")).to_have_text("榜单草稿已保存。请预览后提交平台审核。")
    expect(dept.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(dept.get_by_text("预览：草稿仅发榜单位与管理员可见")).to_be_visible()
    plan = dept.get_by_role("table").filter(has_text="技术方案")
    expect(plan.get_by_role("row")).to_have_count(3)
    expect(plan).to_contain_text("60%")
    expect(plan).to_contain_text("40%")
    snapshot(dept, "2-preview")
    dept.get_by_role("button", name="提交平台审核").click()
    expect(dept.get_by_role("alert")).to_have_text("已提交平台审核")
    expect(dept.get_by_role("heading", level=1)).to_contain_text("待审核")

    # An admin, in another browser context, approves it from the review queue.
    admin = new_page()
    log_in(admin, admin_user.email)
    nav = main_nav(admin)
    nav.get_by_role("button", name="平台管理", exact=True).click()
    nav.get_by_role("link", name="榜单审核").click()
    expect(admin.get_by_role("heading", name="榜单管理")).to_be_visible()
    admin.get_by_role("row", name=re.compile(re.escape(TITLE))).get_by_role("link", name=TITLE).click()
    admin.get_by_role("button", name="审核通过并发布").click()
    expect(admin.get_by_role("alert")).to_have_text("榜单已审核通过并公开发布")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("征集中")

    # An admitted provider finds it on the public list and takes it.
    provider = new_page()
    log_in(provider, provider_user.email)
    main_nav(provider).get_by_role("link", name="榜单", exact=True).click()
    provider.get_by_role("link", name=re.compile(re.escape(TITLE))).click()
    countdown = provider.get_by_test_id("deadline").locator(".countdown")
    expect(countdown).to_contain_text("距截止")
    expect(countdown).to_contain_text(f"{deadline:%Y-%m-%d %H:%M}（北京时间）")
    snapshot(provider, "3-detail")
    provider.get_by_role("link", name="我要揭榜").click()
    expect(provider.get_by_role("heading", name="揭榜：提交方案")).to_be_visible()
    provider.get_by_label("方案摘要").fill("AI 分诊 + 院内导航，三个月试点")
    provider.get_by_label("技术方案").fill("知识图谱分诊模型；室内定位导航；对接 HIS")
    provider.get_by_label("报价（元）").fill("980000.00")
    provider.get_by_label("实施周期与进度安排").fill("6 个月")
    provider.get_by_label("项目团队").fill("项目经理 1 名，算法工程师 4 名")
    provider.get_by_role("button", name="提交方案").click()

    receipt = provider.get_by_test_id("receipt")
    expect(receipt).to_contain_text("回执编号")
    expect(provider.get_by_test_id("entry-number")).to_have_text(re.compile(r"^JB-\d{6}-\d{4}$"))
    expect(provider.get_by_test_id("receipt-version")).to_have_text("第 1 版")
    expect(provider.get_by_role("alert")).to_contain_text("第 1 版")
    expect(receipt).to_contain_text("（北京时间）")
    snapshot(provider, "4-receipt")

    # Meanwhile the department sees one entry arrived, and nothing of its content.
    dept.goto(dept.url)
    expect(dept.get_by_test_id("submission-count")).to_have_text("1")
    expect(dept.get_by_text("AI 分诊 + 院内导航")).to_have_count(0)
