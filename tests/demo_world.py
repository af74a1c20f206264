"""For test modules that read the seeded demo: import both fixtures into the module
(`from tests.demo_world import _clean, _seeded_once  # noqa: F401`). The demo is seeded once for
the module (seeding takes seconds) and wiped after it; `_clean` overrides the shared
wipe-after-every-test, so the tests read it, and the ones that change something run last."""

import pytest

from marketplace.challenges import watch
from marketplace.core import pagecache
from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from tests.conftest import _wipe


@pytest.fixture(scope="module")
def _seeded_once(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    yield
    _wipe(app)


@pytest.fixture(autouse=True)
def _clean(app, _seeded_once):
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
