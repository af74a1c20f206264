"""The demo is seeded once for this module (seeding takes seconds) and wiped after it; the tests
read it, and the ones that change something run last in the file."""

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
    """Overrides the shared wipe-after-every-test: the seeded demo stays for the whole module."""
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
