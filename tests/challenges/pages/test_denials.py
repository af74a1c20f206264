"""Every role's denials on the challenge and submission pages, CSRF, and the personal lists."""

import pytest

from marketplace.challenges.models import Challenge
from marketplace.extensions import db
from marketplace.submissions.models import Submission
from tests import factories
from tests.challenges.pages.conftest import (
    ENTRY,
    assert_login_redirect,
    challenge_form,
    count,
    make_challenge,
    page,
    pass_deadline,
    submit,
    token,
    visible,
)

LOGIN_PAGES = ["/challenges/new", "/dept/challenges", "/admin/challenges", "/my/submissions",
               "/challenges/{challenge}/submit", "/submissions/{submission}", "/submissions/{submission}/edit",
               "/challenges/{challenge}/submissions"]
LOGIN_POSTS = ["/challenges/new", "/challenges/{challenge}/questions", "/challenges/{challenge}/follow",
               "/challenges/{challenge}/extend", "/challenges/{challenge}/cancel", "/challenges/{challenge}/approve",
               "/challenges/{challenge}/submit", "/submissions/{submission}/withdraw"]


@pytest.fixture
def world(dept, admin, provider, published, browser_for):
    entrant = browser_for(provider[1])
    assert submit(entrant, f"/challenges/{published.id}/submit", ENTRY).status_code == 302
    submission = db.session.scalars(db.select(Submission)).one()
    return {"challenge": published.id, "submission": submission.id}


def test_anonymous_pages_and_posts_redirect_to_login(browser_for, world):
    web = browser_for(None)
    for url in LOGIN_PAGES:
        response = web.get(url.format(**world))
        assert_login_redirect(response, url)
        assert "next=" in response.headers["Location"], url
    for url in LOGIN_POSTS:
        response = web.post(url.format(**world), data={"csrf_token": token(web, "/login"), "reason": "x",
                                                       "text": "x", "deadline": "2099-01-01T00:00"})
        assert_login_redirect(response, url)
    assert count(Challenge) == 1 and db.session.get(Submission, world["submission"]).version == 1


@pytest.mark.parametrize("role", ["provider", "evaluator", "admin"])
def test_only_departments_may_post_challenges(browser_for, admin, role):
    user = admin if role == "admin" else factories.create_user(role)
    web = browser_for(user)
    response = web.get("/challenges/new")
    assert response.status_code == 403
    assert "您没有执行此操作的权限" in visible(response.get_data(as_text=True))
    response = web.post("/challenges/new", data={**challenge_form(), "csrf_token": token(web, "/notifications")})
    assert response.status_code == 403
    assert count(Challenge) == 0
    assert web.get("/dept/challenges").status_code == 403


@pytest.mark.parametrize("role", ["provider", "evaluator", "department"])
def test_only_admins_see_the_review_queue(browser_for, role):
    web = browser_for(factories.create_user(role))
    assert web.get("/admin/challenges").status_code == 403
    assert web.get("/admin/challenges?status=all").status_code == 403


@pytest.mark.parametrize("role", ["department", "evaluator", "admin"])
def test_only_providers_have_my_submissions(browser_for, admin, role):
    user = admin if role == "admin" else factories.create_user(role)
    assert browser_for(user).get("/my/submissions").status_code == 403


def test_draft_and_pending_are_404_for_everyone_but_owner_and_admin(browser_for, dept, other_dept, admin):
    draft = make_challenge(dept, "draft", title="草稿榜单")
    pending = make_challenge(dept, "pending_review", title="待审榜单")
    provider_user = factories.create_provider(admin=admin)[1]
    for user in (None, other_dept, provider_user, factories.create_user("evaluator")):
        web = browser_for(user)
        for challenge in (draft, pending):
            assert web.get(f"/challenges/{challenge.id}").status_code == 404
            if user is not None:
                assert web.get(f"/challenges/{challenge.id}/edit").status_code in (403, 404)
    web = browser_for(other_dept)
    assert web.get(f"/challenges/{draft.id}/edit").status_code == 404
    assert submit(web, f"/challenges/{draft.id}/attachments", page_url="/dept/challenges").status_code == 404
    assert browser_for(dept).get(f"/challenges/{draft.id}").status_code == 200
    assert browser_for(admin).get(f"/challenges/{pending.id}").status_code == 200
    # The admin may read a draft but not edit it: it is the department's.
    assert browser_for(admin).get(f"/challenges/{draft.id}/edit").status_code == 403


def test_submit_page_is_for_providers_only(browser_for, world, dept, admin):
    for user in (dept, admin, factories.create_user("evaluator")):
        assert browser_for(user).get(f"/challenges/{world['challenge']}/submit").status_code == 403


