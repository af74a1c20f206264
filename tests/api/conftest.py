"""Helpers for the JSON API tests: the error envelope, +08:00 times, an admin-made provider
application through the API itself."""

import re

import pytest
import sqlalchemy as sa

from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from tests.conftest import _wipe

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


# --- a quicker wipe on PostgreSQL ------------------------------------------------------------------

def _quick_wipe(app):
    """DELETE instead of TRUNCATE: on the few rows a test leaves, PostgreSQL's TRUNCATE of every
    table costs ~0.2 s, which this directory's hundreds of small tests would pay each time.
    Triggers (the append-only one) and FK checks are off for this transaction only, which needs
    a superuser; otherwise the shared wipe runs."""
    with app.app_context():
        _db.session.remove()
        if _db.engine.dialect.name != "postgresql":
            return _wipe(app)
        with _db.engine.begin() as conn:
            if not conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
                conn.rollback()
                return _wipe(app)
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
            conn.execute(sa.text(
                "INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)"
            ), {"h": "0" * 64})


@pytest.fixture(autouse=True)
def _clean(app):
    """Overrides the shared `_clean` for this directory: the same fresh start, a quicker wipe."""
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    yield
    _db.session.rollback()
    _db.session.remove()
    ctx.pop()
    _quick_wipe(app)
