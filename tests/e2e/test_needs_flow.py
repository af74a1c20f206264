"""需求征集 in a browser: a 街道 user submits a need, the office merges a duplicate into it and
accepts it for the responsible unit, publishes the batch, and that unit turns it into a
challenge draft with one click."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.needs import operations as need_ops
from tests import factories
from tests.e2e.people import log_in, main_nav, unit_menu

pytestmark = pytest.mark.e2e

TITLE = "智慧菜场：菜市场摊位数字化与食品安全追溯"
DUPLICATE = "农贸市场电子秤联网与菜价公示"


def test_submit_merge_accept_publish_convert(new_page):
    street_org = factories.create_org("department", name="徐家汇街道")
    street_user = factories.create_user("department", org=street_org, name="街道经办人")
    other_street = factories.create_user("department", org=factories.create_org("department", name="湖南路街道"))
    bureau_org = factories.create_org("department", name="区商务委")
    bureau_user = factories.create_user("department", org=bureau_org, name="商务委经办人")
    admin_user = factories.create_user("admin", name="平台管理员")

    # The 街道 user fills in the guided form.
    street = new_page()
    log_in(street, street_user.email)
    unit_menu(street, "需求征集")
    street.get_by_role("link", name="提交场景需求").first.click()
    street.get_by_label("需求名称").fill(TITLE)
    street.get_by_label("场景领域").select_option("经济")
    street.get_by_label("要解决的问题（痛点）").fill("菜市场仍用纸质台账，菜价不透明，食品安全问题追溯不到摊位。")
    street.get_by_label("应用场景").fill("摊位使用联网电子秤和数字价签，居民扫码查看菜价和产地。")
    street.get_by_label("受益对象").fill("辖区 3 家菜市场约 260 个摊位，周边约 5 万居民。")
    street.get_by_label("预期成效").fill("菜价每日自动公示；食品安全问题 2 小时内追溯到供货商。")
    street.get_by_label("关键词（1–5 个）").fill("智慧菜场 食品安全 追溯")
    street.get_by_label("预算（元）").fill("500000")
    street.get_by_role("button", name="提交需求").click()
    # A budget needs its source: the form says so at the field and keeps what was typed.
    expect(street.get_by_text("填写了预算时请说明资金来源")).to_be_visible()
    expect(street.get_by_label("需求名称")).to_have_value(TITLE)
    street.get_by_label("资金来源").fill("区商务发展专项资金")
    street.get_by_role("button", name="提交需求").click()
    expect(street.get_by_role("alert")).to_contain_text("需求已提交")
    expect(street.get_by_role("heading", level=1)).to_contain_text("待审查")

    # Meanwhile another 街道 files the same need in other words.
    duplicate = need_ops.submit_need(other_street, {
        "title": DUPLICATE, "domain": "经济", "problem": "菜价不透明，居民投诉缺斤短两。",
        "scenario": "菜市场电子秤联网，菜价在大屏和小程序公示。", "beneficiaries": "周边居民",
        "expected_outcomes": "缺斤短两投诉下降 80%", "data_available": "", "keywords": ["菜价", "电子秤", "菜市场"],
        "budget_yuan": None, "budget_source": ""})
    db.session.commit()

    # The office sees the duplicate's look-alike first and merges it.
    admin = new_page()
    log_in(admin, admin_user.email)
    main_nav(admin).get_by_role("link", name="需求征集", exact=True).click()
    expect(admin.get_by_role("heading", name="需求审查")).to_be_visible()
    admin.get_by_role("link", name=DUPLICATE).click()
    similar = admin.get_by_test_id("similar")
    expect(similar.get_by_role("listitem").first).to_contain_text(TITLE)
    original_id = re.search(r"编号 (\d+)", similar.get_by_role("listitem").first.inner_text()).group(1)
    admin.get_by_label("合并到需求（编号）").fill(original_id)
    admin.get_by_role("button", name="合并", exact=True).click()
    expect(admin.get_by_role("alert")).to_contain_text(f"已合并到需求“{TITLE}”")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("已合并")
    assert duplicate.id

    # It accepts the original for 区商务委 and publishes it in the first batch.
    admin.get_by_role("link", name=TITLE).first.click()
    admin.get_by_label("责任单位").select_option(label="区商务委")
    admin.get_by_label("给提出单位的意见（可选）").fill("与区商务委智慧菜场工作统筹推进")
    admin.get_by_role("button", name="受理", exact=True).click()
    expect(admin.get_by_role("alert")).to_contain_text("需求已受理")
    admin.goto("/admin/need-batches")
    admin.get_by_label(TITLE).check()
    admin.get_by_role("button", name="生成批次").click()
    expect(admin.get_by_role("alert")).to_contain_text("第1批场景需求清单已生成")
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="发布第1批场景需求清单").click()
    expect(admin.get_by_role("alert")).to_contain_text("第1批场景需求清单已发布")

    # The public list shows it; the merged duplicate is not on it.
    visitor = new_page()
    visitor.goto("/")
    main_nav(visitor).get_by_role("link", name="需求清单", exact=True).click()
    expect(visitor.get_by_role("link", name=re.compile(re.escape(TITLE)))).to_be_visible()
    expect(visitor.get_by_text(DUPLICATE)).to_have_count(0)

    # The responsible unit converts it with one click and lands on the challenge draft.
    bureau = new_page()
    log_in(bureau, bureau_user.email)
    unit_menu(bureau, "需求征集")
    bureau.get_by_role("link", name=TITLE).click()
    bureau.get_by_role("button", name="转为榜单草稿").click()
    expect(bureau.get_by_role("alert")).to_contain_text("已根据需求生成榜单草稿")
    expect(bureau.get_by_label("榜单名称")).to_have_value(TITLE)

    # The 街道 follows its need: accepted with feedback, published, now a challenge.
    street.reload()
    expect(street.get_by_role("heading", level=1)).to_contain_text("已转为榜单")
    expect(street.get_by_test_id("feedback")).to_contain_text("与区商务委智慧菜场工作统筹推进")
