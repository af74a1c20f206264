"""Page security: CSRF, login throttling, deactivation, open redirects, headers, cookies, escaping."""

import re
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa

from marketplace.accounts import operations as account_ops
from marketplace.accounts.models import Organisation, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from tests import factories
from tests.conftest import PASSWORD, login
from tests.page_helpers import page, redirect_path, submit, text, token


def _events():
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


# --- CSRF -----------------------------------------------------------------------------------

def test_signup_without_csrf_is_400_and_writes_nothing(client):
    client.get("/signup")
    data = {"organisation_name": "无令牌公司", "credit_code": factories.valid_credit_code(), "contact_name": "某",
            "email": "nocsrf@example.cn", "password": "strong-password-1", "confirm": "strong-password-1"}
    response = client.post("/signup", data=data)
    assert response.status_code == 400
    body = text(response)
    assert "安全令牌" in body and '<html lang="zh-CN">' in body
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0
    response = client.post("/signup", data=dict(data, csrf_token="forged"))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0


def test_login_without_csrf_is_400(client, provider):
    response = client.post("/login", data={"email": provider[1].email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("action", ["admit", "reject"])
def test_admin_decision_without_csrf_is_400(client, login_as, admin, action):
    _, _, app = factories.create_provider("applied", admin=admin)
    login_as(admin)
    before = _events()
    response = client.post(f"/admin/partner-applications/{app.id}/{action}",
                           data={"valid_until": "2099-01-01", "reject-reason": "无令牌"})
    assert response.status_code == 400 and "安全令牌" in text(response)
    db.session.refresh(app)
    assert app.state.value == "applied" and _events() == before


def test_state_changing_posts_without_csrf_change_nothing(client, login_as, admin, provider):
    org, user, app = provider
    login_as(admin)
    before = _events()
    for url, data in [
        (f"/admin/users/{user.id}/deactivate", {}),
        (f"/admin/partner-applications/{app.id}/suspend", {"suspend-reason": "x"}),
        ("/admin/organisations/new", {"name": "无令牌单位", "kind": "department"}),
        ("/admin/users/new", {"email": "n@example.cn", "name": "n", "password": "12345678", "role": "evaluator"}),
        ("/notifications/read-all", {}),
        ("/logout", {}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 400, url
    db.session.refresh(user)
    db.session.refresh(app)
    assert user.is_active and app.state.value == "admitted" and _events() == before
    assert client.get("/admin/").status_code == 200  # still logged in: logout needs the token too


def test_provider_posts_without_csrf(client, login_as, provider):
    _, user, _ = provider
    solution = provider_ops.create_solution(user, title="智慧工地监管", domain="数字治理", summary="s")
    db.session.commit()
    login_as(user)
    assert client.post("/my/solutions/new", data={"title": "t", "domain": "养老", "summary": "s"}).status_code == 400
    assert client.post(f"/my/solutions/{solution.id}/withdraw").status_code == 400
    assert client.post(f"/my/solutions/{solution.id}/edit",
                       data={"title": "篡改", "domain": "养老", "summary": "s"}).status_code == 400
    db.session.refresh(solution)
    assert solution.is_active and solution.title == "智慧工地监管"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("solutions"))) == 1


def test_csrf_token_of_another_session_is_refused(client, new_client, login_as, admin, provider):
    _, user, _ = provider
    other = new_client()
    foreign = token(other, "/login")
    login_as(admin)
    response = client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": foreign})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.is_active


# --- login throttling and deactivation ---------------------------------------------------------

def test_login_throttled_after_ten_bad_attempts(client, provider):
    _, user, _ = provider
    csrf = token(client, "/login")
    statuses = [client.post("/login", data={"email": user.email, "password": f"wrong-{i}",
                                            "csrf_token": csrf}).status_code for i in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf})
    assert response.status_code == 429
    body = text(response)
    assert "操作过于频繁" in body and '<html lang="zh-CN">' in body
    assert client.get("/account").status_code == 302  # not logged in


def test_throttle_is_per_account_too(client, new_client, provider):
    """Spreading the guesses over source addresses does not help against one account (a
    ceiling of 100 failures an hour), yet one foreign address cannot lock the owner out."""
    _, user, _ = provider
    for i in range(100):
        browser = new_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.0.{i // 10}.{i % 10 + 1}"
        response = browser.post("/login", data={"email": user.email, "password": "wrong",
                                                "csrf_token": token(browser, "/login")})
        assert response.status_code == 200, i
    # the account is locked for a while, even with the right password, from yet another address…
    browser = new_client()
    browser.environ_base["REMOTE_ADDR"] = "10.0.20.1"
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD,
                                            "csrf_token": token(browser, "/login")})
    assert response.status_code == 429
    # …while other people are not affected
    other = factories.create_user("evaluator")
    response = browser.post("/login", data={"email": other.email, "password": PASSWORD,
                                            "csrf_token": token(browser, "/login")})
    assert response.status_code == 302


