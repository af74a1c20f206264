"""Who may open which page: anonymous → login, wrong role → 403, another organisation's → 404."""

import pytest

from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from tests import factories
from tests.page_helpers import assert_login_redirect, page, redirect_path, submit, text

ADMIN_PAGES = [
    "/admin/",
    "/admin/partner-applications",
    "/admin/partner-applications?state=all",
    "/admin/partner-applications/{app_id}",
    "/admin/organisations",
    "/admin/organisations/new",
    "/admin/organisations/{org_id}/edit",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user_id}/edit",
    "/admin/audit",
]
ADMIN_POSTS = [
    "/admin/partner-applications/{app_id}/suspend",
    "/admin/partner-applications/{app_id}/remove",
    "/admin/users/{user_id}/deactivate",
    "/admin/organisations/new",
    "/admin/users/new",
    "/admin/audit/verify",
]
PROVIDER_PAGES = ["/partner/apply", "/partner/application", "/my/solutions", "/my/solutions/new",
                  "/my/solutions/{solution_id}/edit"]
PROVIDER_POSTS = ["/partner/apply", "/my/solutions/new", "/my/solutions/{solution_id}/withdraw"]
LOGGED_IN_PAGES = ["/account", "/notifications"]


@pytest.fixture
def world(provider):
    org, user, app = provider
    solution = provider_ops.create_solution(user, title="社区云", domain="社区", summary="数字小区")
    db.session.commit()
    return {"app_id": app.id, "org_id": org.id, "user_id": user.id, "solution_id": solution.id,
            "user": user, "solution": solution, "org": org, "app": app}


def _users(kind, world):
    if kind == "provider":
        other_org, other, _ = factories.create_provider(admin=None)
        return other
    if kind == "department":
        return factories.create_user("department")
    return factories.create_user("evaluator")


def test_anonymous_get_redirects_to_login(client, world):
    for url in ADMIN_PAGES + PROVIDER_PAGES + LOGGED_IN_PAGES:
        url = url.format(**world)
        response = client.get(url)
        assert_login_redirect(response, url)
        assert "next=" in response.headers["Location"]
    # the login page then explains why, in Chinese
    assert "请先登录" in page(client, "/login")


def test_anonymous_post_redirects_to_login(client, world):
    for url in ADMIN_POSTS + PROVIDER_POSTS + ["/notifications/read-all", "/notifications/1/read"]:
        url = url.format(**world)
        response = submit(client, url, {"suspend-reason": "x", "remove-reason": "x"}, page_url="/login")
        assert_login_redirect(response, url)
    assert world["app"].state.value == "admitted" and world["user"].is_active


@pytest.mark.parametrize("role", ["provider", "department", "evaluator"])
def test_non_admin_gets_403_on_admin_pages(client, login_as, world, role):
    login_as(_users(role, world))
    for url in ADMIN_PAGES:
        body = page(client, url.format(**world), status=403)
        assert "无权访问" in body


@pytest.mark.parametrize("role", ["provider", "department", "evaluator"])
def test_non_admin_gets_403_on_admin_actions(client, login_as, world, role):
    login_as(_users(role, world))
    for url in ADMIN_POSTS:
        url = url.format(**world)
        response = submit(client, url, {"reason": "越权尝试", "name": "越权单位", "kind": "department"},
                          page_url="/account")
        assert response.status_code == 403, url
        assert "无权访问" in text(response)
    db.session.expire_all()
    assert world["app"].state.value == "admitted"
    assert world["user"].is_active


@pytest.mark.parametrize("role", ["department", "evaluator"])
def test_department_and_evaluator_get_403_on_provider_pages(client, login_as, world, role):
    login_as(_users(role, world))
    for url in PROVIDER_PAGES:
        body = page(client, url.format(**world), status=403)
        assert "无权访问" in body


@pytest.mark.parametrize("role", ["department", "evaluator", "admin"])
def test_non_provider_cannot_post_provider_forms(client, login_as, world, role, admin):
    login_as(admin if role == "admin" else _users(role, world))
    for url in PROVIDER_POSTS:
        response = submit(client, url.format(**world), {"title": "x", "domain": "社区", "summary": "x"},
                          page_url="/account")
        assert response.status_code == 403, url
    db.session.expire_all()
    assert world["solution"].is_active


def test_provider_cannot_touch_another_organisations_solution(client, login_as, world):
    other_org, other_user, _ = factories.create_provider(admin=None)
    login_as(other_user)
    solution_id = world["solution_id"]
    page(client, f"/my/solutions/{solution_id}/edit", status=404)
    response = submit(client, f"/my/solutions/{solution_id}/edit",
                      {"title": "篡改", "domain": "社区", "summary": "篡改"}, page_url="/my/solutions")
    assert response.status_code == 404
    response = submit(client, f"/my/solutions/{solution_id}/withdraw", page_url="/my/solutions")
    assert response.status_code == 404
    db.session.expire_all()
    assert world["solution"].title == "社区云" and world["solution"].is_active
    # and it is not on their own list
    assert "社区云" not in page(client, "/my/solutions")


def test_colleague_in_same_organisation_can_edit(client, login_as, world):
    colleague = factories.create_user("provider", org=world["org"])
    login_as(colleague)
    page(client, f"/my/solutions/{world['solution_id']}/edit")


@pytest.mark.parametrize("role", ["provider", "department", "evaluator", "admin"])
def test_each_role_lands_somewhere_sensible_after_login(client, world, admin, role):
    user = admin if role == "admin" else _users(role, world)
    from tests.conftest import login

    response = login(client, user)
    target = redirect_path(response)
    body = page(client, target)
    assert user.name in body  # header shows who is logged in
    for url in LOGGED_IN_PAGES:
        page(client, url)


def test_notification_of_another_user_is_404(client, login_as, world, admin):
    from marketplace.notifications.operations import notify

    note = notify([admin], "test", "只给管理员的通知")[0]
    db.session.commit()
    login_as(world["user"])
    response = submit(client, f"/notifications/{note.id}/read", page_url="/notifications")
    assert response.status_code == 404
    db.session.expire_all()
    assert note.read_at is None
