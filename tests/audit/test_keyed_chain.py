"""Issue 9: the chain resists someone who can write the database and re-hash it.

Each attack runs on SQLite and on PostgreSQL: edit + re-hash (found without the key), downgrade to
the unkeyed scheme, drop the newest events + reset the head (found by the checkpoints), TRUNCATE
(refused by PostgreSQL).
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from config import DEV_AUDIT_HMAC_KEY, ProductionConfig
from marketplace.audit.checkpoints import publish_checkpoint
from marketplace.audit.models import (
    GENESIS_HASH,
    SCHEME_HMAC,
    SCHEME_SHA256,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
)
from marketplace.audit.operations import compute_hash, record, verify_chain
from marketplace.core.db import utcnow

FIELDS = ("seq", "created_at", "actor_id", "actor_label", "action", "object_type", "object_id",
          "before", "after", "source_ip")


def _chain(db, n=6):
    for i in range(n):
        record(None, "test.step", object_type="platform", object_id=i, before={"i": i}, after={"i": i + 1})
    db.session.commit()
    return _events(db)


def _events(db):
    return db.session.scalars(
        sa.select(AuditEvent).order_by(AuditEvent.seq).execution_options(populate_existing=True)
    ).all()


def _forge(app, db, conn, *, edit_seq, after=None, key=None, scheme=None, from_seq=None):
    """Edit one event, then recompute prev_hash/hash of it and every later event the way a forger
    would (with `key` as the HMAC key, or the plain SHA-256 scheme), and reset the head."""
    events = _events(db)
    forged = [AuditEvent(**{f: getattr(e, f) for f in FIELDS}, scheme=e.scheme, prev_hash=e.prev_hash)
              for e in events]
    db.session.rollback()
    start = from_seq or edit_seq
    prev = forged[start - 2].hash if start > 1 else GENESIS_HASH
    for event, original in zip(forged, events, strict=True):
        event.hash = original.hash
        if event.seq < start:
            prev = event.hash
            continue
        if event.seq == edit_seq and after is not None:
            event.after = after
        if scheme is not None:
            event.scheme = scheme
        event.prev_hash = prev
        saved = app.config["AUDIT_HMAC_KEY"]
        app.config["AUDIT_HMAC_KEY"] = key or saved
        try:
            event.hash = compute_hash(event)
        finally:
            app.config["AUDIT_HMAC_KEY"] = saved
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == original.id).values(
            after=event.after, scheme=event.scheme, prev_hash=event.prev_hash, hash=event.hash))
        prev = event.hash
    conn.execute(sa.update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=prev))
    return events


def test_new_events_are_keyed(app, db):
    events = _chain(db, 3)
    assert {e.scheme for e in events} == {SCHEME_HMAC}
    legacy = AuditEvent(**{f: getattr(events[0], f) for f in FIELDS}, prev_hash=events[0].prev_hash,
                        scheme=SCHEME_SHA256)
    assert compute_hash(legacy) != events[0].hash  # not the plain SHA-256 of the same content
    app.config["AUDIT_HMAC_KEY"], saved = "another-key-another-key-another-key", app.config["AUDIT_HMAC_KEY"]
    try:
        result = verify_chain()  # the same chain under another key does not verify
    finally:
        app.config["AUDIT_HMAC_KEY"] = saved
    assert not result.ok and result.first_bad_id == events[0].id
    assert verify_chain().ok


def test_edit_and_rehash_without_the_key_is_named(app, db, intruder):
    events = _chain(db, 6)
    with intruder() as conn:
        _forge(app, db, conn, edit_seq=3, after={"i": "forged"}, key="a-guessed-key")
    result = verify_chain()
    assert not result.ok
    assert (result.first_bad_id, result.first_bad_seq) == (events[2].id, 3)
    assert "改动" in result.reason


def test_edit_and_rehash_with_plain_sha256_is_named(app, db, intruder):
    """Before the chain was keyed this forgery verified as intact."""
    events = _chain(db, 6)
    with intruder() as conn:
        _forge(app, db, conn, edit_seq=4, after={"i": "forged"}, scheme=SCHEME_SHA256)
    result = verify_chain()
    assert not result.ok and result.first_bad_id == events[3].id
    assert "哈希方式" in result.reason


def test_downgrading_the_whole_chain_is_caught_by_a_checkpoint(app, db, intruder):
    """Rewriting every event as legacy SHA-256 and moving the switch-over past the end leaves a
    self-consistent chain; the published checkpoint (whose MAC the forger cannot make) catches it."""
    _chain(db, 4)
    publish_checkpoint()
    with intruder() as conn:
        _forge(app, db, conn, edit_seq=2, after={"i": "forged"}, scheme=SCHEME_SHA256, from_seq=1)
        conn.execute(sa.update(AuditChainHead).values(keyed_from_seq=99))
    result = verify_chain()
    assert not result.ok
    assert "检查点" in result.reason


def test_an_insider_with_the_key_is_still_caught_by_the_checkpoint(app, db, intruder):
    events = _chain(db, 5)
    publish_checkpoint()
    with intruder() as conn:
        _forge(app, db, conn, edit_seq=2, after={"i": "forged"})  # the real key
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 5 and result.first_bad_id == events[4].id
    assert "检查点不符" in result.reason


def _drop_newest(conn, events, keep):
    kept = events[keep - 1]
    conn.execute(sa.delete(AuditEvent).where(AuditEvent.seq > keep))
    conn.execute(sa.update(AuditChainHead).where(AuditChainHead.id == 1).values(
        seq=keep, last_hash=kept.hash, last_event_id=kept.id))


def test_dropping_the_newest_events_and_resetting_the_head_is_found(app, db, intruder):
    """Without a checkpoint this left a perfectly consistent, shorter chain."""
    events = _chain(db, 6)
    publish_checkpoint()
    with intruder() as conn:
        _drop_newest(conn, events, keep=4)
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 5
    assert "短于" in result.reason and "删除" in result.reason


def test_dropping_events_and_the_database_checkpoints_is_found_through_the_file(app, db, intruder):
    events = _chain(db, 6)
    publish_checkpoint()
    with intruder() as conn:
        _drop_newest(conn, events, keep=3)
        conn.execute(sa.delete(AuditCheckpoint))
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 4
    assert "检查点文件第 1 行" in result.reason


def test_a_forged_checkpoint_row_is_found(app, db, intruder):
    events = _chain(db, 6)
    publish_checkpoint()
    import os

    os.remove(app.config["AUDIT_CHECKPOINT_FILE"])  # only the database copy is left to forge
    with intruder() as conn:
        _drop_newest(conn, events, keep=3)
        conn.execute(sa.update(AuditCheckpoint).values(seq=3, head_hash=events[2].hash))
    result = verify_chain()
    assert not result.ok and "校验码不符" in result.reason


def test_events_after_a_checkpoint_are_fine_and_later_checkpoints_too(app, db):
    _chain(db, 3)
    publish_checkpoint()
    _chain(db, 2)
    publish_checkpoint(utcnow() + timedelta(days=1))
    result = verify_chain()
    assert result.ok, result.as_dict()
    assert result.checkpoints == 2 and result.latest_checkpoint["seq"] == 5


def test_legacy_events_stay_verifiable_and_cannot_be_mixed_in(app, db, intruder):
    """A chain written before the switch-over (plain SHA-256) verifies; from keyed_from_seq on
    only keyed events are accepted."""
    _chain(db, 3)
    with intruder() as conn:  # as the chain stood before the migration: plain SHA-256 throughout
        _forge(app, db, conn, edit_seq=1, scheme=SCHEME_SHA256, from_seq=1)
        conn.execute(sa.update(AuditChainHead).values(keyed_from_seq=4))
    events = _chain(db, 2)
    assert [e.scheme for e in events] == [SCHEME_SHA256] * 3 + [SCHEME_HMAC] * 2
    assert verify_chain().ok
    with intruder() as conn:
        _forge(app, db, conn, edit_seq=5, after={"i": "forged"}, scheme=SCHEME_SHA256)
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 5


# --- PostgreSQL refuses TRUNCATE and keeps checkpoints append-only ------------------------------

@pytest.mark.parametrize("statement", [
    "TRUNCATE audit_events",
    "TRUNCATE audit_chain_head",
    "TRUNCATE audit_checkpoints",
    "TRUNCATE audit_events, audit_chain_head, audit_checkpoints",
    "DELETE FROM audit_checkpoints",
    "UPDATE audit_checkpoints SET seq = 0",
    "DELETE FROM audit_chain_head",
])
def test_postgres_refuses_truncate_and_checkpoint_changes(db, postgres_only, statement):
    _chain(db, 3)
    publish_checkpoint()
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(sa.text(statement))
    assert "append-only" in str(caught.value)
    db.session.rollback()
    result = verify_chain()
    assert result.ok and result.events == 3 and result.checkpoints == 1


# --- configuration -------------------------------------------------------------------------------

def test_production_refuses_the_development_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "s" * 40)
    monkeypatch.setattr(ProductionConfig, "AUDIT_HMAC_KEY", DEV_AUDIT_HMAC_KEY)
    with pytest.raises(RuntimeError, match="AUDIT_HMAC_KEY"):
        ProductionConfig.check()
    monkeypatch.setattr(ProductionConfig, "AUDIT_HMAC_KEY", "short")
    with pytest.raises(RuntimeError, match="AUDIT_HMAC_KEY"):
        ProductionConfig.check()
    monkeypatch.setattr(ProductionConfig, "AUDIT_HMAC_KEY", "k" * 32)
    ProductionConfig.check()
