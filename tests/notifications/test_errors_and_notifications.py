"""Error pages in Chinese, the notification inbox, and a crawl of every link each role sees."""

import re

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.operations import notify
from tests import factories
from tests.page_helpers import CJK, page, redirect_path, submit, text

# --- error pages ----------------------------------------------------------------------------

def test_404_page_in_chinese(client):
    for url in ["/no-such-page", "/providers/0", "/catalogue/abc", "/admin/users/1/bogus", "/static/nothing.css"]:
        response = client.get(url)
        assert response.status_code == 404, url
        body = text(response)
        assert '<html lang="zh-CN">' in body and "未找到" in body and 'href="/"' in body
        assert "Not Found" not in body


def test_404_page_for_logged_in_user_keeps_the_header(client, login_as, provider):
    login_as(provider[1])
    body = page(client, "/no-such-page", status=404)
    assert provider[1].name in body and "伙伴清单申请" in body


def test_405_page_in_chinese(client):
    for method, url in [("post", "/providers"), ("post", "/"), ("get", "/logout"), ("put", "/login"),
                        ("delete", "/catalogue")]:
        response = getattr(client, method)(url)
        assert response.status_code == 405, url
        body = text(response)
        assert '<html lang="zh-CN">' in body and "不支持该请求方法" in body
        assert "Method Not Allowed" not in body
        assert response.headers.get("Allow")


def test_403_page_in_chinese(client, login_as):
    login_as(factories.create_user("evaluator"))
    body = page(client, "/admin/users", status=403)
    assert "无权访问" in body and "您没有执行此操作的权限" in body and "Forbidden" not in body


def test_409_page_in_chinese(client, login_as, admin, app):
    _, _, application = factories.create_provider("rejected", admin=admin)
    login_as(admin)
    url = f"/admin/partner-applications/{application.id}"
    response = submit(client, f"{url}/suspend", {"suspend-reason": "不可能的操作"}, page_url=url)
    assert response.status_code == 409
    body = text(response)
    assert CJK.search(body) and "Conflict" not in body
    assert "未通过" in body or "不能" in body  # says why, in the domain's words (now on the page itself)
    # A conflict nobody answers on its page still gets the Chinese 409 page.
    from marketplace.core.errors import Conflict

    with app.test_request_context("/anything"):
        bare = app.make_response(app.handle_user_exception(Conflict()))
    body = bare.get_data(as_text=True)
    assert bare.status_code == 409 and "状态冲突" in body and "当前状态下不能执行此操作" in body and "Conflict" not in body


def test_400_page_in_chinese(client):
    body = text(client.post("/login", data={"email": "a@b.cn"}))
    assert "请求" in body or "令牌" in body
    assert '<html lang="zh-CN">' in body and "Bad Request" not in body


def test_huge_and_odd_query_strings_never_500(client, login_as, admin):
    login_as(admin)
    odd = ["?page=-1", "?page=99999999999", "?per_page=0", "?q=" + "长" * 5000, "?domain=%FF",
           "?state=%27;DROP%20TABLE%20users;--", "?q=%25_", "?q=%01%1F"]
    failures = []
    for base in ["/providers", "/catalogue", "/admin/partner-applications", "/admin/users",
                 "/admin/organisations", "/admin/audit", "/notifications"]:
        for query in odd:
            response = client.get(base + query)
            if response.status_code != 200:
                failures.append((base, query, response.status_code))
    for query in ["?object_type=" + "x" * 5000, "?date_from=0000-00-00", "?date_from=0001-01-01",
                  "?date_to=9999-12-31"]:
        response = client.get("/admin/audit" + query)
        if response.status_code != 200:
            failures.append(("/admin/audit", query, response.status_code))
    assert not failures


def test_nul_in_query_string_is_a_400_page_not_a_500(client, login_as, admin):
    """PostgreSQL cannot store or compare NUL: it must be refused before it reaches the database."""
    login_as(admin)
    for url in ["/providers?q=%00", "/catalogue?q=a%00b", "/admin/users?q=%00", "/admin/organisations?q=%00",
                "/admin/audit?object_type=%00", "/admin/audit?action=%00", "/admin/partner-applications?q=%00",
                "/notifications?%00=1"]:
        response = client.get(url)
        assert response.status_code == 400, url
        body = text(response)
        assert "请求格式不正确" in body and '<html lang="zh-CN">' in body


