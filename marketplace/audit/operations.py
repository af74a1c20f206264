"""The audit log: an append-only, hash-chained record of every state change and admin action.

Each event stores the hash of the previous one; `verify_chain` recomputes the chain and names
the first event that was edited, or that follows a deleted one.
"""

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import has_request_context, request

from marketplace.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from marketplace.core.db import utcnow
from marketplace.extensions import db

SYSTEM_ACTOR = "system"


def _jsonable(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def compute_hash(event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "created_at": _stamp(event.created_at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "source_ip": event.source_ip,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def object_type_of(obj) -> str:
    return getattr(obj, "__audit_type__", None) or obj.__tablename__.rstrip("s")


def _advance_head():
    """Claim the next sequence number; the row lock serialises concurrent writers."""
    stmt = (
        sa.update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(seq=AuditChainHead.seq + 1)
        .returning(AuditChainHead.seq, AuditChainHead.last_hash)
    )
    row = db.session.execute(stmt).first()
    if row is None:
        db.session.add(AuditChainHead(id=1, seq=0, last_hash=GENESIS_HASH))
        db.session.flush()
        row = db.session.execute(stmt).first()
    return row.seq, row.last_hash


def record(actor, action, obj=None, *, before=None, after=None, object_type=None, object_id=None):
    """Append one event. `actor` is a User or None (the system, e.g. an automatic close)."""
    if obj is not None:
        db.session.flush()
        object_type = object_type or object_type_of(obj)
        object_id = obj.id if object_id is None else object_id
    seq, prev_hash = _advance_head()
    event = AuditEvent(
        seq=seq,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or SYSTEM_ACTOR,
        action=action,
        object_type=object_type or "platform",
        object_id=object_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        source_ip=(request.remote_addr if has_request_context() else None),
        prev_hash=prev_hash,
    )
    event.hash = compute_hash(event)
    db.session.add(event)
    db.session.flush()
    db.session.execute(
        sa.update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_hash=event.hash, last_event_id=event.id)
    )
    return event


@dataclass
class VerifyResult:
    ok: bool
    events: int
    first_bad_id: int | None = None
    reason: str | None = None

    def as_dict(self):
        return {"ok": self.ok, "events": self.events, "first_bad_id": self.first_bad_id, "reason": self.reason}


def verify_chain() -> VerifyResult:
    """Walk the chain in order; report the first event that was edited or follows a gap."""
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    last = None
    # populate_existing: check the rows as stored now, not objects this session loaded earlier.
    query = sa.select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000, populate_existing=True)
    for event in db.session.scalars(query):
        count += 1
        if event.seq != expected_seq:
            return VerifyResult(False, count, event.id, f"第 {expected_seq} 号事件缺失（已被删除）")
        if event.prev_hash != prev_hash:
            return VerifyResult(False, count, event.id, "前一事件的哈希不一致（前一事件被删除或改动）")
        if compute_hash(event) != event.hash:
            return VerifyResult(False, count, event.id, "事件内容与其哈希不符（已被改动）")
        prev_hash, expected_seq, last = event.hash, expected_seq + 1, event
    head = db.session.get(AuditChainHead, 1, populate_existing=True)
    if head is not None and head.seq != (last.seq if last else 0):
        return VerifyResult(False, count, head.last_event_id, "最新的事件缺失（已被删除）")
    if head is not None and last is not None and head.last_hash != last.hash:
        return VerifyResult(False, count, last.id, "链头记录与最后事件不符")
    return VerifyResult(True, count)
