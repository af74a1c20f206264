"""GET /api/v1/search and the /search page: ranking, snippets, facets, filters, paging,
did-you-mean and the empty state."""

from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from tests import factories


def _data(publish, admin):
    for i in range(12):
        publish(title=f"智慧养老服务第{i}期", description="独居老人<b>紧急</b>呼叫与上门服务调度",
                outcomes="覆盖 5 万名老人")
    medical = publish(title="便捷就医服务2.0", domain="医疗", required_domains=["医疗"],
                      description="智能分诊导诊、院内导航、养老机构远程问诊")
    org, user, _ = factories.create_provider(admin=admin, name="上海智慧养老科技有限公司", domains=("养老",))
    provider_ops.create_solution(user, title="智慧养老一键通", domain="养老", summary="为老服务一键通解决方案")
    db.session.commit()
    return medical, org


def test_api_shape_facets_filters_paging(api, publish, admin):
    medical, org = _data(publish, admin)
    body = api().get("/search?q=养老").get_json()
    assert set(body) >= {"items", "total", "page", "facets", "suggestion"}
    assert body["total"] == 15 and body["page"] == 1 and len(body["items"]) == 10
    item = body["items"][0]
    assert set(item) == {"type", "id", "title", "snippet", "url"}
    assert item["title"].startswith("智慧养老")  # title hits rank above body-only hits
    assert "<mark>养老</mark>" in "".join(i["snippet"] + i["title"] for i in body["items"]) or \
        any("<mark>" in i["snippet"] for i in body["items"])
    assert "<b>" not in "".join(i["snippet"] for i in body["items"])  # escaped
    assert {f["value"]: f["count"] for f in body["facets"]["type"]} == {"challenge": 13, "provider": 1, "solution": 1}
    assert {f["value"]: f["count"] for f in body["facets"]["domain"]} == {"养老": 14, "医疗": 1}
    assert body["facets"]["status"][0] == {"value": "征集中", "label": "征集中", "count": 13}

    page2 = api().get("/search?q=养老&page=2").get_json()
    assert page2["page"] == 2 and len(page2["items"]) == 5
    assert not {(i["type"], i["id"]) for i in page2["items"]} & {(i["type"], i["id"]) for i in body["items"]}

    only = api().get("/search?q=养老&type=provider").get_json()
    assert only["total"] == 1 and only["items"][0] == {**only["items"][0], "type": "provider", "id": org.id,
                                                        "url": f"/providers/{org.id}"}
    # facet counts of the type facet ignore the type filter itself (to switch between types)
    assert {f["value"] for f in only["facets"]["type"]} == {"challenge", "provider", "solution"}
    med = api().get("/search?q=养老&domain=医疗").get_json()
    assert [(i["type"], i["id"]) for i in med["items"]] == [("challenge", medical.id)]
    assert med["items"][0]["url"] == f"/challenges/{medical.id}"


def test_api_empty_bad_and_suggestion(api, publish, admin):
    _data(publish, admin)
    assert api().get("/search").get_json() == {"items": [], "total": 0, "page": 1, "per_page": 10,
                                               "facets": {}, "suggestion": None, "rebuilding": False}
    for q in ["%", "'; drop table", "<script>", "a" * 500, "OR AND NOT (", "*?"]:
        response = api().get("/search", query_string={"q": q, "page": "x", "type": "nope"})
        assert response.status_code == 200, q
    typo = api().get("/search?q=智惠养老").get_json()
    assert typo["total"] == 0 and typo["suggestion"] == "智慧养老"
    assert api().get("/search?q=不存在的词汇组合").get_json()["suggestion"] is None


def test_page_results_and_empty_state(client, publish, admin):
    medical, _ = _data(publish, admin)
    body = client.get("/search?q=就医").get_data(as_text=True)
    assert f'href="/challenges/{medical.id}"' in body and "<mark>就医</mark>" in body
    assert 'data-facet="type"' in body and "找到 1 条结果" in body
    empty = client.get("/search?q=智惠养老").get_data(as_text=True)
    assert 'data-testid="search-empty"' in empty and "您是不是要找" in empty and "智慧养老" in empty
    start = client.get("/search").get_data(as_text=True)
    assert "输入关键词" in start
    xss = client.get("/search?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in xss
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="header-search"' in home
    for url in ["/challenges", "/providers", "/catalogue"]:
        assert 'data-testid="fulltext-search-link"' in client.get(url).get_data(as_text=True), url


def test_search_in_openapi(api):
    doc = api().get("/openapi.json").get_json()
    assert "/search" in doc["paths"] or "/api/v1/search" in doc["paths"]
