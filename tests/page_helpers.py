"""Helpers for the HTML page tests: read pages, submit their forms with the session's CSRF
token the way a browser does, and find field errors in the rendered HTML. (Was
tests/pages/conftest.py; its two fixtures are re-exported by the conftests of the areas whose
page tests use them.)"""

import html
import re

import pytest

from tests import factories

CJK = re.compile(r"[\u4e00-\u9fff]")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_FIELD_ERROR = re.compile(r'<div class="invalid-feedback d-block" data-field="([^"]+)">([^<]*)</div>')




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




@pytest.fixture
def provider(admin):
    """An admitted provider: (organisation, user, application)."""
    return factories.create_provider(admin=admin, name="上海智慧养老科技有限公司")


@pytest.fixture
def department_org(db):
    return factories.create_org("department", name="区卫生健康委")
