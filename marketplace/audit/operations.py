"""The audit log: an append-only, hash-chained record of every state change and admin action.

Each event stores the hash of the previous one; `verify_chain` recomputes the chain and names
the first event that was edited, or that follows a deleted one.

The chain is keyed: from the head's `keyed_from_seq` on, each hash is HMAC-SHA256 under
AUDIT_HMAC_KEY (kept in the environment, not the database), so someone who can write the
database cannot edit an event and recompute the hashes after it. Events written before the
switch-over keep their plain SHA-256 and stay verifiable. Dropping the newest events and
resetting the head is caught by the daily checkpoints (`marketplace.audit.checkpoints`).
"""

import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from marketplace.audit.models import GENESIS_HASH, SCHEME_HMAC, SCHEME_SHA256, AuditChainHead, AuditEvent
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


def audit_key() -> bytes:
    return current_app.config["AUDIT_HMAC_KEY"].encode("utf-8")


def keyed_digest(text: str) -> str:
    return hmac.new(audit_key(), text.encode("utf-8"), hashlib.sha256).hexdigest()


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
    scheme = event.scheme or SCHEME_HMAC
    if scheme == SCHEME_SHA256:  # events from before the switch-over, hashed as they were then
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    payload["scheme"] = scheme
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return keyed_digest(canonical)


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
        scheme=SCHEME_HMAC,
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
    first_bad_seq: int | None = None
    checkpoints: int = 0
    latest_checkpoint: dict | None = None

    def as_dict(self):
        return {"ok": self.ok, "events": self.events, "first_bad_id": self.first_bad_id,
                "first_bad_seq": self.first_bad_seq, "reason": self.reason,
                "checkpoints": self.checkpoints, "latest_checkpoint": self.latest_checkpoint}

    @property
    def message(self) -> str:
        if self.ok:
            latest = self.latest_checkpoint
            anchored = (f"，与 {self.checkpoints} 个已发布检查点一致（最新：{latest['day']}，第 {latest['seq']} 号事件）"
                        if self.checkpoints and latest else "（尚无已发布的检查点）")
            return f"审计链完整：共 {self.events} 条事件{anchored}，未发现改动或删除。"
        where = f"第 {self.first_bad_seq} 号事件" if self.first_bad_seq else "审计链"
        ident = f"（id={self.first_bad_id}）" if self.first_bad_id else ""
        return f"审计链被破坏：{where}{ident}异常：{self.reason}"


def _walk_chain(head, wanted_seqs):
    """Recompute every hash in order. Returns (count, hashes and ids at the wanted seqs, last
    event) or a failed VerifyResult."""
    keyed_from = head.keyed_from_seq if head is not None else 1
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    last = None
    hashes, ids = {}, {}
    # populate_existing: check the rows as stored now, not objects this session loaded earlier.
    query = sa.select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000, populate_existing=True)
    for event in db.session.scalars(query):
        count += 1

        def bad(reason, event=event, count=count):
            return VerifyResult(False, count, event.id, reason, event.seq)

        if event.seq != expected_seq:
            return VerifyResult(False, count, event.id, f"第 {expected_seq} 号事件缺失（已被删除）", expected_seq)
        if event.prev_hash != prev_hash:
            return bad("前一事件的哈希不一致（前一事件被删除或改动）")
        expected_scheme = SCHEME_HMAC if event.seq >= keyed_from else SCHEME_SHA256
        if event.scheme != expected_scheme:
            return bad(f"哈希方式被改为 {event.scheme}（应为 {expected_scheme}，已被改动）")
        if not hmac.compare_digest(compute_hash(event), event.hash):
            return bad("事件内容与其哈希不符（已被改动）")
        if event.seq in wanted_seqs:
            hashes[event.seq], ids[event.seq] = event.hash, event.id
        prev_hash, expected_seq, last = event.hash, expected_seq + 1, event
    return count, hashes, ids, last


def verify_chain() -> VerifyResult:
    """Walk the chain in order; report the first event that was edited or follows a gap, then
    check it against every published checkpoint (database and file)."""
    from marketplace.audit.checkpoints import check_against_checkpoints, latest_checkpoint, load_anchors

    head = db.session.get(AuditChainHead, 1, populate_existing=True)
    anchors_db, anchors_file, unreadable = load_anchors()
    if unreadable is not None:
        return unreadable
    walked = _walk_chain(head, {a.seq for a in anchors_db + anchors_file})
    if isinstance(walked, VerifyResult):
        return walked
    count, hashes, ids, last = walked
    last_seq = last.seq if last else 0
    failure = check_against_checkpoints(head, count, anchors_db, anchors_file, hashes, ids, last_seq)
    if failure is not None:
        return failure
    if head is not None and head.seq != last_seq:
        return VerifyResult(False, count, head.last_event_id, "最新的事件缺失（已被删除）", last_seq + 1)
    if head is not None and last is not None and head.last_hash != last.hash:
        return VerifyResult(False, count, last.id, "链头记录与最后事件不符", last.seq)
    return VerifyResult(True, count, checkpoints=len(anchors_db), latest_checkpoint=latest_checkpoint())
