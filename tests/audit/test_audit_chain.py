"""The audit log is append-only and hash-chained: any edit or deletion is found and named."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from marketplace.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from marketplace.audit.operations import compute_hash, record, verify_chain
from marketplace.providers.states import PartnerState
from tests import factories

JSON = sa.JSON


def _events(db):
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()


def _record_some(db, n=5):
    admin = factories.create_user("admin", email="chain-admin@example.gov.cn")
    for i in range(n - 1):  # create_user already wrote one event
        record(admin, "test.step", object_type="platform", object_id=i, before={"i": i}, after={"i": i + 1})
    db.session.commit()
    events = _events(db)
    assert len(events) == n
    return events


def test_record_links_each_event_to_the_previous_one(db):
    events = _record_some(db, 6)
    assert [e.seq for e in events] == list(range(1, 7))
    assert events[0].prev_hash == GENESIS_HASH
    for prev, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == prev.hash
    for event in events:
        assert event.hash == compute_hash(event)
        assert len(event.hash) == 64
    head = db.session.get(AuditChainHead, 1)
    assert (head.seq, head.last_hash, head.last_event_id) == (6, events[-1].hash, events[-1].id)


def test_record_stores_actor_object_before_after_and_source(app, db):
    admin = factories.create_user("admin", email="who@example.gov.cn")
    org = factories.create_org("provider")
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.20.30.40"}):
        event = record(admin, "organisation.check", org,
                       before={"state": PartnerState.applied, "when": date(2026, 5, 1)},
                       after={"state": PartnerState.admitted, "amount": Decimal("12.50"), "tags": ("a", "b")})
        db.session.commit()
    db.session.expire_all()
    event = db.session.get(AuditEvent, event.id)
    assert event.actor_id == admin.id and event.actor_label == "who@example.gov.cn"
    assert (event.object_type, event.object_id) == ("organisation", org.id)
    assert event.before == {"state": "applied", "when": "2026-05-01"}
    assert event.after == {"state": "admitted", "amount": "12.50", "tags": ["a", "b"]}
    assert event.source_ip == "10.20.30.40"
    assert event.created_at.tzinfo is not None
    # the hash still matches after the round trip through the database
    assert compute_hash(event) == event.hash
    assert verify_chain().ok


def test_system_actor_and_no_request(db):
    event = record(None, "platform.tick")
    db.session.commit()
    assert event.actor_id is None and event.actor_label == "system"
    assert event.source_ip is None and event.object_type == "platform"


def test_verify_empty_chain(db):
    result = verify_chain()
    assert result.ok and result.events == 0 and result.first_bad_id is None


def test_verify_intact_chain(db):
    events = _record_some(db, 8)
    result = verify_chain()
    assert result.ok
    assert result.events == len(events)
    assert result.as_dict() == {"ok": True, "events": 8, "first_bad_id": None, "first_bad_seq": None,
                                "reason": None, "checkpoints": 0, "latest_checkpoint": None}


def test_verify_after_real_operations(db, create_provider):
    create_provider("suspended")
    create_provider("rejected")
    assert verify_chain().ok


# --- tampering --------------------------------------------------------------------------------

def _update(conn, event_id, column, value, type_=None):
    stmt = sa.text(f'UPDATE audit_events SET "{column}" = :v WHERE id = :id')
    if type_ is not None:
        stmt = stmt.bindparams(sa.bindparam("v", type_=type_))
    conn.execute(stmt, {"v": value, "id": event_id})


def _delete(conn, event_id):
    conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": event_id})


@pytest.mark.parametrize("column, value, type_", [
    ("after", {"i": 999}, JSON),
    ("before", None, JSON),
    ("actor_label", "someone-else@example.cn", None),
    ("action", "test.innocent", None),
    ("object_id", 424242, None),
    ("source_ip", "1.2.3.4", None),
])
def test_edited_event_is_named(db, tamper, column, value, type_):
    events = _record_some(db, 6)
    victim = events[3]
    with tamper() as conn:
        _update(conn, victim.id, column, value, type_)
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_id == victim.id
    assert "改动" in result.reason


def test_edited_timestamp_is_named(db, tamper):
    events = _record_some(db, 4)
    with tamper() as conn:
        conn.execute(sa.text("UPDATE audit_events SET created_at = :t WHERE id = :id"),
                     {"t": "2020-01-01 00:00:00", "id": events[1].id})
    result = verify_chain()
    assert not result.ok and result.first_bad_id == events[1].id


def test_edit_with_recomputed_hash_is_found_at_the_next_event(db, tamper):
    events = _record_some(db, 5)
    victim = events[2]
    victim.after = {"i": "forged"}
    forged_hash = compute_hash(victim)
    db.session.rollback()
    with tamper() as conn:
        _update(conn, victim.id, "after", {"i": "forged"}, JSON)
        _update(conn, victim.id, "hash", forged_hash)
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_id == events[3].id


def test_deleted_middle_event_names_the_event_after_the_gap(db, tamper):
    events = _record_some(db, 6)
    with tamper() as conn:
        _delete(conn, events[2].id)
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_id == events[3].id
    assert "3" in result.reason and "删除" in result.reason


def test_deleted_first_event_is_found(db, tamper):
    events = _record_some(db, 4)
    with tamper() as conn:
        _delete(conn, events[0].id)
    result = verify_chain()
    assert not result.ok and result.first_bad_id == events[1].id


def test_deleted_last_event_is_named_through_the_head_row(db, tamper):
    last_id = _record_some(db, 5)[-1].id
    with tamper() as conn:
        _delete(conn, last_id)
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_id == last_id
    assert "删除" in result.reason


def test_deleting_every_event_is_found(db, tamper):
    last_id = _record_some(db, 3)[-1].id
    with tamper() as conn:
        conn.execute(sa.text("DELETE FROM audit_events"))
    result = verify_chain()
    assert not result.ok and result.first_bad_id == last_id


def test_chain_continues_after_verification(db):
    _record_some(db, 3)
    assert verify_chain().ok
    record(None, "platform.after_verify")
    db.session.commit()
    assert verify_chain().ok and verify_chain().events == 4


def test_rolled_back_event_leaves_no_gap(db):
    _record_some(db, 3)
    record(None, "platform.abandoned")
    db.session.rollback()
    record(None, "platform.kept")
    db.session.commit()
    events = _events(db)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert verify_chain().ok


# --- append-only in the database (PostgreSQL) ---------------------------------------------------

@pytest.mark.parametrize("statement", [
    'UPDATE audit_events SET actor_label = \'x\' WHERE id = :id',
    "DELETE FROM audit_events WHERE id = :id",
])
def test_postgres_trigger_refuses_update_and_delete(db, postgres_only, statement):
    events = _record_some(db, 3)
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(sa.text(statement), {"id": events[1].id})
    assert "append-only" in str(caught.value)
    db.session.rollback()
    assert verify_chain().ok and verify_chain().events == 3


def test_postgres_trigger_is_enabled_again_after_tampering(db, postgres_only, tamper):
    with tamper():
        pass
    enabled = db.session.scalar(sa.text(
        "SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_events_append_only'"
    ))
    assert enabled == "O"  # enabled again after the tamper helper


# --- concurrency ----------------------------------------------------------------------------------

THREADS, PER_THREAD = 5, 20


def test_concurrent_appends_keep_one_contiguous_chain(app, db):
    db.session.commit()
    barrier = threading.Barrier(THREADS)
    errors = []

    def worker(n):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                for i in range(PER_THREAD):
                    record(None, "test.concurrent", object_type="platform", object_id=n * 1000 + i,
                           after={"thread": n, "i": i})
                    db.session.commit()
            except Exception as exc:  # reported below, with the thread's number
                errors.append((n, repr(exc)))
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    events = _events(db)
    assert [e.seq for e in events] == list(range(1, THREADS * PER_THREAD + 1))
    assert len({e.object_id for e in events}) == THREADS * PER_THREAD
    result = verify_chain()
    assert result.ok, result.as_dict()
    assert result.events == THREADS * PER_THREAD
    head = db.session.get(AuditChainHead, 1)
    assert head.seq == THREADS * PER_THREAD and head.last_event_id == events[-1].id



def test_verify_reads_the_database_not_the_session_cache(db):
    """A verify run in a session that already holds the events (e.g. after listing the log in the
    same request) must still see what is in the database now."""
    victim_id = _record_some(db, 4)[1].id
    loaded = _events(db)  # loaded into this session's identity map, in an open transaction
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:  # changed underneath it by another connection
        if postgres:
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        conn.execute(sa.text("UPDATE audit_events SET actor_label = 'intruder' WHERE id = :id"), {"id": victim_id})
        if postgres:
            conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    result = verify_chain()
    assert not result.ok and result.first_bad_id == victim_id
    assert len(loaded) == 4
