"""Login throttling: one set of counters for the login page and the token endpoint; per
(account, address), a higher per-account ceiling, and a generous per-address limit that counts
failures only; Redis shared by every app when configured."""

import pytest

from config import TestingConfig
from marketplace import create_app
from marketplace.extensions import limiter
from tests.api.conftest import assert_error
from tests.conftest import make_client
from tests.factories import PASSWORD
from tests.page_helpers import text, token

OFFICE = "202.96.209.5"  # a district office's NAT address
HOME = "58.246.10.20"
ATTACKER = "45.77.1.2"


def browser(new_client, address):
    client = new_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def page_login(client, email, password):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token(client, "/login")})


def api_login(client, email, password):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_two_hundred_colleagues_sign_in_through_one_address(new_client, create_org, create_user):
    org = create_org("department", name="某区行政服务中心")
    users = [create_user("department", org=org) for _ in range(200)]
    for n, user in enumerate(users):
        client = browser(new_client, OFFICE)
        if n % 10 == 0:  # some mistype their password first
            assert page_login(client, user.email, "Wrong-guess-1").status_code == 200
        response = page_login(client, user.email, PASSWORD) if n % 2 else api_login(client, user.email, PASSWORD)
        assert response.status_code in (200, 302), (n, response.status_code)


def test_eleven_failures_lock_the_account_at_that_address_only(new_client, create_user):
    user = create_user("evaluator")
    attacker = browser(new_client, ATTACKER)
    for n in range(10):
        # the page and the API count into the same counter
        response = page_login(attacker, user.email, f"guess-{n}") if n % 2 else api_login(attacker, user.email, f"guess-{n}")
        assert response.status_code in (200, 401), n
    response = page_login(attacker, user.email, "guess-10")
    assert response.status_code == 429
    assert "登录失败次数过多" in text(response) and '<html lang="zh-CN">' in text(response)
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    # the right password is refused there too, without being checked …
    error = assert_error(api_login(attacker, user.email, PASSWORD), 429, "too_many_requests")
    assert "登录失败次数过多" in error["message"]
    assert int(api_login(attacker, user.email, PASSWORD).headers["Retry-After"]) >= 1
    # … while the owner, at another address, signs in on both doors
    assert page_login(browser(new_client, HOME), user.email, PASSWORD).status_code == 302
    assert api_login(browser(new_client, HOME), user.email, PASSWORD).status_code == 200


def test_a_successful_login_clears_the_count_for_that_address(new_client, create_user):
    user = create_user("evaluator")
    client = browser(new_client, HOME)
    for _ in range(2):
        for n in range(9):
            assert api_login(client, user.email, f"typo-{n}").status_code == 401
        assert api_login(client, user.email, PASSWORD).status_code == 200


def test_guesses_spread_over_addresses_meet_the_account_ceiling(new_client, create_user):
    user = create_user("evaluator")
    for a in range(10):  # 10 addresses × 10 guesses = the ceiling of 100 failures an hour
        client = browser(new_client, f"45.77.2.{a + 1}")
        for n in range(10):
            assert api_login(client, user.email, f"guess-{a}-{n}").status_code == 401
    assert_error(api_login(browser(new_client, "45.77.3.1"), user.email, "guess-x"), 429)
    # other accounts are not affected
    other = create_user("evaluator")
    assert api_login(browser(new_client, "45.77.3.1"), other.email, PASSWORD).status_code == 200


def test_failures_from_one_address_meet_the_address_limit(app, new_client, create_user, monkeypatch):
    """Successes never count against the address; failures do (600 an hour by default)."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_ADDRESS", "5 per hour")
    users = [create_user("evaluator") for _ in range(6)]
    client = browser(new_client, OFFICE)
    for user in users:
        assert api_login(client, user.email, PASSWORD).status_code == 200
    for n in range(5):
        assert api_login(client, f"nobody{n}@example.cn", "guess").status_code == 401
    assert_error(api_login(client, users[0].email, PASSWORD), 429)
    assert api_login(browser(new_client, HOME), users[0].email, PASSWORD).status_code == 200


def test_unknown_emails_are_throttled_like_real_ones(new_client):
    client = browser(new_client, ATTACKER)
    for n in range(10):
        assert api_login(client, "nobody@example.cn", f"guess-{n}").status_code == 401
    assert_error(api_login(client, "NOBODY@example.cn ", "guess"), 429)


# --- shared storage -------------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/3"


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")


def _app_with_storage(app, uri):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_DIR = app.config["UPLOAD_DIR"]
        SEARCH_INDEX_DIR = app.config["SEARCH_INDEX_DIR"]
        RATELIMIT_STORAGE_URI = uri

    return create_app(Config)


def _dispose(*apps):
    from marketplace.extensions import db

    for other in apps:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_servers_share_the_counter_through_redis(app, create_user):
    _redis_or_skip()
    user = create_user("evaluator")
    first, second = _app_with_storage(app, REDIS_URL), _app_with_storage(app, REDIS_URL)
    with first.app_context():
        limiter.reset()
    try:
        a, b = make_client(first), make_client(second)
        for n in range(10):
            client = a if n % 2 else b
            client.environ_base["REMOTE_ADDR"] = ATTACKER
            assert api_login(client, user.email, f"guess-{n}").status_code == 401
        for client in (a, b):
            assert_error(api_login(client, user.email, PASSWORD), 429)
    finally:
        with first.app_context():
            limiter.reset()
        _dispose(first, second)


def test_apps_without_shared_storage_count_apart(app, create_user):
    """The check above is meaningful: with memory storage two apps do not see each other."""
    user = create_user("evaluator")
    first, second = _app_with_storage(app, "memory://"), _app_with_storage(app, "memory://")
    try:
        a, b = make_client(first), make_client(second)
        for _ in range(10):
            assert api_login(a, user.email, "guess").status_code == 401
        assert api_login(a, user.email, PASSWORD).status_code == 429
        assert api_login(b, user.email, PASSWORD).status_code == 200
    finally:
        _dispose(first, second)


def test_an_unreachable_redis_never_stops_logins(app, create_user, caplog):
    user = create_user("evaluator")
    broken = _app_with_storage(app, "redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        client = make_client(broken)
        assert api_login(client, user.email, PASSWORD).status_code == 200
        for n in range(10):
            assert api_login(client, user.email, f"guess-{n}").status_code == 401
        assert api_login(client, user.email, PASSWORD).status_code == 429  # this process still throttles
        assert "rate-limit storage" in caplog.text
    finally:
        _dispose(broken)


@pytest.mark.parametrize("env,expected", [
    ({}, "memory://"),
    ({"REDIS_URL": "redis://cache.internal:6379/0"}, "redis://cache.internal:6379/0"),
    ({"REDIS_URL": "redis://cache.internal:6379/0", "RATELIMIT_STORAGE_URI": "redis://other:6379/1"},
     "redis://other:6379/1"),
])
def test_the_production_redis_setting_is_used_for_throttling(env, expected):
    """The README's production setup sets REDIS_URL; the counters must then live there."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI")}
    result = subprocess.run(
        [sys.executable, "-c", "import config; print(config.ProductionConfig.RATELIMIT_STORAGE_URI)"],
        env={**clean, **env}, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == expected
