"""Whole public pages cached for anonymous visitors, never stale after a change.

The key holds the audit chain's head hash. Every state change and every edit is written to
the audit log, and appending updates that single row in the same transaction (serialised, so
it moves in commit order), so any committed change gives every process a new key at once; a
closed challenge, a new answer or an admitted provider is never served from an old page. One
primary-key read per request replaces the page's queries and its rendering. The key also holds
the current PAGE_TTL-second slot of the clock, so what moves with the clock alone (a partner
listing whose validity ends at midnight) never outlives its minute; a passed deadline is closed
by the deadline check, which runs before this lookup (web.register_deadline_sync), and the
close is audited; countdowns are drawn by the browser from the absolute deadline in the page.

Only the endpoints in CACHEABLE are cached, a list of public pages whose anonymous rendering
depends on nothing but the database, the URL (path, query, host) and the clock's slot. Pages
whose content depends on the visitor or the moment (search, /notices whose objection window
opens and ends by the clock, events with their seats and sign-up forms, needs, the audit
checkpoints, every form page) are not in it; `tests/challenges/pages/test_page_cache.py` checks that list.

Only what the public would get is cached: GET requests without a signed-in user (no user id
in the session, no remember cookie, no API token), with no flashed message waiting, answered
200 without setting a cookie and without a CSRF token in the body. A signed-in person never
reads from or writes to it, so nothing role-specific can leak either way.

Flask-Caching: Redis when REDIS_URL is set (shared by the workers), else each process's memory.
"""

import logging
import time

from flask import g, request, session
from flask_caching import Cache

from marketplace.extensions import db

cache = Cache()
log = logging.getLogger(__name__)

PAGE_TTL = 60
CACHEABLE = frozenset({
    "main.index", "challenges.index", "challenges.detail", "providers.directory", "providers.provider_detail",
    "providers.catalogue", "providers.solution_detail", "cases.index", "cases.detail", "cases.providers",
    "cases.provider",
})
HEADER = "X-Page-Cache"


def _version():
    # Plain SQL on the session's connection: building an ORM select cost more than the query.
    return db.session.connection().exec_driver_sql(
        "SELECT last_hash FROM audit_chain_head WHERE id = 1").scalar() or "-"


RETRY_AFTER = 30.0
_down_until = [0.0]


def _cache_failed():
    log.warning("page cache unavailable; pages are rendered uncached for %.0f s", RETRY_AFTER, exc_info=True)
    _down_until[0] = time.monotonic() + RETRY_AFTER


def _slot():
    return int(time.time() // PAGE_TTL)


def _anonymous():
    return ("_user_id" not in session and "_flashes" not in session and "remember_token" not in request.cookies
            and "Authorization" not in request.headers)


def install(app):
    redis_url = app.config.get("REDIS_URL")
    config = {"CACHE_DEFAULT_TIMEOUT": PAGE_TTL, "CACHE_KEY_PREFIX": "marketplace:page:"}
    if app.config.get("PAGE_CACHE", True) is False:
        config["CACHE_TYPE"] = "NullCache"
    elif redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url,
                      CACHE_OPTIONS={"socket_timeout": 0.5, "socket_connect_timeout": 0.5})
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=2000)
    cache.init_app(app, config=config)

    @app.before_request
    def serve_cached_page():
        if request.method != "GET" or request.endpoint not in CACHEABLE or not _anonymous():
            return None
        if time.monotonic() < _down_until[0]:
            return None  # the cache's Redis failed lately: render, and try it again later
        key = f"{_version()}:{_slot()}:{request.host}{request.full_path}"
        try:
            hit = cache.get(key)
        except Exception:  # Redis down: render as if uncached, without trying again for a while
            _cache_failed()
            return None
        if hit is not None:
            body, mimetype = hit
            response = app.response_class(body, mimetype=mimetype)
            response.headers[HEADER] = "hit"
            return response
        g.page_cache_key = key
        return None

    @app.after_request
    def store_page(response):
        key = g.pop("page_cache_key", None)
        if key is None or response.status_code != 200 or response.direct_passthrough:
            return response
        if "Set-Cookie" in response.headers or session.modified or not _anonymous():
            return response
        body = response.get_data()
        if b"csrf_token" in body:
            return response
        try:
            cache.set(key, (body, response.mimetype))
        except Exception:  # Redis down: the page was rendered anyway
            _cache_failed()
            return response
        response.headers[HEADER] = "miss"
        return response
