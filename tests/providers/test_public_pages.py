"""Public pages: home, provider directory, catalogue, and who sees unlisted providers."""

import re

import pytest

from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from tests import factories
from tests.page_helpers import page


def _solution(user, title, domain="养老", summary="一键呼叫、紧急救助、健康监测"):
    solution = provider_ops.create_solution(user, title=title, domain=domain, summary=summary)
    db.session.commit()
    return solution


def test_home_explains_and_links(client):
    body = page(client, "/")
    assert "揭榜挂帅" in body
    for href in ('href="/providers"', 'href="/catalogue"', 'href="/login"', 'href="/signup"'):
        assert href in body
    assert re.search(r"没有[^<]*榜单", body)  # published challenges: an empty state, in words
    assert "暂无入库服务商" in body


def test_home_lists_admitted_providers_and_solutions(client, provider):
    org, user, _ = provider
    _solution(user, "为老服务一键通")
    body = page(client, "/")
    assert org.name in body
    assert "为老服务一键通" in body
    assert f'href="/providers/{org.id}"' in body


def test_every_link_on_the_home_page_works(client, provider):
    org, user, _ = provider
    _solution(user, "为老服务一键通")
    body = page(client, "/")
    links = set(re.findall(r'href="(/[^"#]*)"', body))
    assert links
    for link in links:
        if link.startswith("/static/"):
            assert client.get(link).status_code == 200, link
            continue
        response = client.get(link)
        assert response.status_code == 200, (link, response.status_code)


def test_directory_lists_only_admitted_unexpired(client, admin):
    listed, _, _ = factories.create_provider(admin=admin, name="在库服务商甲")
    hidden = {state: factories.create_provider(state, admin=admin, name=f"服务商-{state}")[0]
              for state in ("applied", "rejected", "suspended", "expired", "removed")}
    body = page(client, "/providers")
    assert "数字化转型伙伴服务商名录" in body
    assert listed.name in body
    for org in hidden.values():
        assert org.name not in body


def test_directory_domain_filter(client, admin):
    elderly, _, _ = factories.create_provider(admin=admin, domains=("养老",), name="养老服务商")
    school, _, _ = factories.create_provider(admin=admin, domains=("教育",), name="教育服务商")
    body = page(client, "/providers?domain=养老")
    assert elderly.name in body and school.name not in body
    body = page(client, "/providers?domain=交通")
    assert elderly.name not in body and school.name not in body
    assert "没有符合条件的服务商" in body
    # an unknown domain is ignored rather than an error
    body = page(client, "/providers?domain=<script>")
    assert elderly.name in body and school.name in body
    body = page(client, "/providers?q=教育")
    assert school.name in body and elderly.name not in body


def test_directory_paging(client, admin):
    names = [factories.create_provider(admin=admin, name=f"分页服务商{i:02d}")[0].name for i in range(13)]
    first = page(client, "/providers")
    second = page(client, "/providers?page=2")
    on_first = [n for n in names if n in first]
    on_second = [n for n in names if n in second]
    assert len(on_first) == 12 and len(on_second) == 1
    assert set(on_first).isdisjoint(on_second)
    assert "共 13 条" in first and "第 1 / 2 页" in first
    assert 'href="/providers?page=2"' in first
    # the domain filter survives paging
    filtered = page(client, "/providers?domain=养老")
    assert "domain=%E5%85%BB%E8%80%81" in filtered and "page=2" in filtered
    # a page past the end is an empty page, not an error
    assert "没有符合条件" in page(client, "/providers?page=99") or "暂无入库服务商" in page(client, "/providers?page=99")
    page(client, "/providers?page=abc")
    # query arguments that url_for would take as its own never break or redirect the page links
    for query in ("endpoint=x", "_method=POST", "_external=1", "_scheme=javascript&_external=1", "_anchor=x"):
        body = page(client, f"/providers?{query}")
        assert 'href="/providers?page=2"' in body, query


def test_provider_detail_public(client, provider):
    org, user, _ = provider
    _solution(user, "智慧养老平台")
    body = page(client, f"/providers/{org.id}")
    assert org.name in body and org.credit_code in body
    assert "智慧养老平台" in body
    assert "已入库" in body


def test_provider_detail_unknown_is_404(client):
    body = page(client, "/providers/999999", status=404)
    assert "未找到" in body
    page(client, "/providers/99999999999", status=404)


UNLISTED = ("applied", "rejected", "suspended", "expired", "removed")


def _unlisted(admin):
    return {state: factories.create_provider(state, admin=admin) for state in UNLISTED}


def test_unlisted_provider_hidden_from_public(client, admin):
    for state, (org, _, _) in _unlisted(admin).items():
        assert client.get(f"/providers/{org.id}").status_code == 404, state


