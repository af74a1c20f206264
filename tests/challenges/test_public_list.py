"""The public challenge list: only published-and-later, filters, sorts, keyset paging."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.challenges import operations as challenge_ops
from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.extensions import db as _db
from tests.challenges.conftest import challenge_values, set_state


@pytest.fixture
def every_state(create_challenge, dept):
    made = {}
    for state in ("draft", "pending_review", "published", "closed", "evaluating", "racing", "notice", "awarded",
                  "failed", "cancelled"):
        made[state] = create_challenge(dept, state=state, title=f"状态-{state}")
    return made


PUBLIC = {"published", "closed", "evaluating", "racing", "notice", "awarded", "failed"}


def _ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return {item["id"] for item in response.get_json()["items"]}


def test_public_sees_published_and_later_only(api, browser, every_state, provider, other_dept, dept, admin):
    expected = {every_state[s].id for s in PUBLIC}
    _, provider_user, _ = provider
    for user in (None, provider_user, other_dept):
        assert _ids(api(user).get("/challenges")) == expected
        assert _ids(api(user).get("/challenges?after=&per_page=100")) == expected
        for status in ("draft", "pending_review"):
            for query in (f"status={status}", f"status={status}&after="):
                response = api(user).get(f"/challenges?{query}")
                if user is other_dept:  # a department may ask for its own drafts: it has none
                    assert _ids(response) == set()
                else:  # a status the caller may not list is a field error, not the whole list
                    assert response.status_code == 422 and "status" in response.get_json()["error"]["fields"]
    assert _ids(api().get("/challenges?status=cancelled")) == {every_state["cancelled"].id}
    assert _ids(api().get("/challenges?status=awarded")) == {every_state["awarded"].id}
    response = browser().get("/challenges?status=draft")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "只能按公开榜单的状态筛选" in html
    assert "状态-draft" not in html and "状态-pending_review" not in html and "状态-published" not in html
    for state in ("draft", "pending_review"):
        assert api().get(f"/challenges/{every_state[state].id}").status_code == 404
        assert browser().get(f"/challenges/{every_state[state].id}").status_code == 404
    # A department also sees its own drafts and reviews; the admin sees every state.
    assert _ids(api(dept).get("/challenges?per_page=100")) == {c.id for c in every_state.values()}
    assert _ids(api(other_dept).get("/challenges?per_page=100")) == {every_state[s].id for s in PUBLIC}
    assert _ids(api(admin).get("/challenges?status=draft")) == {every_state["draft"].id}
    assert _ids(api(dept).get("/challenges?status=draft")) == {every_state["draft"].id}
    assert _ids(api(dept).get("/challenges?status=pending_review&after=")) == {every_state["pending_review"].id}
    assert _ids(api(dept).get("/challenges?status=published")) == {every_state["published"].id}
    assert api(dept).get("/challenges?status=nonsense").status_code == 422


@pytest.fixture
def varied(create_challenge, dept, other_dept):
    rows = [
        ("养老", dept, "100000.00"),
        ("养老", other_dept, "2500000.00"),
        ("医疗", dept, "800000.00"),
        ("教育", other_dept, "50000.00"),
        ("医疗", other_dept, "800000.00"),
    ]
    return [create_challenge(department, domain=domain, budget_yuan=Decimal(budget), title=f"{domain}-{budget}",
                             deadline=utcnow() + timedelta(days=30 - i))
            for i, (domain, department, budget) in enumerate(rows)]


def test_filters(api, browser, varied, dept, other_dept, create_challenge):
    ids = [c.id for c in varied]
    set_state(varied[4], "closed")
    assert _ids(api().get("/challenges?domain=养老")) == {ids[0], ids[1]}
    assert _ids(api().get(f"/challenges?department={dept.organisation_id}")) == {ids[0], ids[2]}
    assert _ids(api().get(f"/challenges?department={other_dept.organisation_id}&domain=医疗")) == {ids[4]}
    assert _ids(api().get("/challenges?status=closed")) == {ids[4]}
    assert _ids(api().get("/challenges?status=published")) == set(ids[:4])
    assert _ids(api().get("/challenges?budget_min=800000")) == {ids[1], ids[2], ids[4]}
    assert _ids(api().get("/challenges?budget_min=800000.01")) == {ids[1]}
    assert _ids(api().get("/challenges?budget_min=800000&after=")) == {ids[1], ids[2], ids[4]}
    assert _ids(api().get("/challenges?domain=养老&after=")) == {ids[0], ids[1]}
    html = browser().get("/challenges?domain=教育").get_data(as_text=True)
    assert "教育-50000.00" in html and "养老-100000.00" not in html
    # Nonsense filters are ignored or answered with 4xx, never a 500.
    for query in ("domain=火星", "department=abc", "department=99999999999999", "budget_min=-5", "budget_min=很多",
                  "status=%00", "sort=drop+table", "per_page=-1", "per_page=100000", "page=-3"):
        assert api().get(f"/challenges?{query}").status_code < 500, query
        assert api().get(f"/challenges?{query}&after=").status_code < 500, query
        assert browser().get(f"/challenges?{query}").status_code < 500, query


def _walk(api, query, per_page=10):
    """Follow next_cursor from the first page to the last; the ids in order, one list per page."""
    pages, cursor = [], ""
    for _ in range(100):
        body = api().get(f"/challenges?{query}&per_page={per_page}&after={cursor}").get_json()
        pages.append([item for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("paging never ended")


@pytest.fixture
def many(dept):
    """45 published challenges with many ties on budget, deadline and publication time (drafted
    through the operation, then published in one UPDATE to keep the fixture fast)."""
    base = datetime(2030, 1, 1, tzinfo=UTC)
    made = [challenge_ops.create_challenge(dept, challenge_values(
        title=f"批量榜单{i:02d}", budget_yuan=Decimal(10000 * (i % 4)))).id for i in range(45)]
    # Ties on purpose: keyset paging must break them on id.
    for n, challenge_id in enumerate(made):
        _db.session.execute(sa.update(Challenge).where(Challenge.id == challenge_id).values(
            state="published", deadline=base + timedelta(days=n % 5), published_at=base - timedelta(days=n % 3)))
    _db.session.commit()
    return made


def test_keyset_paging_visits_every_row_once(api, many):
    for sort in ("newest", "deadline", "budget"):
        pages = _walk(api, f"sort={sort}")
        assert [len(p) for p in pages] == [10, 10, 10, 10, 5], sort
        items = [item for page in pages for item in page]
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids)) == 45 and set(ids) == set(many), sort
        if sort == "deadline":
            keys = [(item["deadline"], item["id"]) for item in items]
            assert keys == sorted(keys)
        elif sort == "budget":
            keys = [(Decimal(item["budget_yuan"]), item["id"]) for item in items]
            assert keys == sorted(keys, reverse=True)
        else:
            keys = [(item["published_at"], item["id"]) for item in items]
            assert keys == sorted(keys, reverse=True)
        # The first page of the cursor walk is the first page of the page/per_page listing.
        listed = api().get(f"/challenges?sort={sort}&per_page=10").get_json()
        assert [c["id"] for c in listed["items"]] == [item["id"] for item in pages[0]] and listed["total"] == 45


def test_keyset_paging_with_a_filter(api, many):
    pages = _walk(api, "sort=budget&budget_min=20000", per_page=7)
    ids = [item["id"] for page in pages for item in page]
    assert len(ids) == len(set(ids)) and all(Decimal(item["budget_yuan"]) >= 20000 for p in pages for item in p)
    assert len(ids) == sum(1 for i in range(45) if i % 4 >= 2)


def test_deep_page_numbers_seek_from_anchors_and_match_offset(api, dept, admin, many, monkeypatch):
    """`?page=N` past the anchor stride seeks the cached anchor row and skips the rest: the same
    rows, in the same order, as reading every page through; also filtered, past the end, for a
    department's own drafts, and after a change (the anchors are dropped)."""
    from marketplace.challenges import queries

    monkeypatch.setattr(queries.PositionIndex, "STRIDE", 4)
    queries.positions.clear()

    def paged(user, query, per_page):
        rows = []
        for page in range(1, 30):
            body = api(user).get(f"/challenges?{query}&per_page={per_page}&page={page}").get_json()
            assert body["page"] == page and body["total"] == total
            if not body["items"]:
                return rows, page
            rows.append([item["id"] for item in body["items"]])
        raise AssertionError("paging never ended")

    for sort in ("newest", "deadline", "budget"):
        for query in (f"sort={sort}", f"sort={sort}&budget_min=20000"):
            walked = [item["id"] for page in _walk(api, query, per_page=3) for item in page]
            total = len(walked)
            for per_page in (3, 5, 7):
                rows, _ = paged(None, query, per_page)
                assert [i for page in rows for i in page] == walked, (query, per_page)
                assert [len(page) for page in rows[:-1]] == [per_page] * (len(rows) - 1)
            assert queries.positions._anchors, "deep pages read anchors"
    # A department's own draft (no publication time) among the public rows: OFFSET, same rows.
    draft = challenge_ops.create_challenge(dept, challenge_values(title="草稿-深页"))
    _db.session.commit()
    assert not queries.positions._anchors  # dropped on the change
    total = 46
    rows, _ = paged(dept, "sort=newest", 5)
    ids = [i for page in rows for i in page]
    assert sorted(ids) == sorted([*many, draft.id]) and len(ids) == len(set(ids))
    # Past the end: an empty page, never an error.
    total = 45
    body = api().get("/challenges?sort=deadline&per_page=5&page=400").get_json()
    assert body["items"] == [] and body["total"] == 45 and body["next_cursor"] is None


