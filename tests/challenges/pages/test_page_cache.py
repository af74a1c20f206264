"""Public pages are cached for anonymous visitors (core/pagecache.py): a change is visible on
the very next request, and nothing a signed-in person sees is served to the public or back."""

import pytest

from marketplace.challenges import operations as challenge_ops
from marketplace.core import pagecache
from marketplace.core.pagecache import HEADER
from marketplace.extensions import db
from tests.challenges.pages.conftest import login, make_challenge, pass_deadline, text, visible
from tests.conftest import post_form


def test_anonymous_pages_are_served_from_the_cache(browser_for, published):
    public = browser_for(None)
    first = public.get(f"/challenges/{published.id}")
    second = public.get(f"/challenges/{published.id}")
    assert first.headers.get(HEADER) == "miss" and second.headers.get(HEADER) == "hit"
    assert text(first) == text(second)
    assert second.headers["Content-Security-Policy"] and second.mimetype == "text/html"
    assert public.get("/challenges").headers.get(HEADER) == "miss"
    assert public.get("/challenges").headers.get(HEADER) == "hit"


def test_a_state_change_is_visible_at_once(browser_for, dept, published):
    public = browser_for(None)
    public.get(f"/challenges/{published.id}")
    assert public.get(f"/challenges/{published.id}").headers.get(HEADER) == "hit"
    challenge_ops.cancel_challenge(dept, published, reason="并入其他项目")
    db.session.commit()
    response = public.get(f"/challenges/{published.id}")
    assert response.headers.get(HEADER) != "hit" and "已撤榜" in visible(text(response))
    assert published.title not in visible(text(public.get("/challenges")))


def test_a_passed_deadline_closes_the_challenge_on_the_next_page(browser_for, published):
    public = browser_for(None)
    public.get("/challenges?status=published")
    assert public.get("/challenges?status=published").headers.get(HEADER) == "hit"
    assert published.title in visible(text(public.get("/challenges?status=published")))
    pass_deadline(published)  # no audit, no flush: only the clock moved
    response = public.get("/challenges?status=published")
    assert response.headers.get(HEADER) != "hit" and published.title not in visible(text(response))


def test_signed_in_views_never_reach_the_public_and_back(browser_for, admin, dept, published):
    draft = make_challenge(dept, "draft", title="内部草稿：不应公开")
    public, admin_browser, department = browser_for(None), browser_for(admin), browser_for(dept)
    # the admin and the department first: nothing they see is stored …
    for client in (admin_browser, department):
        for url in ("/", "/challenges", f"/challenges/{published.id}"):
            response = client.get(url)
            assert HEADER not in response.headers, url
            assert response.headers["Cache-Control"] == "private, no-store"
    assert public.get(f"/challenges/{draft.id}").status_code == 404
    for url in ("/", "/challenges", f"/challenges/{published.id}"):
        body = visible(text(public.get(url)))
        assert "退出" not in body and admin.name not in body and dept.name not in body, url
    # … and the public's cached pages are never served to them
    for url in ("/", f"/challenges/{published.id}"):
        assert public.get(url).headers.get(HEADER) == "hit"
        for client in (admin_browser, department):
            response = client.get(url)
            assert HEADER not in response.headers and "退出" in visible(text(response)), url


def test_logging_in_after_an_anonymous_visit_shows_ones_own_header(browser_for, dept, published):
    client = browser_for(None)
    for url in ("/", f"/challenges/{published.id}"):
        client.get(url)
        assert client.get(url).headers.get(HEADER) == "hit", url
    login(client, dept)
    for url in ("/", f"/challenges/{published.id}", "/challenges"):
        response = client.get(url)
        body = visible(text(response))
        assert HEADER not in response.headers, url
        assert "退出" in body and dept.name in body and "登录" not in body.replace("退出登录", ""), url
    # Signing out leaves a flashed message: that page is neither served from nor stored in the cache.
    response = post_form(client, "/logout", page="/")
    assert response.status_code == 302
    response = client.get("/")
    assert HEADER not in response.headers and "您已退出登录" in visible(text(response))
    assert dept.name not in visible(text(response))
    # The message was shown once; then the public page, as any anonymous visitor gets it.
    again = client.get("/")
    assert again.headers.get(HEADER) != "hit" and "您已退出登录" not in visible(text(again))
    browser_for(None).get("/")
    response = client.get("/")
    assert response.headers.get(HEADER) == "hit" and dept.name not in visible(text(response))


def test_an_answer_and_an_edit_are_visible_at_once(browser_for, dept, provider, published):
    public = browser_for(None)
    public.get(f"/challenges/{published.id}")
    assert public.get(f"/challenges/{published.id}").headers.get(HEADER) == "hit"
    _, provider_user, _ = provider
    question = challenge_ops.ask_question(provider_user, published, text="是否需要对接医保系统？")
    db.session.commit()
    body = visible(text(public.get(f"/challenges/{published.id}")))
    assert "是否需要对接医保系统" not in body  # unanswered questions are not public
    challenge_ops.answer_question(dept, question, text="需要，接口文档见附件三")
    db.session.commit()
    response = public.get(f"/challenges/{published.id}")
    assert response.headers.get(HEADER) == "miss" and "接口文档见附件三" in visible(text(response))


def test_a_cached_page_never_outlives_its_minute(browser_for, published, monkeypatch):
    public = browser_for(None)
    monkeypatch.setattr(pagecache, "_slot", lambda: 1000)
    public.get("/providers")
    assert public.get("/providers").headers.get(HEADER) == "hit"
    monkeypatch.setattr(pagecache, "_slot", lambda: 1001)
    assert public.get("/providers").headers.get(HEADER) == "miss"


# Reviewed one by one: each renders, for anonymous visitors, from the database and the URL only.
# A page whose content depends on the visitor, a form's CSRF token, a flash or the moment must not
# be added here (and the test below fails until this list is updated with it).
REVIEWED_CACHEABLE = {
    "main.index", "challenges.index", "challenges.detail", "providers.directory", "providers.provider_detail",
    "providers.catalogue", "providers.solution_detail", "cases.index", "cases.detail", "cases.providers",
    "cases.provider",
}


def test_only_reviewed_pages_are_cached(app, browser_for, published):
    assert pagecache.CACHEABLE == REVIEWED_CACHEABLE
    assert all(endpoint in app.view_functions for endpoint in pagecache.CACHEABLE)
    public = browser_for(None)
    # Pages that move with the clock (a notice's objection window), carry forms (events, needs,
    # login), answer per query from the index, or are the audit's own record: never cached.
    for url in ("/notices", "/audit/checkpoints", "/events", "/needs", "/search?q=就医", "/login", "/signup",
                f"/api/v1/challenges/{published.id}/race", "/api/v1/challenges", "/healthz"):
        for _ in range(2):
            response = public.get(url)
            assert HEADER not in response.headers, (url, response.status_code)


def test_a_failing_cache_only_costs_the_rendering(browser_for, published, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis away")

    public = browser_for(None)
    monkeypatch.setattr(pagecache.cache, "get", down)
    monkeypatch.setattr(pagecache, "_down_until", [0.0])
    response = public.get(f"/challenges/{published.id}")
    assert response.status_code == 200 and HEADER not in response.headers
    assert published.title in visible(text(response))
    # Not tried again for a while: the next page is rendered without touching the cache.
    monkeypatch.setattr(pagecache.cache, "get", lambda *a, **kw: pytest.fail("cache tried while down"))
    assert public.get("/challenges").status_code == 200
