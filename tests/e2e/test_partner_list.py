"""Sign-up → partner application → admission / rejection → public directory, clicked in a browser."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.accounts.models import Organisation, User
from marketplace.core.credit_code import ALPHABET
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from tests import factories
from tests.e2e.people import log_in, main_nav

pytestmark = pytest.mark.e2e


# --- what a person does ---------------------------------------------------------------------





def sign_up(page: Page, *, org_name, credit_code, email, contact="张经理", password="Qiye-2025-pass"):
    page.goto("/")
    main_nav(page).get_by_role("link", name="服务商注册").click()
    expect(page.get_by_role("heading", name="服务商注册")).to_be_visible()
    page.get_by_label("单位名称").fill(org_name)
    page.get_by_label("统一社会信用代码").fill(credit_code)
    page.get_by_label("联系人", exact=True).fill(contact)
    page.get_by_label("联系电话").fill("021-5555 0101")
    page.get_by_label("联系人邮箱（登录账号）").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_label("确认密码").fill(password)
    page.get_by_role("button", name="注册").click()


def log_in_after_sign_up(page: Page, email, password="Qiye-2025-pass"):
    """Sign-up ends on the login page (it does not say whether the address was new)."""
    expect(page.get_by_role("alert")).to_contain_text("注册已提交")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("欢迎")
    page.wait_for_load_state("load")  # the header's menus work once Bootstrap's script has run


def open_review_queue(admin: Page):
    nav = main_nav(admin)
    nav.get_by_role("button", name="平台管理", exact=True).click()
    nav.get_by_role("link", name="伙伴清单审核").click()
    expect(admin.get_by_role("heading", name="伙伴清单审核")).to_be_visible()


def open_application(admin: Page, org_name):
    open_review_queue(admin)
    admin.get_by_role("row", name=re.compile(re.escape(org_name))).get_by_role("link", name="审核").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text(org_name)


def current_state(page: Page):
    return page.get_by_text("当前状态：")


def count(model):
    db.session.remove()  # read what the server committed, not a stale snapshot
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- tests ----------------------------------------------------------------------------------

def test_sign_up_apply_admit_and_list_in_directory(new_page):
    org_name = "上海数智养老科技有限公司"
    admin_user = factories.create_user(role="admin", name="平台管理员")

    # A visitor signs up as a provider, signs in and lands on the application form.
    provider = new_page()
    sign_up(provider, org_name=org_name, credit_code=factories.valid_credit_code(),
            email="zhang@shuzhi-yanglao.cn")
    log_in_after_sign_up(provider, "zhang@shuzhi-yanglao.cn")
    expect(provider.get_by_role("heading", name="申请加入数字化转型伙伴服务商清单")).to_be_visible()

    # …applies to join the partner list.
    domains = provider.get_by_role("group", name="能力领域")
    domains.get_by_label("养老").check()
    domains.get_by_label("医疗").check()
    provider.get_by_label("资质情况").fill("ISO 27001 信息安全管理体系认证；CMMI 3 级")
    provider.get_by_label("典型案例").fill("徐汇区智慧养老院试点（2024），覆盖 12 家养老机构")
    provider.get_by_role("button", name="提交申请").click()
    expect(provider.get_by_role("alert")).to_contain_text("申请已提交")
    expect(current_state(provider)).to_contain_text("待审核")

    # An admin, logged in at the same time in another browser context, admits it.
    admin = new_page()
    log_in(admin, admin_user.email)
    open_application(admin, org_name)
    valid_until = (today_shanghai() + timedelta(days=730)).isoformat()
    admin.get_by_label("有效期至").fill(valid_until)
    admin.get_by_role("button", name="准入清单").click()
    expect(admin.get_by_role("alert")).to_have_text(f"已准入：{org_name}")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("已入库")

    # The provider reloads: admitted, and a notification waits in the header.
    provider.reload()
    expect(current_state(provider)).to_contain_text("已入库")
    expect(provider.get_by_text(f"有效期至 {valid_until}")).to_be_visible()
    expect(provider.get_by_role("link", name=re.compile(r"^通知\s*1$"))).to_be_visible()

    # Anyone can find the provider in the public directory, filtered by domain.
    visitor = new_page()
    visitor.goto("/")
    main_nav(visitor).get_by_role("link", name="服务商名录").click()
    card = visitor.get_by_role("link", name=re.compile(re.escape(org_name)))
    expect(card).to_be_visible()
    expect(card).to_contain_text("养老")
    domain_filter = visitor.get_by_role("group", name="按领域筛选")
    domain_filter.get_by_role("link", name="养老", exact=True).click()
    expect(visitor).to_have_url(re.compile(r"domain="))
    expect(card).to_be_visible()
    domain_filter.get_by_role("link", name="教育", exact=True).click()
    expect(visitor.get_by_text("没有符合条件的服务商")).to_be_visible()
    expect(card).to_have_count(0)


def test_bad_credit_code_is_explained_at_the_field(page):
    good = factories.valid_credit_code()
    bad = good[:17] + next(ch for ch in ALPHABET if ch != good[17])  # wrong check character

    sign_up(page, org_name="错码测试有限公司", credit_code=bad, email="wrong@example.cn")

    code_field = page.get_by_label("统一社会信用代码")
    expect(code_field).to_have_class(re.compile(r"\bis-invalid\b"))
    field_group = page.locator("div.mb-3").filter(has=code_field)
    expect(field_group).to_contain_text("统一社会信用代码校验位不正确")
    expect(page.get_by_label("单位名称")).to_have_value("错码测试有限公司")  # the rest is kept
    expect(page.get_by_role("heading", name="服务商注册")).to_be_visible()
    assert count(User) == 0
    assert count(Organisation) == 0

    # Correcting the code is enough to get through.
    code_field.fill(good)
    page.get_by_label("密码", exact=True).fill("Qiye-2025-pass")
    page.get_by_label("确认密码").fill("Qiye-2025-pass")
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_role("alert")).to_contain_text("注册已提交")
    assert count(User) == 1


def test_rejected_application_shows_reason_and_can_be_resubmitted(new_page):
    admin_user = factories.create_user(role="admin", name="平台管理员")
    org, provider_user, _ = factories.create_provider(state="applied", domains=("教育",), admin=admin_user,
                                                      name="杭州云课堂信息技术有限公司")
    reason = "缺少等保测评证明，请补充后重新申请"

    admin = new_page()
    log_in(admin, admin_user.email)
    open_application(admin, org.name)
    admin.get_by_label("理由").fill(reason)
    admin.get_by_role("button", name="驳回申请").click()
    expect(admin.get_by_role("alert")).to_have_text(f"已驳回：{org.name}")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("未通过")

    provider = new_page()
    log_in(provider, provider_user.email)
    # The workbench (the landing page) says the unit is not on the partner list and links there.
    provider.get_by_role("link", name="查看伙伴清单申请").click()
    expect(current_state(provider)).to_contain_text("未通过")
    expect(provider.get_by_test_id("status-reason")).to_have_text(reason)
    expect(provider.get_by_role("link", name=re.compile(r"^通知\s*1$"))).to_be_visible()

    # Re-applying starts from the previous answers, with the reason shown on top.
    provider.get_by_role("link", name="重新申请").click()
    expect(provider.get_by_text("上一次申请未通过")).to_contain_text(reason)
    domains = provider.get_by_role("group", name="能力领域")
    expect(domains.get_by_label("教育")).to_be_checked()
    domains.get_by_label("社区").check()
    provider.get_by_label("资质情况").fill("ISO 27001；等保三级测评报告（2025）")
    provider.get_by_role("button", name="提交申请").click()
    expect(provider.get_by_role("alert")).to_contain_text("申请已提交")
    expect(current_state(provider)).to_contain_text("待审核")
    expect(provider.get_by_role("link", name="重新申请")).to_have_count(0)
    history = provider.get_by_role("table")
    expect(history.get_by_role("row")).to_have_count(3)  # header + two applications
    expect(history).to_contain_text(reason)

    # The admin sees the new application waiting, with the earlier rejection in its history.
    open_application(admin, org.name)
    expect(admin.get_by_role("heading", level=1)).to_contain_text("待审核")
    expect(admin.get_by_text("教育、社区")).to_be_visible()
    expect(admin.get_by_role("list").filter(has_text=reason)).to_be_visible()
