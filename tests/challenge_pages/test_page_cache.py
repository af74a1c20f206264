"""Public pages are cached for anonymous visitors (core/pagecache.py): a change is visible on
the very next request, and nothing a signed-in person sees is served to the public or back."""

from marketplace.challenges import operations as challenge_ops
from marketplace.core.pagecache import HEADER
from marketplace.extensions import db
from tests.challenge_pages.conftest import make_challenge, pass_deadline, text, visible


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
