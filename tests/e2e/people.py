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
