import pytest

from marketplace.extensions import db as _db
from marketplace.providers import operations as provider_ops
from marketplace.providers.states import PartnerState
from tests import factories


@pytest.fixture
def listing_in(db):
    """`listing_in("suspended")` → (organisation, provider user, application, admin).

    Unlike the factory's "expired" (admitted with a passed date, expired in effect only), this
    "expired" has gone through `expire_if_due`, so the stored state is `expired`.
    """

    def _make(state):
        state = PartnerState(state)
        admin = factories.create_user("admin")
        org, user, app = factories.create_provider(state=state.value, admin=admin)
        if state == PartnerState.expired:
            provider_ops.expire_if_due(app)
            _db.session.commit()
            assert app.state == PartnerState.expired
        return org, user, app, admin

    return _make


def is_postgres():
    return _db.engine.dialect.name == "postgresql"


@pytest.fixture
def postgres_only(db):
    if not is_postgres():
        pytest.skip("the append-only trigger exists on PostgreSQL only (SQLite has no such trigger)")


@pytest.fixture
def tamper(db):
    """`with tamper() as conn:` — a raw connection outside the app, as an intruder with database
    access would have. On PostgreSQL the append-only trigger is disabled for that transaction only
    (DISABLE/ENABLE TRIGGER are transactional, so a failing test cannot leave it off)."""
    from contextlib import contextmanager

    import sqlalchemy as sa

    @contextmanager
    def _tamper():
        _db.session.commit()
        with _db.engine.begin() as conn:
            if is_postgres():
                conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            yield conn
            if is_postgres():
                conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        _db.session.expire_all()

    return _tamper
