"""The public challenge list /challenges: filters, sort orders and keyset paging links."""

import html
import re
from decimal import Decimal

import pytest

from marketplace.challenges import operations as challenge_ops
from marketplace.core.timeutil import to_shanghai
from marketplace.extensions import db
from tests import factories
from tests.challenges.pages.conftest import make_challenge, page, pass_deadline, visible

_ITEM = re.compile(r'<a class="list-group-item list-group-item-action" href="/challenges/(\d+)">')
_NEXT = re.compile(r'<a class="btn btn-outline-primary btn-sm" rel="next" href="([^"]+)">下一页</a>')


def ids(body):
    return [int(i) for i in _ITEM.findall(body)]


def next_link(body):
    match = _NEXT.search(body)
    return html.unescape(match.group(1)) if match else None


@pytest.fixture
def world(dept, other_dept, admin):
    health = make_challenge(dept, admin=admin, title="智能分诊导诊", domain="医疗", budget_yuan=Decimal("1200000"))
    elderly = make_challenge(other_dept, admin=admin, title="为老服务一键通", domain="养老",
                             budget_yuan=Decimal("300000.50"))
    community = make_challenge(other_dept, admin=admin, title="数字小区", domain="社区", budget_yuan=Decimal("50000"))
    closed = make_challenge(dept, admin=admin, title="院内导航", domain="医疗", budget_yuan=Decimal("90000"))
    pass_deadline(closed)  # no entry: the next request closes it as 流标 (failed)
    cancelled = make_challenge(dept, admin=admin, title="医疗收费电子票据", domain="医疗")
    challenge_ops.cancel_challenge(dept, cancelled, reason="并入市级项目")
    db.session.commit()
    draft = make_challenge(dept, "draft", title="草稿：消防AI作战", domain="医疗")
    pending = make_challenge(dept, "pending_review", title="待审：智慧工地", domain="医疗")
    return {"health": health.id, "elderly": elderly.id, "community": community.id, "closed": closed.id,
            "cancelled": cancelled.id, "draft": draft.id, "pending": pending.id,
            "dept_org": dept.organisation_id, "other_org": other_dept.organisation_id}


def test_default_list_shows_listed_states_newest_first(client, world):
    body = page(client, "/challenges")
    assert ids(body) == [world["closed"], world["community"], world["elderly"], world["health"]]
    text = visible(body)
    assert "草稿" not in text and "待审：智慧工地" not in text and "医疗收费电子票据" not in text
    assert re.findall(r'data-state="(\w+)"', body) == ["failed", "published", "published", "published"]
    assert "预算 1,200,000.00 元" in text
    assert next_link(body) is None and "回到第一页" not in text


FILTERS = [
    ("domain=医疗", ["closed", "health"]),
    ("domain=养老", ["elderly"]),
    ("department={other_org}", ["community", "elderly"]),
    ("department={dept_org}&status=published", ["health"]),
    ("status=failed", ["closed"]),
    ("status=closed", []),
    ("status=cancelled", ["cancelled"]),
    ("budget_min=300000.50", ["elderly", "health"]),
    ("budget_min=300000.51", ["health"]),
    ("budget_min=abc", ["closed", "community", "elderly", "health"]),  # unreadable: ignored
    ("sort=budget", ["health", "elderly", "closed", "community"]),
    ("sort=deadline&status=published", ["health", "elderly", "community"]),
    ("q=导航", ["closed"]),
    ("domain=教育", []),
]


def test_filters_and_sorts(client, world):
    for query, expected in FILTERS:  # one world for all of them: the rows are the same
        body = page(client, "/challenges?" + query.format(**world))
        assert ids(body) == [world[name] for name in expected], query
        if not expected:
            assert "没有符合条件的榜单，试试放宽筛选条件。" in visible(body)


def test_filter_form_keeps_the_choices_and_labels_every_control(client, world):
    body = page(client, f"/challenges?domain=医疗&department={world['dept_org']}&sort=budget&budget_min=10")
    assert "<option selected>医疗</option>" in body
    assert f'<option value="{world["dept_org"]}" selected>区卫生健康委</option>' in body
    assert '<option value="budget" selected>预算最高</option>' in body
    assert 'id="budget_min" name="budget_min" inputmode="decimal" value="10"' in body
    for control in ("q", "domain", "department", "status", "budget_min", "sort"):
        assert f'<label class="form-label small" for="{control}">' in body


