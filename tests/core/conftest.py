import pytest


@pytest.fixture(autouse=True)
def _clean(app):
    """Overrides tests/conftest.py's `_clean` for this folder: these are pure functions that
    touch no table, so the per-test wipe (a TRUNCATE of every table on PostgreSQL) is skipped.
    An app context is still pushed, for the forms."""
    with app.app_context():
        yield
