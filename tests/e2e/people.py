"""What a person does again and again in the browser tests."""

from playwright.sync_api import Page, expect

from tests import factories


def main_nav(page: Page):
    """The site's navigation bar (not the breadcrumb): the one holding the brand link."""
    return page.get_by_role("navigation").filter(has=page.get_by_role("link", name="揭榜挂帅场景平台"))


def log_in(page: Page, email, password=factories.PASSWORD):
    page.goto("/")
    main_nav(page).get_by_role("link", name="登录", exact=True).click()
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("欢迎")
    page.wait_for_load_state("load")  # the header's menus work once Bootstrap's script has run


def unit_menu(page: Page, name):
    """A department user's own queue (本单位榜单, 发布榜单, 项目库, 需求征集) from the header's 本单位业务 menu."""
    nav = main_nav(page)
    # The menu opens through Bootstrap's script, which runs after the header is drawn: a click
    # before the page's load event would open nothing.
    page.wait_for_load_state("load")
    nav.get_by_role("button", name="本单位业务", exact=True).click()
    nav.get_by_role("link", name=name, exact=True).click()