def test_keyset_paging_links_walk_every_row_once(client, dept, admin):
    created = [make_challenge(dept, admin=admin, title=f"一网通办智能预审{n:02d}", domain="数字治理",
                              budget_yuan=Decimal(1000 * (n % 7))).id for n in range(23)]
    make_challenge(dept, admin=admin, title="不在筛选内", domain="文旅")
    for sort in ("newest", "budget", "deadline"):
        first = page(client, f"/challenges?domain=数字治理&sort={sort}")
        assert len(ids(first)) == 20
        link = next_link(first)
        assert link and "after=" in link and "domain=" in link and f"sort={sort}" in link
        second = page(client, link)
        assert len(ids(second)) == 3 and next_link(second) is None
        assert "回到第一页" in visible(second)
        assert sorted(ids(first) + ids(second)) == sorted(created)
    # The newest sort lists the last published first.
    assert ids(page(client, "/challenges?domain=数字治理"))[0] == created[-1]


def test_bad_or_foreign_cursor_falls_back_to_page_one(client, dept, admin):
    make_challenge(dept, admin=admin)
    for cursor in ("xxx", "eyJhIjoxfQ", "W10", "%00", "a" * 500):
        response = client.get(f"/challenges?after={cursor}")
        assert response.status_code in (200, 400), (cursor, response.status_code)
        if response.status_code == 200:
            assert len(ids(response.get_data(as_text=True))) == 1


def test_drafts_never_appear_for_any_visitor(browser_for, dept, admin):
    make_challenge(dept, "draft", title="秘密草稿")
    provider = factories.create_provider(admin=admin)[1]
    for user in (None, provider, dept, admin):
        # Not a public state: a field error at the status filter, never the whole list instead.
        body = page(browser_for(user), "/challenges?status=draft", status=422)
        assert "秘密草稿" not in body and "只能按公开榜单的状态筛选" in visible(body)
        assert ids(body) == []


def test_url_for_arguments_in_the_query_do_not_break_paging_links(client, dept, admin):
    for n in range(21):
        make_challenge(dept, admin=admin, title=f"社区云{n}")
    for query in ("endpoint=x", "after=abc&endpoint=x", "_method=POST", "_external=1", "_anchor=x",
                  "_scheme=javascript&_external=1"):
        body = page(client, f"/challenges?{query}")
        link = next_link(body)
        assert link and link.startswith("/challenges?after=") and "#" not in link, (query, link)
        second = page(client, link + "&" + query)
        assert len(ids(second)) == 1
        assert 'href="/challenges">回到第一页</a>' in second


_PREV = re.compile(r'<a class="btn btn-outline-primary btn-sm" rel="prev" href="([^"]+)">上一页</a>')


def prev_link(body):
    match = _PREV.search(body)
    return html.unescape(match.group(1)) if match else None


def test_total_count_and_previous_page_links_walk_back_the_same_pages(client, dept, admin):
    """Issue 16 item 7: the list says how many there are, and page 2 (and any later page) has
    上一页, which shows exactly the page before it, in the same order, with the filters kept."""
    created = [make_challenge(dept, admin=admin, title=f"一网通办智能预审{n:02d}", domain="数字治理",
                              budget_yuan=Decimal(1000 * (n % 4))).id for n in range(45)]
    make_challenge(dept, admin=admin, title="不在筛选内", domain="文旅")
    for sort in ("newest", "budget", "deadline"):
        url = f"/challenges?domain=数字治理&sort={sort}"
        pages, bodies = [], []
        while url:
            body = page(client, url)
            assert "共 45 个榜单" in visible(body), sort
            pages.append(ids(body))
            bodies.append(body)
            url = next_link(body)
        assert [len(p) for p in pages] == [20, 20, 5] and sorted(sum(pages, [])) == sorted(created)
        assert prev_link(bodies[0]) is None
        # Walk back from the last page with 上一页.
        back = prev_link(bodies[-1])
        for expected in reversed(pages[:-1]):
            assert back and "before=" in back and "domain=" in back and f"sort={sort}" in back
            body = page(client, back)
            assert ids(body) == expected, sort
            back = prev_link(body)
        assert back is None  # back on the first page: no 上一页
        assert next_link(page(client, prev_link(bodies[1]))) is not None


def test_list_items_show_their_publication_date(client, dept, admin):
    challenge = make_challenge(dept, admin=admin, title="智慧停车")
    body = page(client, "/challenges")
    day = to_shanghai(challenge.published_at).strftime("%Y-%m-%d")
    assert f"发布于 {day}" in visible(body) and "共 1 个榜单" in visible(body)


def test_garbage_before_cursor_falls_back_to_page_one(client, dept, admin):
    make_challenge(dept, admin=admin)
    for cursor in ("xxx", "eyJhIjoxfQ", "W10", "%00", "a" * 500):
        response = client.get(f"/challenges?before={cursor}")
        assert response.status_code in (200, 400), (cursor, response.status_code)
        if response.status_code == 200:
            assert len(ids(response.get_data(as_text=True))) == 1
