"""Search tests: every test gets its own index directory (restored afterwards), and helpers to
build public and non-public data through the real operations."""

import pytest

from marketplace.search.index import get_index, rebuild_index
from tests import factories
from tests.challenges.pages.conftest import make_challenge


@pytest.fixture(autouse=True)
def index_dir(app, tmp_path):
    old = app.config["SEARCH_INDEX_DIR"]
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    with app.app_context():  # built by the CLI or the worker in production, never by a request
        rebuild_index(app)
    yield tmp_path / "index"
    get_index(app).reset()
    app.config["SEARCH_INDEX_DIR"] = old


@pytest.fixture
def index(app, index_dir):
    return get_index(app)


@pytest.fixture
def dept(db):
    org = factories.create_org("department", name="区民政局")
    return factories.create_user("department", org=org, name="民政局经办人")


@pytest.fixture
def publish(dept, admin):
    """`publish(title=…, description=…, state=…)` → a challenge through the real operations."""

    def _publish(state="published", **values):
        return make_challenge(dept, state, admin=admin, **values)

    return _publish


def keys(result):
    return [(hit.type, hit.id) for hit in result.items]
