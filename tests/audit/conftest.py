"""Fixtures for the audit area: an intruder with full database access (`intruder`, and `tamper`
which switches the append-only trigger off instead), and the challenge world (departments,
providers, challenges, entries) from the challenges tests."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace.extensions import db as _db
from tests.challenges.conftest import create_challenge, dept, provider, rival, submit_entry  # noqa: F401


def is_postgres():
    return _db.engine.dialect.name == "postgresql"


@pytest.fixture
def intruder(db):
    """`with intruder() as conn:` — a raw connection as someone with write access to the database
    (a superuser on PostgreSQL, who switches the audit triggers off for the transaction), but
    without AUDIT_HMAC_KEY."""

    @contextmanager
    def _intruder():
        _db.session.commit()
        with _db.engine.begin() as conn:
            if is_postgres():
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            yield conn
        _db.session.expire_all()

    return _intruder


@pytest.fixture
def postgres_only(db):
    if not is_postgres():
        pytest.skip("the TRUNCATE and append-only triggers exist on PostgreSQL only")


@pytest.fixture
def tamper(db):
    """`with tamper() as conn:` — a raw connection outside the app, as an intruder with database
    access would have. On PostgreSQL the append-only trigger is disabled for that transaction only
    (DISABLE/ENABLE TRIGGER are transactional, so a failing test cannot leave it off)."""

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