def test_unlisted_provider_hidden_from_other_providers(client, login_as, admin):
    unlisted = _unlisted(admin)
    other, _, _ = factories.create_provider(admin=admin)
    login_as(factories.create_user("provider", org=other))
    for org, _, _ in unlisted.values():
        page(client, f"/providers/{org.id}", status=404)


def test_unlisted_provider_visible_to_own_users(new_client, admin):
    from tests.conftest import login

    for state, (org, user, _) in _unlisted(admin).items():
        browser = new_client()
        login(browser, user)
        assert org.name in page(browser, f"/providers/{org.id}"), state


def test_unlisted_provider_visible_to_admin(client, login_as, admin):
    unlisted = _unlisted(admin)
    login_as(admin)
    for state, (org, _, _) in unlisted.items():
        assert org.name in page(client, f"/providers/{org.id}"), state


def test_catalogue_filter_and_detail(client, admin):
    _, elderly_user, _ = factories.create_provider(admin=admin, domains=("养老",))
    _, health_user, _ = factories.create_provider(admin=admin, domains=("医疗",))
    a = _solution(elderly_user, "智慧养老服务平台", domain="养老")
    b = _solution(health_user, "智能分诊导诊", domain="医疗", summary="院内导航与医疗收费电子票据")
    body = page(client, "/catalogue")
    assert "解决方案清单" in body and a.title in body and b.title in body
    body = page(client, "/catalogue?domain=医疗")
    assert b.title in body and a.title not in body
    body = page(client, "/catalogue?q=分诊")
    assert b.title in body and a.title not in body
    body = page(client, "/catalogue?domain=教育")
    assert "没有符合条件的解决方案" in body
    detail = page(client, f"/catalogue/{b.id}")
    assert "院内导航与医疗收费电子票据" in detail
    assert f'href="/providers/{b.organisation_id}"' in detail


def test_catalogue_paging(client, provider):
    _, user, _ = provider
    titles = [_solution(user, f"分页方案{i:02d}").title for i in range(13)]
    first = page(client, "/catalogue")
    second = page(client, "/catalogue?page=2")
    assert sum(t in first for t in titles) == 12
    assert sum(t in second for t in titles) == 1
    assert "共 13 条" in first


@pytest.mark.parametrize("state", ["suspended", "expired", "removed"])
def test_catalogue_hides_solutions_of_unlisted_providers(client, admin, state):
    org, user, app = factories.create_provider(admin=admin)
    solution = _solution(user, "数字景区无感入园")
    if state == "suspended":
        provider_ops.suspend_provider(admin, org, reason="核查中")
    elif state == "removed":
        provider_ops.remove_provider(admin, org, reason="严重违约")
    else:
        app.valid_until = app.valid_until.replace(year=2000)
    db.session.commit()
    assert solution.title not in page(client, "/catalogue")
    page(client, f"/catalogue/{solution.id}", status=404)


def test_withdrawn_solution_hidden_from_public(client, provider):
    _, user, _ = provider
    solution = _solution(user, "智慧菜场")
    provider_ops.withdraw_solution(user, solution)
    db.session.commit()
    assert "智慧菜场" not in page(client, "/catalogue")
    page(client, f"/catalogue/{solution.id}", status=404)
    page(client, "/catalogue/999999", status=404)


def test_login_and_signup_pages(client):
    body = page(client, "/login")
    assert "登录" in body and 'name="email"' in body and 'name="password"' in body
    body = page(client, "/signup")
    assert "服务商注册" in body and "统一社会信用代码" in body and 'name="credit_code"' in body


_PREV_PAGE = re.compile(r'<a class="page-link" href="([^"#]+)">上一页</a>')


@pytest.mark.parametrize("url, unit", [("/providers", "家服务商"), ("/catalogue", "个解决方案")])
def test_public_lists_show_the_total_a_date_and_previous_page(client, admin, url, unit):
    """Issue 16 item 7: the count above the list, each item's date, and 上一页 on page 2."""
    for n in range(3):
        _, user, _ = factories.create_provider(admin=admin, name=f"浦东数智科技{n}有限公司")
        _solution(user, f"社区养老服务平台{n}")
    first = page(client, f"{url}?per_page=2")
    assert f"共 3 {unit}，第 1 / 2 页" in re.sub(r"<[^>]+>", "", first)
    assert not _PREV_PAGE.search(first)
    second = page(client, f"{url}?per_page=2&page=2")
    assert f"共 3 {unit}，第 2 / 2 页" in re.sub(r"<[^>]+>", "", second)
    previous = _PREV_PAGE.search(second).group(1).replace("&amp;", "&")
    assert "page=1" in previous and "per_page=2" in previous
    assert ("入库于" if url == "/providers" else "发布于") in second and re.search(r"<time datetime=\"[^\"]+\">\d{4}-\d{2}-\d{2}</time>", second)
