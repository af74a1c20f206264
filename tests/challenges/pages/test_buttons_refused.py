"""A POST button refused because the state moved on (two admins click at once, a colleague got
there first) lands back on the page the button was on with the Chinese reason as a warning,
never on a bare "409 状态冲突" page; nothing changes and nothing more is audited."""

from marketplace.audit.models import AuditEvent
from marketplace.challenges.states import ChallengeState
from marketplace.extensions import db
from tests import factories
from tests.challenges.pages.conftest import count, flashes, make_challenge, page, redirect_path, submit, text, visible


def _approvals(challenge):
    return count(AuditEvent, AuditEvent.action == "challenge.approve", AuditEvent.object_id == challenge.id)


def test_two_admins_approve_at_once_the_second_is_told_on_the_page(browser_for, dept, admin):
    challenge = make_challenge(dept, "pending_review")
    url = f"/challenges/{challenge.id}"
    first, second = browser_for(admin), browser_for(factories.create_user("admin", name="另一位管理员"))
    second_token_page = page(second, url)  # both have the page open with the approve button
    assert f'action="{url}/approve"' in second_token_page

    done = submit(first, f"{url}/approve", page_url=url, follow=True)
    assert done.status_code == 200 and ("success", "榜单已审核通过并公开发布") in flashes(text(done))

    again = submit(second, f"{url}/approve", page_url=url)
    assert again.status_code == 302 and redirect_path(again) == url  # back to the challenge page
    body = text(second.get(url))
    assert "状态冲突" not in visible(body)
    [(category, message)] = flashes(body)
    assert category == "warning" and "不能" in message  # the reason, in Chinese
    db.session.refresh(challenge)
    assert challenge.state == ChallengeState.published and _approvals(challenge) == 1


def test_submit_for_review_twice_is_a_warning_on_the_page(browser_for, dept):
    challenge = make_challenge(dept, "draft")
    url = f"/challenges/{challenge.id}"
    web = browser_for(dept)
    assert submit(web, f"{url}/submit-for-review", page_url=url).status_code == 302
    again = submit(web, f"{url}/submit-for-review", page_url=url, follow=True)
    assert again.status_code == 200 and "状态冲突" not in visible(text(again))
    assert [c for c, _ in flashes(text(again))] == ["warning"]
    assert count(AuditEvent, AuditEvent.action == "challenge.submit_for_review") == 1


def test_a_refused_button_without_its_own_handling_goes_back_to_its_page(app, db):
    """The safety net in the error handler: a button's POST (nothing typed, only its CSRF token)
    whose view does not answer a refusal itself goes back to the same-origin page it came from;
    without a Referer, from another site, or with typed text it is still the error page (the
    browser's back button keeps what was typed)."""
    from flask import get_flashed_messages

    from marketplace.core.errors import Conflict, NotFound

    def refuse(exc=None, data=None, referrer="http://localhost/challenges/7?tab=1"):
        headers = {"Referer": referrer} if referrer else {}
        with app.test_request_context("/challenges/7/approve", method="POST", data=data or {"csrf_token": "t"},
                                      headers=headers):
            response = app.make_response(app.handle_user_exception(exc or Conflict("榜单状态为“已发布”，不能审核")))
            return response, get_flashed_messages(with_categories=True)

    response, flashed = refuse()
    assert response.status_code == 303 and response.headers["Location"] == "/challenges/7?tab=1"
    assert flashed == [("warning", "榜单状态为“已发布”，不能审核")]
    for kwargs in ({"referrer": None}, {"referrer": "http://evil.example/challenges/7"},
                   {"data": {"csrf_token": "t", "reason": "写了很多字"}}, {"exc": NotFound()},
                   {"referrer": "http://localhost/challenges/7/approve"}):
        response, flashed = refuse(**kwargs)
        assert response.status_code in (404, 409) and not flashed, kwargs