def test_a_sealed_entry_is_404_for_everyone_else_before_and_after_the_deadline(
        browser_for, world, dept, other_dept, admin, published):
    rival = factories.create_provider(admin=admin, domains=("医疗",))[1]
    evaluator = factories.create_user("evaluator")
    url = f"/submissions/{world['submission']}"

    webs = {name: browser_for(user) for name, user in
            {"rival": rival, "other_dept": other_dept, "evaluator": evaluator, "dept": dept, "admin": admin}.items()}

    def check(names, status):
        for name in names:
            web = webs[name]
            assert web.get(url).status_code == status, (name, url)
            if status == 404:
                assert web.get(f"{url}/edit").status_code == 404
                response = submit(web, f"{url}/withdraw", page_url="/notifications")
                assert response.status_code == 404

    # Before the deadline: only the entrant — not a rival, the department, admin or evaluators.
    check(["rival", "other_dept", "evaluator", "dept", "admin"], 404)
    assert browser_for(None).get(url).status_code == 302
    pass_deadline(published)
    # After: the department and admin read it; a rival, another department, evaluators still 404.
    check(["rival", "other_dept", "evaluator"], 404)
    check(["dept", "admin"], 200)
    assert db.session.get(Submission, world["submission"]).version == 1


def test_a_rival_provider_cannot_use_someone_elses_entry_id_for_files(browser_for, world, admin):
    rival = browser_for(factories.create_provider(admin=admin, domains=("医疗",))[1])
    url = f"/submissions/{world['submission']}/attachments"
    assert rival.post(url, data={"csrf_token": token(rival, "/notifications")}).status_code == 404


@pytest.mark.parametrize("url", [
    "/challenges/new", "/challenges/{challenge}/questions", "/challenges/{challenge}/extend",
    "/challenges/{challenge}/cancel", "/challenges/{challenge}/follow",
    "/submissions/{submission}/withdraw", "/submissions/{submission}/edit",
])
def test_post_without_csrf_is_400(browser_for, world, dept, provider, url):
    user = provider[1] if ("submission" in url or "questions" in url or "follow" in url) else dept
    web = browser_for(user)
    response = web.post(url.format(**world), data={**challenge_form(), **ENTRY, "reason": "x", "text": "问题",
                                                   "deadline": "2099-01-01T00:00"})
    assert response.status_code == 400
    assert "表单已过期或缺少安全令牌，请刷新页面后重试" in visible(response.get_data(as_text=True))
    assert count(Challenge) == 1
    submission = db.session.get(Submission, world["submission"])
    assert submission.version == 1 and submission.state.value == "submitted"


def test_submit_for_review_and_approve_without_csrf_are_400(browser_for, dept, admin):
    challenge = make_challenge(dept, "draft")
    assert browser_for(dept).post(f"/challenges/{challenge.id}/submit-for-review").status_code == 400
    challenge_ops_pending = make_challenge(dept, "pending_review")
    assert browser_for(admin).post(f"/challenges/{challenge_ops_pending.id}/approve").status_code == 400
    db.session.expire_all()
    assert db.session.get(Challenge, challenge.id).state.value == "draft"
    assert db.session.get(Challenge, challenge_ops_pending.id).state.value == "pending_review"


def test_department_list_shows_only_own_challenges_by_state(browser_for, dept, other_dept, admin):
    make_challenge(dept, "draft", title="本单位草稿")
    make_challenge(dept, "published", admin=admin, title="本单位已发布")
    make_challenge(other_dept, "published", admin=admin, title="别家榜单")
    web = browser_for(dept)
    body = visible(page(web, "/dept/challenges"))
    assert "本单位榜单 · 区卫生健康委" in body
    assert "本单位草稿" in body and "本单位已发布" in body and "别家榜单" not in body
    drafts = visible(page(web, "/dept/challenges?status=draft"))
    assert "本单位草稿" in drafts and "本单位已发布" not in drafts
    assert "还没有榜单" in visible(page(web, "/dept/challenges?status=awarded"))
    page(web, "/dept/challenges?status=nonsense")  # an unknown status is ignored, not a 500


def test_admin_list_filters_every_state(browser_for, dept, other_dept, admin):
    make_challenge(dept, "draft", title="卫健委草稿")
    make_challenge(other_dept, "pending_review", title="民政局待审")
    make_challenge(dept, "published", admin=admin, title="卫健委已发布")
    web = browser_for(admin)
    assert "民政局待审" in visible(page(web, "/admin/challenges"))
    everything = visible(page(web, "/admin/challenges?status=all"))
    assert all(t in everything for t in ("卫健委草稿", "民政局待审", "卫健委已发布"))
    by_dept = visible(page(web, f"/admin/challenges?status=all&department={dept.organisation_id}"))
    assert "卫健委草稿" in by_dept and "民政局待审" not in by_dept
    assert "卫健委草稿" in visible(page(web, "/admin/challenges?status=draft"))
    assert "没有符合条件的榜单" in visible(page(web, "/admin/challenges?status=all&q=不存在"))
    page(web, "/admin/challenges?status=bogus&department=abc&domain=<script>")


def test_my_submissions_lists_only_my_organisations_entries(browser_for, world, admin, provider, published):
    mine = visible(page(browser_for(provider[1]), "/my/submissions"))
    assert published.title in mine and "征集中" in mine
    rival = browser_for(factories.create_provider(admin=admin)[1])
    assert "还没有揭榜" in visible(page(rival, "/my/submissions"))
