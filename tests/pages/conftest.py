"""Helpers for the HTML page tests: read pages, submit their forms with the session's CSRF
token the way a browser does, and find field errors in the rendered HTML."""

import html
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from tests import conftest as base
from tests import factories

CJK = re.compile(r"[\u4e00-\u9fff]")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_FIELD_ERROR = re.compile(r'<div class="invalid-feedback d-block" data-field="([^"]+)">([^<]*)</div>')


def _wipe(app):
    """tests/conftest.py's wipe, but with DELETE on PostgreSQL: TRUNCATE's fixed cost per table
    (0.1–0.2 s a test on a busy server) dominated this directory's run time."""
    if _db.engine.dialect.name != "postgresql":
        return base._wipe(app)
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    try:
        with _db.engine.begin() as conn:
            for name in tables:
                # audit_events refuses DELETE (append-only trigger); TRUNCATE is what the base wipe uses
                conn.execute(sa.text(f"TRUNCATE {name}" if name == "audit_events" else f"DELETE FROM {name}"))
            conn.execute(sa.text("INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)"),
                         {"h": "0" * 64})
    except sa.exc.DBAPIError:  # another append-only table or the like: fall back to the base wipe
        base._wipe(app)


@pytest.fixture(autouse=True)
def _clean(app):
    """Overrides tests/conftest.py's `_clean` only to use the faster wipe above."""
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    yield
    _db.session.rollback()
    _db.session.remove()
    ctx.pop()
    with app.app_context():
        _wipe(app)


def text(response):
    return response.get_data(as_text=True)


def page(client, url, status=200):
    """GET a page, check its status and that it is a Chinese HTML page; return its HTML."""
    response = client.get(url)
    body = text(response)
    assert response.status_code == status, (url, response.status_code, body[:1500])
    assert response.mimetype == "text/html", (url, response.mimetype)
    assert '<html lang="zh-CN">' in body
    assert CJK.search(body), url
    visible = re.sub(r"<[^>]+>", " ", body)
    assert not re.search(r"\b(None|Undefined|Traceback)\b", visible), f"Python leaks into the text of {url}"
    assert 'value="None"' not in body, f"a form on {url} shows None"
    return body


def token(client, url):
    """The CSRF token from a page the user can see (the form's own page)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    match = _CSRF.search(text(response))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def submit(client, url, data=None, *, page_url=None, follow=False):
    """POST a form from `page_url` (default: the form's own URL) with its CSRF token."""
    data = dict(data or {})
    data.setdefault("csrf_token", token(client, page_url or url))
    return client.post(url, data=data, follow_redirects=follow)


def field_errors(body):
    """{field name: [messages]} from the form macros' invalid-feedback blocks."""
    out = {}
    for name, message in _FIELD_ERROR.findall(body):
        message = html.unescape(message)
        assert CJK.search(message), f"field error for {name} is not in Chinese: {message!r}"
        out.setdefault(name, []).append(message)
    return out


def redirect_path(response):
    location = response.headers.get("Location", "")
    return re.sub(r"^https?://[^/]+", "", location)


def assert_login_redirect(response, url):
    assert response.status_code == 302, (url, response.status_code)
    assert redirect_path(response).startswith("/login"), (url, response.headers.get("Location"))


class FreshContextClient(FlaskClient):
    """Each request in its own application context, as in production.

    tests/conftest.py keeps one application context pushed for the whole test, so without
    this every request would share one `g`: Flask-Login's cached `g._login_user` and
    Flask-WTF's cached `g.csrf_token` would leak from one request (and one browser) into
    the next — a second browser would appear logged in as the first, and a deactivated
    user's session would never be re-checked. The test's own session is expired after each
    request so that it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.expire_all()
        return response


def make_client(app):
    return FreshContextClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def client(app):
    return make_client(app)


@pytest.fixture
def new_client(app):
    """A second browser (its own cookie jar), e.g. the admin next to a provider."""
    return lambda: make_client(app)


@pytest.fixture
def provider(admin):
    """An admitted provider: (organisation, user, application)."""
    return factories.create_provider(admin=admin, name="上海智慧养老科技有限公司")


@pytest.fixture
def department_org(db):
    return factories.create_org("department", name="区卫生健康委")