def test_one_foreign_address_cannot_lock_the_owner_out(client, new_client, provider):
    _, user, _ = provider
    attacker = new_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    for _ in range(11):
        response = attacker.post("/login", data={"email": user.email, "password": "wrong",
                                                 "csrf_token": token(attacker, "/login")})
    assert response.status_code == 429
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token(client, "/login")})
    assert response.status_code == 302


def test_bad_password_message_is_at_the_field(client, provider):
    response = submit(client, "/login", {"email": provider[1].email, "password": "wrong"})
    assert response.status_code == 200
    assert "邮箱或密码不正确" in text(response)
    response = submit(client, "/login", {"email": "nobody@example.cn", "password": "wrong"})
    assert "邮箱或密码不正确" in text(response)


def test_deactivated_user_cannot_log_in(client, admin, provider):
    _, user, _ = provider
    account_ops.set_user_active(admin, user, False)
    db.session.commit()
    response = submit(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "账号已停用" in text(response)
    assert client.get("/partner/application").status_code == 302


def test_existing_session_dropped_on_deactivation(client, new_client, admin, provider):
    _, user, _ = provider
    login(client, user)
    page(client, "/partner/application")
    admin_browser = new_client()
    login(admin_browser, admin)
    response = submit(admin_browser, f"/admin/users/{user.id}/deactivate", page_url="/admin/users")
    assert response.status_code == 302
    response = client.get("/partner/application")
    assert response.status_code == 302 and redirect_path(response).startswith("/login")
    assert user.name not in page(client, "/")


# --- open redirects ---------------------------------------------------------------------------

OPEN_REDIRECTS = [
    "//evil.example", "https://evil.example", "http://evil.example/login", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "https:/evil.example",
    "/\t/evil.example", " //evil.example", "/%2F/evil.example",
]


def test_login_next_open_redirect_refused(new_client, provider):
    from marketplace.extensions import limiter

    _, user, _ = provider
    for target in OPEN_REDIRECTS:
        limiter.reset()  # eleven logins in a row would otherwise meet the login throttle
        _login_next(new_client(), user, target)


def _login_next(client, user, target):
    response = client.post("/login?" + urlencode({"next": target}),
                           data={"email": user.email, "password": PASSWORD, "csrf_token": token(client, "/login")})
    assert response.status_code == 302
    location = response.headers["Location"]
    # where a browser would go: backslashes read as slashes, tabs and newlines dropped
    seen = re.sub(r"[\t\n\r]", "", location.replace("\\", "/"))
    resolved = urlsplit(urljoin("http://localhost/login", seen))
    assert resolved.scheme == "http" and resolved.netloc == "localhost", location
    if target.startswith(("//", "http", "\\", "javascript", "/\t", " ")):
        assert redirect_path(response) == "/workbench"


def test_login_next_local_path_is_followed(client, provider):
    _, user, _ = provider
    response = client.get("/my/solutions")
    assert redirect_path(response).startswith("/login?next=")
    login_url = redirect_path(response)
    response = client.post(login_url, data={"email": user.email, "password": PASSWORD,
                                            "csrf_token": token(client, login_url)})
    assert redirect_path(response) == "/my/solutions"


# --- headers and cookies ----------------------------------------------------------------------

def test_security_headers(client):
    for url in ["/", "/login", "/providers", "/does-not-exist"]:
        _check_headers(client.get(url))


def _check_headers(response):
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives.get("default-src", "")
    assert "frame-ancestors" in directives
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")


def test_pages_have_no_inline_script_or_style_the_csp_would_block(client, login_as, admin):
    factories.create_provider(admin=admin)
    login_as(admin)
    for url in ["/", "/providers", "/catalogue", "/admin/", "/admin/users", "/admin/audit", "/notifications"]:
        body = page(client, url)
        for script in re.findall(r"<script[^>]*>", body):
            assert "src=" in script, (url, script)
        assert not re.search(r"<script[^>]*>\s*[^<\s]", body), url
        assert not re.search(r"\son[a-z]+=", body), url
        assert " style=" not in body and "<style" not in body, url
        for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', body):
            assert client.get(src).status_code == 200, src


def test_session_cookie_flags(client, provider):
    response = login(client, provider[1])
    cookies = response.headers.getlist("Set-Cookie")
    session = [c for c in cookies if c.startswith("session=")]
    assert session, cookies
    assert "HttpOnly" in session[0]
    assert "SameSite=Lax" in session[0]


def test_logged_in_pages_are_not_cached(client, login_as, provider):
    login_as(provider[1])
    assert "no-store" in client.get("/partner/application").headers.get("Cache-Control", "")


# --- escaping of user-supplied text -----------------------------------------------------------

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_user_text_is_escaped_everywhere(client, new_client, admin):
    org, user, app = factories.create_provider("applied", admin=admin, name="恶意公司" + XSS)
    account_ops.update_user(admin, user, name="联系人" + XSS, role="provider", organisation=org)
    app.qualifications = "资质" + XSS
    app.reference_cases = "案例" + XSS
    db.session.commit()
    login(client, admin)
    detail = f"/admin/partner-applications/{app.id}"
    submit(client, f"{detail}/admit", {"valid_until": "2099-01-01"}, page_url=detail)
    db.session.refresh(app)
    provider_ops.create_solution(user, title="方案" + XSS, domain="养老", summary="简介" + XSS)
    provider_ops.suspend_provider(admin, org, reason="理由" + XSS)
    provider_ops.reinstate_provider(admin, org)
    db.session.commit()
    solution_id = db.session.scalar(sa.select(sa.text("max(id)")).select_from(sa.text("solutions")))

    anon = new_client()
    provider_browser = new_client()
    login(provider_browser, user)
    checks = [
        (anon, "/"), (anon, "/providers"), (anon, f"/providers/{org.id}"), (anon, "/catalogue"),
        (anon, f"/catalogue/{solution_id}"),
        (client, "/admin/partner-applications?state=all"), (client, detail), (client, "/admin/users"),
        (client, "/admin/organisations"), (client, "/admin/audit"),
        (client, f"/admin/organisations/{org.id}/edit"), (client, f"/admin/users/{user.id}/edit"),
        (provider_browser, "/partner/application"), (provider_browser, "/notifications"),
        (provider_browser, "/my/solutions"), (provider_browser, "/account"),
    ]
    for browser, url in checks:
        body = page(browser, url)
        assert '<script>alert("x")' not in body, url
        assert "<img src=x" not in body, url
        assert "&lt;script&gt;" in body or "\\u003cscript\\u003e" in body, url
    # search boxes echo the query escaped
    body = page(anon, "/providers?q=" + quote('"><script>alert(1)</script>'))
    assert "<script>alert(1)</script>" not in body


def test_user_name_with_script_in_header(client, admin):
    user = factories.create_user("evaluator", name="专家<script>alert(1)</script>")
    login(client, user)
    body = page(client, "/notifications")
    assert "<script>alert(1)</script>" not in body
    assert "专家&lt;script&gt;" in body
    assert isinstance(db.session.get(User, user.id), User)
