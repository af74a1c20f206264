"""Test fixtures: one app and schema per session (built by the real migrations), rows wiped
after every test, helpers to log in through the pages and to call the API with a token.

SQLite (a temporary file) by default; PostgreSQL when TEST_DATABASE_URL is set.
"""

import os
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from config import TestingConfig
from marketplace import create_app
from marketplace.challenges import watch
from marketplace.core import pagecache
from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from tests import factories

PASSWORD = factories.PASSWORD

# Property tests judge results, never time: on a loaded two-core CI machine Hypothesis's own
# timing checks (example deadline, "too slow" data generation) would fail correct code.
settings.register_profile("marketplace", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("marketplace")


def _reset_schema(url):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _worker_database(url):
    """Under pytest-xdist each worker gets its own PostgreSQL database (`<name>_gw0`, …), created
    once beside the one TEST_DATABASE_URL names; SQLite files are per worker already."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    parsed = sa.engine.make_url(url)
    if not worker or parsed.get_backend_name() != "postgresql":
        return url
    name = f"{parsed.database}_{worker}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("marketplace")
    url = _worker_database(os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{base / 'test.db'}")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_DIR = str(base / "uploads")
        SEARCH_INDEX_DIR = str(base / "search-index")
        AUDIT_CHECKPOINT_FILE = str(base / "audit-checkpoints.jsonl")

    _reset_schema(url)
    app = create_app(Config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


def _wipe(app):
    """Empty every table. DELETE rather than TRUNCATE on PostgreSQL: TRUNCATE's fixed cost per
    table dominated the suite. The audit tables refuse DELETE and TRUNCATE (triggers); for this
    wipe only, `session_replication_role = replica` switches user triggers off for the
    transaction (root is a superuser here). The checkpoint file goes too."""
    with app.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        postgres = _db.engine.dialect.name == "postgresql"
        with _db.engine.begin() as conn:
            if postgres:
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for name in tables:
                conn.execute(sa.text(f"DELETE FROM {name}"))
            conn.execute(sa.text(
                "INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)"
            ), {"h": "0" * 64})
        checkpoint_file = app.config.get("AUDIT_CHECKPOINT_FILE")
        if checkpoint_file and os.path.exists(checkpoint_file):
            os.remove(checkpoint_file)


@pytest.fixture(autouse=True)
def _clean(app):
    """Every test starts from empty tables, an empty audit chain and fresh rate limits."""
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    # The tables were wiped behind the audit chain's and the change watcher's back.
    pagecache.cache.clear()
    watch.changed()
    yield
    _db.session.rollback()
    _db.session.remove()
    ctx.pop()
    _wipe(app)


@pytest.fixture
def db(app):
    return _db


class FreshContextClient(FlaskClient):
    """Each request in its own application context, as in production.

    `_clean` keeps one application context pushed for the whole test (for factories and
    assertions); without this every request would share its `g`, so Flask-Login's cached user
    and Flask-WTF's cached CSRF token would leak from one request, and one browser, into the
    next. The test's own session is expired after each request so that it reads what the
    request committed.
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
    """Another browser with its own cookie jar, e.g. the admin beside a provider."""
    return lambda: make_client(app)


# --- page helpers ---------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url="/login"):
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, user_or_email, password=PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def post_form(client, url, data=None, page=None):
    """POST a form the way a browser does: with the session's CSRF token."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, page or url if page else "/notifications"))
    return client.post(url, data=data)


@pytest.fixture
def login_as(client):
    def _login(user):
        login(client, user)
        return client

    return _login


# --- API helpers ----------------------------------------------------------------------------

class ApiClient:
    def __init__(self, client, token=None):
        self.client = client
        self.token = token

    def _headers(self, headers=None):
        out = dict(headers or {})
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def get(self, url, **kwargs):
        return self.client.get(f"/api/v1{url}", headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, url, json=None, **kwargs):
        return self.client.post(f"/api/v1{url}", json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, url, json=None, **kwargs):
        return self.client.patch(f"/api/v1{url}", json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, url, json=None, **kwargs):
        return self.client.put(f"/api/v1{url}", json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, url, **kwargs):
        return self.client.delete(f"/api/v1{url}", headers=self._headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def api(client):
    """`api()` is anonymous; `api(user)` carries a fresh bearer token for that user."""

    def _api(user=None):
        if user is None:
            return ApiClient(client)
        from marketplace.accounts.operations import issue_token

        token, _ = issue_token(user)
        _db.session.commit()
        return ApiClient(client, token)

    return _api


# --- factories as fixtures ------------------------------------------------------------------

@pytest.fixture
def create_org(db):
    return factories.create_org


@pytest.fixture
def create_user(db):
    return factories.create_user


@pytest.fixture
def create_provider(db):
    return factories.create_provider


@pytest.fixture
def admin(db):
    return factories.create_user(role="admin", email="admin@example.gov.cn", name="管理员")


@pytest.fixture
def department_user(db):
    return factories.create_user(role="department", name="区大数据中心经办人")


@pytest.fixture
def evaluator(db):
    return factories.create_user(role="evaluator", name="评审专家")


# --- statement counting ---------------------------------------------------------------------

class StatementCounter:
    """Counts the SQL statements the engine runs while active (an N+1 shows as a count that
    grows with the rows on the page)."""

    def __init__(self, engine):
        self.engine = engine
        self.statements = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self):
        return len(self.statements)


def count_statements(client, url, **kwargs):
    """(response, number of SQL statements) for one GET."""
    with StatementCounter(_db.engine) as counter:
        response = client.get(url, **kwargs)
    return response, counter