# --- notifications --------------------------------------------------------------------------

def test_inbox_unread_count_read_and_read_all(client, login_as, provider, admin):
    _, user, _ = provider
    notify([user], "test", "第一条通知", "正文一", link="/partner/application")
    notify([user], "test", "第二条通知", "正文二")
    db.session.commit()
    unread = db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))
    assert unread == 3  # with the admission notice
    login_as(user)
    body = page(client, "/notifications")
    assert 'data-testid="unread-count">3<' in body
    assert body.count('data-testid="notification"') == 3
    assert "第一条通知" in body and "正文二" in body and "伙伴清单申请已通过" in body

    first = db.session.scalar(sa.select(Notification).where(Notification.title == "第一条通知"))
    second = db.session.scalar(sa.select(Notification).where(Notification.title == "第二条通知"))
    # reading a notification with a link goes to the link
    response = submit(client, f"/notifications/{first.id}/read", page_url="/notifications")
    assert redirect_path(response) == "/partner/application"
    # without one, back to the inbox
    response = submit(client, f"/notifications/{second.id}/read", page_url="/notifications")
    assert redirect_path(response) == "/notifications"
    body = page(client, "/notifications?unread=1")
    assert 'data-testid="unread-count">1<' in body
    assert "第一条通知" not in body and "第二条通知" not in body and "伙伴清单申请已通过" in body

    response = submit(client, "/notifications/read-all", page_url="/notifications")
    assert redirect_path(response) == "/notifications"
    body = page(client, "/notifications")
    assert "已全部标记为已读" in body and 'data-testid="unread-count"' not in body
    assert "没有未读通知" in page(client, "/notifications?unread=1")
    page(client, "/notifications?page=2")
    response = submit(client, "/notifications/999999/read", page_url="/notifications")
    assert response.status_code == 404


def test_empty_inbox(client, login_as):
    login_as(factories.create_user("department"))
    body = page(client, "/notifications")
    assert "还没有通知" in body and 'data-testid="unread-count"' not in body


def test_notification_link_to_other_site_is_not_followed(client, login_as):
    user = factories.create_user("evaluator")
    note = notify([user], "test", "外链", link="//evil.example/")[0]
    db.session.commit()
    login_as(user)
    response = submit(client, f"/notifications/{note.id}/read", page_url="/notifications")
    assert redirect_path(response) == "/notifications"


# --- crawl: no broken link, no English error for any role -------------------------------------

_HREF = re.compile(r'href="(/[^"#]*)"')


def _crawl(client, start, depth=2):
    seen, frontier = set(), list(start)
    for _ in range(depth):
        found = []
        for url in frontier:
            if url in seen or url.startswith("/static/"):
                continue
            seen.add(url)
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.mimetype != "text/html":  # a download (the audit XLSX): it works, it has no links
                continue
            found.extend(_HREF.findall(text(response).replace("&amp;", "&")))
        frontier = found
    return seen


@pytest.mark.parametrize("role", ["anonymous", "provider", "department", "evaluator", "admin"])
def test_every_link_a_role_sees_works(client, login_as, admin, role):
    org, user, _ = factories.create_provider(admin=admin, name="链接测试服务商")
    from marketplace.providers import operations as provider_ops

    provider_ops.create_solution(user, title="链接测试方案", domain="交通", summary="s")
    factories.create_provider("applied", admin=admin)
    db.session.commit()
    who = {"provider": user, "admin": admin, "department": factories.create_user("department"),
           "evaluator": factories.create_user("evaluator")}.get(role)
    if who is not None:
        login_as(who)
    seen = _crawl(client, ["/"], depth=3)
    assert "/providers" in seen and "/catalogue" in seen
    if role == "admin":
        assert "/admin/audit" in seen and "/admin/users" in seen
    if role == "provider":
        assert "/my/solutions" in seen and "/partner/application" in seen