def test_html_list_pages_by_cursor(browser, many):
    client = browser()
    html = client.get("/challenges?sort=deadline").get_data(as_text=True)
    assert "after=" in html
    seen = set()
    url = "/challenges?sort=deadline"
    for _ in range(10):
        html = client.get(url).get_data(as_text=True)
        seen |= set(re.findall(r"批量榜单\d\d", html))
        match = re.search(r'href="([^"]*after=[^"]+)"', html)
        if not match:
            break
        url = match.group(1).replace("&amp;", "&")
    assert len(seen) == 45


def _cursor(payload):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GARBAGE = [
    "garbage", "!!!", "%00", "测试", "A" * 500, _cursor(b"\xff\xfe"), _cursor(b"[1,2"), _cursor({"a": 1}),
    _cursor(["newest", "2030-01-01T00:00:00", 5]),  # a naive time
    _cursor(["newest", "not a date", 5]), _cursor(["newest", 12, 5]), _cursor(["deadline", None, 5]),
    _cursor(["budget", "1e400", 5]), _cursor(["budget", 10**30, 5]), _cursor(["budget", 1, 10**30]),
    _cursor(["budget", 1, -1]), _cursor(["budget", 1.5, 3]), _cursor(["budget", True, True]),
    _cursor(["deadline", "2030-01-01T00:00:00+08:00", "5"]), _cursor(["newest", "9999-12-31T23:59:59+14:00", 1]),
    _cursor(["deadline", "0001-01-01T00:00:00-12:00", 1]), _cursor(["deadline", "0001-01-01T00:00:00+08:00", 1]), _cursor([]), _cursor(["budget"]), _cursor(None),
]


