"""Helpers for the JSON API tests: the error envelope, +08:00 times, an admin-made provider
application through the API itself."""

import re

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")
ISO_0800 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00$")


def has_chinese(text):
    return isinstance(text, str) and bool(CJK.search(text))


def assert_error(response, status, code=None, field=None):
    """The response is `status` with the documented error envelope and a Chinese message."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) >= {"code", "message", "fields"}, error
    assert re.fullmatch(r"[a-z][a-z0-9_]*", error["code"]), error
    assert has_chinese(error["message"]), error
    assert isinstance(error["fields"], dict)
    for message in error["fields"].values():
        assert has_chinese(message), error
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
    return error


def assert_not_500(response):
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:500])
    if response.status_code >= 400:
        assert_error(response, response.status_code)
    return response


def assert_time(value):
    assert isinstance(value, str) and ISO_0800.match(value), value


def assert_page(body, total=None, page=1):
    assert set(body) >= {"items", "total", "page"}, body
    assert isinstance(body["items"], list)
    assert body["page"] == page
    if total is not None:
        assert body["total"] == total, body
    return body["items"]


@pytest.fixture
def provider_user(create_user):
    """A provider user whose organisation has a valid credit code and no application yet."""
    return create_user(role="provider")


@pytest.fixture
def applied(create_provider, admin):
    org, user, app = create_provider(state="applied", admin=admin)
    return org, user, app


# Worlds of other areas, for the input-boundary tests (test_input_boundary.py).
from tests.projects.conftest import dept, make_project, provider  # noqa: E402,F401
from tests.review.conftest import as_user, world  # noqa: E402,F401
