"""Searching from the header in a browser, narrowing by a facet and clicking a result."""

import re

import pytest
from playwright.sync_api import Page, expect

from marketplace.search.index import get_index, rebuild_index
from tests import factories
from tests.challenges.pages.conftest import make_challenge

pytestmark = pytest.mark.e2e


def header_search(page: Page):
    """The header's search box; below the navbar's breakpoint it sits in the collapsed menu."""
    box = page.get_by_test_id("header-search")
    toggler = page.get_by_role("button", name="展开导航")
    if not box.is_visible() and toggler.is_visible():
        toggler.click()
    expect(box).to_be_visible()
    return box


@pytest.fixture
def search_index(app, tmp_path):
    old = app.config["SEARCH_INDEX_DIR"]
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    with app.app_context():  # the worker's or the CLI's job; a request never builds it
        rebuild_index(app)
    yield
    get_index(app).reset()
    app.config["SEARCH_INDEX_DIR"] = old


def test_search_from_header_and_open_a_result(new_page, search_index, admin):
    dept = factories.create_user("department", org=factories.create_org("department", name="区卫生健康委"))
    challenge = make_challenge(dept, "published", admin=admin, title="便捷就医服务2.0：智能分诊导诊",
                               domain="医疗", required_domains=["医疗"],
                               description="区属医院门诊高峰排队长，需要智能分诊导诊与院内导航。")
    make_challenge(dept, "published", admin=admin, title="智慧养老服务平台", description="为老服务一键通")
    make_challenge(dept, "draft", admin=admin, title="草稿：就医绿色通道", domain="医疗", required_domains=["医疗"])

    page: Page = new_page()
    page.goto("/challenges")
    box = header_search(page)
    box.fill("就医")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    hits = page.get_by_test_id("search-hit")
    expect(hits).to_have_count(1)
    expect(hits.first.locator("mark").first).to_have_text("就医")
    expect(page.locator('[data-facet="domain"]')).to_contain_text("医疗")

    page.locator('[data-facet="type"]').get_by_role("link", name="榜单").click()
    expect(page.get_by_test_id("search-hit")).to_have_count(1)
    page.get_by_role("link", name="便捷就医服务2.0：智能分诊导诊").click()
    expect(page).to_have_url(re.compile(rf"/challenges/{challenge.id}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("便捷就医服务2.0")

    header_search(page).fill("智惠养老")
    header_search(page).press("Enter")
    expect(page.get_by_test_id("search-empty")).to_be_visible()
    page.get_by_test_id("did-you-mean").get_by_role("link").click()
    expect(page.get_by_test_id("search-hit")).to_have_count(1)
    expect(page.get_by_test_id("search-hit").first).to_contain_text("智慧养老服务平台")