def test_garbage_cursor_never_500(api, browser, create_challenge, dept):
    create_challenge(dept)
    client = browser()
    for sort in ("newest", "deadline", "budget"):
        for cursor in GARBAGE:
            response = api().get(f"/challenges?sort={sort}&after={cursor}")
            assert response.status_code in (200, 400, 422), (sort, cursor, response.status_code)
            page = client.get(f"/challenges?sort={sort}&after={cursor}")
            assert page.status_code in (200, 400, 422), (sort, cursor, page.status_code)


def test_api_cursor_walks_every_row_with_a_cached_total(api, many):
    """`cursor` (the documented name; `after` still works) pages by keyset from any depth; the
    page-number answer carries a next_cursor to switch to it; totals come from a cache that a
    change to a challenge in this process clears at once."""
    from marketplace.challenges.queries import count_cache
    from tests.conftest import StatementCounter

    seen, cursor = [], ""
    while cursor is not None:
        body = api().get(f"/challenges?sort=deadline&per_page=10&cursor={cursor}").get_json()
        assert body["total"] == 45 and body["per_page"] == 10
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
    assert sorted(seen) == sorted(many) and len(seen) == 45
    first = api().get("/challenges?sort=deadline&per_page=10").get_json()
    assert first["total"] == 45 and first["page"] == 1
    following = api().get(f"/challenges?sort=deadline&per_page=10&cursor={first['next_cursor']}").get_json()
    second = api().get("/challenges?sort=deadline&per_page=10&page=2").get_json()
    assert [i["id"] for i in following["items"]] == [i["id"] for i in second["items"]]
    # the total is not counted again on every request …
    with StatementCounter(_db.engine) as counter:
        api().get(f"/challenges?sort=deadline&per_page=10&cursor={first['next_cursor']}")
    assert not [s for s in counter.statements if "count(" in s.lower()]
    # … and a change to a challenge shows in it at once
    _db.session.execute(sa.update(Challenge).where(Challenge.id == many[0]).values(state="cancelled"))
    _db.session.commit()
    assert api().get("/challenges?sort=deadline&per_page=10&cursor=").get_json()["total"] == 44
    assert api().get("/challenges?sort=deadline&per_page=10").get_json()["total"] == 44
    count_cache.clear()
